"""Issue 27 over HTTP: the reader's language, one story's exports, and German search.

A German story is written over HTTP in each test (tests/support/german_story.py), on each
backend, next to the seed story.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from rdflib import Graph, URIRef

from api.settings import ApiSettings

from tests.support import german_story as story
from tests.support.api_fixtures import WRITE

RAISED = f"/v1/claims/{story.RAISED}"


@pytest.fixture
def german(client: TestClient) -> TestClient:
    story.write_story(client, WRITE)
    return client


def propositions(claim: dict) -> dict[str, str]:
    return next(c for c in story.CLAIMS if c["key"] == claim["key"])["propositions"]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de", "de"),
        ("en", "en"),
        ("de-AT, en;q=0.5", "de"),
        ("fr, en-GB;q=0.8, de;q=0.5", "en"),
        ("fr", "de"),  # none offered: the claim's first language (tags sorted)
        ("en;q=0, *", "de"),
        ("de;q=0, *", "en"),  # any language but German: q=0 refuses it, the wildcard too
        ("*, de;q=0", "en"),
        (None, "de"),
    ],
)
def test_a_claim_view_carries_its_proposition_in_the_language_asked(
    german: TestClient, header: str | None, language: str
) -> None:
    headers = {"Accept-Language": header} if header else {}
    answer = german.get(RAISED, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["proposition"] == propositions(body)[language]
    assert body["proposition_language"] == language
    assert answer.headers["Content-Language"] == language
    assert "accept-language" in answer.headers["Vary"].lower()


def test_lists_and_the_story_choose_each_claims_language_and_say_which(
    german: TestClient,
) -> None:
    english = {"Accept-Language": "en"}
    listed = german.get(f"/v1/claims?story={story.KEY}", headers=english)
    assert {c["proposition"] for c in listed.json()["claims"]} == {
        c["propositions"]["en"] for c in story.CLAIMS
    }
    assert listed.headers["Content-Language"] == "en"
    read = german.get(f"/v1/stories/{story.KEY}", headers={"Accept-Language": "de"})
    assert [c["proposition"] for c in read.json()["claims"]] == [
        propositions(c)["de"] for c in read.json()["claims"]
    ]
    # A claim with English alone answers English, whatever is asked; a mixed list says both.
    german.post(
        "/v1/claims",
        json={"key": "only-english", "propositions": {"en": "Only in English."}},
        headers=WRITE,
    )
    mixed = german.get("/v1/claims?limit=1000", headers={"Accept-Language": "de"})
    only = next(c for c in mixed.json()["claims"] if c["key"] == "only-english")
    assert only["proposition"] == "Only in English." and only["proposition_language"] == "en"
    assert mixed.headers["Content-Language"] == "de, en"


def test_schema_org_takes_the_language_asked(german: TestClient) -> None:
    for language, other in (("de", "en"), ("en", "de")):
        answer = german.get(f"{RAISED}/export/schema-org", headers={"Accept-Language": language})
        claim = answer.json()
        texts = next(c for c in story.CLAIMS if c["key"] == story.RAISED)["propositions"]
        assert claim["name"] == claim["text"] == texts[language]
        assert claim["inLanguage"] == language
        assert claim["workTranslation"] == [
            {"@type": "Claim", "text": texts[other], "inLanguage": other}
        ]
        assert answer.headers["Content-Language"] == language


def test_a_story_exports_alone_in_every_format(german: TestClient) -> None:
    base = f"/v1/stories/{story.KEY}/export"
    ours = {c["key"] for c in story.CLAIMS}
    graph = german.get(f"{base}/schema-org", headers={"Accept-Language": "de"}).json()["@graph"]
    assert {node["@id"].rsplit("/", 1)[1] for node in graph} == ours
    quoted = {a["text"] for node in graph for a in node["appearance"]}
    assert "Die Vorlage lag uns rechtzeitig vor." in " ".join(quoted)
    assert not any("Peskow" in text for text in quoted)  # the seed story stays out

    collection = german.get(f"{base}/annotations").json()
    versions = sum(1 for _ in story.STATEMENTS) + 1  # the correction's new version
    assert collection["total"] == versions
    page = german.get(f"{base}/annotations?page=0").json()
    assert {item["claim"].rsplit("/", 1)[1] for item in page["items"]} <= ours

    turtle = Graph().parse(data=german.get(f"{base}/prov.ttl").text, format="turtle")
    json_ld = Graph().parse(data=german.get(f"{base}/prov.jsonld").text, format="json-ld")
    claims = {
        str(o).rsplit("/", 1)[1]
        for o in turtle.objects(None, URIRef("urn:claims-ledger:vocab#claim"))
    }
    assert claims == ours
    assert len(turtle) == len(json_ld) > 0
    assert german.get("/v1/stories/no-such-story/export/prov.ttl").status_code == 404
    assert german.get(f"{base}/pdf").status_code == 422


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Vorlagen", {story.PROPOSAL}),  # the quotes say Vorlage and Vorlagen
        ("Vorlage", {story.PROPOSAL}),
        ("Preiserhöhung", {story.ENERGY, story.PROPOSAL}),  # proposition and quotes
        ("Preiserhöhungen", {story.ENERGY, story.PROPOSAL}),
        ("Preiserh*", {story.ENERGY, story.PROPOSAL}),
        ("preiserhö*", {story.ENERGY, story.PROPOSAL}),
        ("Wasserpreis", {story.RAISED}),
        ("Energiekosten unvermeidlich", {story.ENERGY}),
        ("raises water prices", {story.RAISED}),  # the English proposition, English stems
        ("raise price", {story.RAISED}),
    ],
)
def test_search_knows_german_and_english_words_and_prefixes(
    german: TestClient, q: str, expected: set[str]
) -> None:
    found = german.get("/v1/claims", params={"story": story.KEY, "q": q})
    assert found.status_code == 200
    assert {c["key"] for c in found.json()["claims"]} == expected


def test_search_finds_the_inflected_quote_and_stays_in_step_after_a_rebuild(
    german: TestClient,
) -> None:
    def quotes(q: str) -> set[str]:
        answer = german.get("/v1/statements", params={"story": story.KEY, "q": q, "limit": 100})
        return {s["source"]["quote"]["exact"] for s in answer.json()["statements"]}

    before = quotes("Vorlagen")
    assert "Die Vorlagen für den Stadtrat seien seit Wochen bekannt." in before
    assert any("Die Vorlage lag uns rechtzeitig vor." in quote for quote in before)
    assert quotes("Stadtwerk*") and quotes("Stadtwerk*") == quotes("Stadtwerke")
    german.app.state.ledger.queries.rebuild_projections()  # type: ignore[attr-defined]
    assert quotes("Vorlagen") == before


@pytest.mark.parametrize("origin", ["https://factcheck.example/page", "factcheck.example", "*"])
def test_embed_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ValidationError, match="embed_origins"):
        ApiSettings(embed_origins=[origin])
    assert ApiSettings(embed_origins=["https://factcheck.example:8443"]).embed_origins


def test_a_claim_in_two_tags_of_one_language_is_indexed_once_and_chosen_by_tag(
    client: TestClient,
) -> None:
    body = {
        "key": "tarifa-de-agua",
        "propositions": {"pt": "As tarifas de água subiram.", "pt-BR": "A conta de água subiu."},
    }
    assert client.post("/v1/claims", json=body, headers=WRITE).status_code == 201
    found = client.get("/v1/claims", params={"q": "tarifa conta"}).json()["claims"]
    assert [c["key"] for c in found] == ["tarifa-de-agua"]  # both texts, Portuguese stems
    chosen = client.get("/v1/claims/tarifa-de-agua", headers={"Accept-Language": "pt-BR"})
    assert chosen.json()["proposition"] == "A conta de água subiu."
    assert chosen.headers["Content-Language"] == "pt-BR"
