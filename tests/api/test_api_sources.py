"""Sources as newsrooms have them (issue 24): documents from HTML and PDF, actors' aliases,
and statement drafts, through the HTTP API on a fresh seeded ledger."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import service

from tests.support import story_writing
from tests.support.api_fixtures import WRITE, assert_problem, head
from tests.support.sources import article_html, make_pdf

ACTORS = [
    {"key": "hafenblatt", "name": "Hafenblatt", "kind": "outlet"},
    {"key": "anna-berg", "name": "Anna Berg", "kind": "person", "aliases": ["Bürgermeisterin"]},
    {"key": "tom-krueger", "name": "Tom Krüger", "kind": "person"},
    {"key": "port-authority", "name": "Hafenbehörde", "kind": "organisation"},
]
CLAIM = {"key": "bridge-plans-on-time", "propositions": {"en": "The bridge plans were on time."}}


def register_newsroom(client: TestClient) -> None:
    for actor in ACTORS:
        assert client.post("/v1/actors", json=actor, headers=WRITE).status_code == 201
    assert client.post("/v1/claims", json=CLAIM, headers=WRITE).status_code == 201


def register_html(client: TestClient, page: str, **fields: object) -> dict[str, object]:
    body = {
        "document_id": "hafenblatt-2025-03-03.html",
        "publisher": "hafenblatt",
        "language": "de",
        "url": "https://hafenblatt.example/2025/03/03/bruecke",
        "html": page,
        **fields,
    }
    response = client.post("/v1/documents", json=body, headers=WRITE)
    assert response.status_code == 201, response.text
    return client.get(response.headers["Location"]).json()  # type: ignore[no-any-return]


def test_an_html_article_registers_with_its_clean_text_metadata_and_original(
    client: TestClient,
) -> None:
    register_newsroom(client)
    page = article_html()
    document = register_html(client, page, sha256=hashlib.sha256(page.encode()).hexdigest())
    text = document["text"]
    assert isinstance(text, str)
    assert text.startswith("Hafenbrücke: Streit um die Kosten\n„Wir haben die Pläne")
    for boilerplate in ("<", "Startseite", "Anzeige", "Von Jana Weber", "Impressum", "©"):
        assert boilerplate not in text
    assert document["title"] == "Hafenbrücke: Streit um die Kosten"
    assert document["author"] == "Jana Weber"
    assert document["published"] == "2025-03-03T08:15:00+01:00"
    assert document["dated"] == "2025-03-03"
    assert document["url"] == "https://hafenblatt.example/2025/03/03/bruecke"
    assert document["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    raw = page.encode()
    assert document["original"] == {
        "media_type": "text/html",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "length": len(raw),
    }
    assert document["extractor"]["name"] == "trafilatura" and document["extractor"]["version"]
    original = client.get("/v1/documents/hafenblatt-2025-03-03.html/original")
    assert original.status_code == 200
    assert original.headers["content-type"].startswith("text/html")
    assert original.content == raw


def test_a_quote_anchors_in_the_extracted_text(client: TestClient) -> None:
    register_newsroom(client)
    register_html(client, article_html())
    body = story_writing.statement(
        CLAIM["key"], "anna-berg", "asserts", ["hafenblatt", "anna-berg"], "2025-03-03",
        "hafenblatt-2025-03-03.html", "Wir haben die Pläne rechtzeitig vorgelegt",
    )
    recorded = client.post("/v1/statements", json=body, headers=WRITE)
    assert recorded.status_code == 201, recorded.text
    anchor = recorded.json()["data"]["source"]
    assert anchor["quote"]["prefix"].endswith("Kosten\n„")
    assert anchor["position"]["start"] == 35


def test_a_pdf_registers_from_base64_with_its_information_dictionary(client: TestClient) -> None:
    pdf = make_pdf(
        ["Peskow: Es gab nur ein einziges Gespräch.", "Der Kreml wies den Bericht zurück."],
        title="Kreml weist Bericht zurück",
        author="Redaktion Außenpolitik",
    )
    body = {
        "document_id": "kreml.pdf",
        "language": "de",
        "pdf": base64.b64encode(pdf).decode(),
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }
    assert client.post("/v1/documents", json=body, headers=WRITE).status_code == 201
    document = client.get("/v1/documents/kreml.pdf").json()
    assert document["text"] == (
        "Peskow: Es gab nur ein einziges Gespräch.\nDer Kreml wies den Bericht zurück."
    )
    assert document["title"] == "Kreml weist Bericht zurück"
    assert document["author"] == "Redaktion Außenpolitik"
    assert document["published"] == "2025-03-03T08:15:00+01:00"
    assert document["original"]["media_type"] == "application/pdf"
    assert document["extractor"]["name"] == "pdfminer.six"
    original = client.get("/v1/documents/kreml.pdf/original")
    assert original.headers["content-type"] == "application/pdf" and original.content == pdf


def test_bad_sources_are_refused_naming_the_field_and_write_nothing(client: TestClient) -> None:
    before = head(client)
    page = article_html()
    base = {"document_id": "bad.html", "language": "de"}
    cases = [
        ({**base, "html": page, "sha256": "0" * 64}, "sha256"),
        ({**base, "html": page, "text": "x", "sha256": "0" * 64}, "exactly one"),
        ({**base, "pdf": "not base64!"}, "base64"),
        ({**base, "pdf": base64.b64encode(b"%PDF-1.4 nothing here").decode()}, "pdf"),
        ({**base, "html": "<html><body><div></div></body></html>"}, "html"),
        ({**base, "html": page, "url": "javascript:alert(1)"}, "url"),
    ]
    for body, named in cases:
        problem = assert_problem(client.post("/v1/documents", json=body, headers=WRITE), 422)
        assert named in str(problem), (named, problem)
    assert head(client) == before


def test_plain_text_documents_and_seeded_events_keep_their_shape(client: TestClient) -> None:
    seeded = client.get("/v1/documents/000_439eb0cae6d670e2.txt").json()
    assert seeded["original"] is None and seeded["title"] is None
    events = client.get("/v1/events?after=0&limit=100").json()["events"]
    registration = next(e for e in events if e["type"] == "DocumentRegistered")
    assert set(registration["data"]) == {
        "document_id", "publisher", "language", "dated", "sha256", "text", "note"
    }
    actor = next(e for e in events if e["type"] == "ActorRegistered")
    assert "aliases" not in actor["data"]
    assert client.get("/v1/documents/000_439eb0cae6d670e2.txt/original").content == (
        seeded["text"].encode()
    )


def test_an_actor_carries_its_aliases(client: TestClient) -> None:
    register_newsroom(client)
    assert client.get("/v1/actors/anna-berg").json()["aliases"] == ["Bürgermeisterin"]
    listed = {a["key"]: a["aliases"] for a in client.get("/v1/actors?limit=100").json()["actors"]}
    assert listed["tom-krueger"] == [] and listed["anna-berg"] == ["Bürgermeisterin"]


def test_drafts_propose_the_statements_and_one_is_recorded_through_the_write_path(
    client: TestClient,
) -> None:
    register_newsroom(client)
    document = register_html(client, article_html())
    before = head(client)
    answer = client.get("/v1/documents/hafenblatt-2025-03-03.html/drafts")
    assert answer.status_code == 200
    drafts = answer.json()["drafts"]
    assert head(client) == before  # drafting writes nothing
    by_actor = {(d["actor"], d["stance"]): d for d in drafts}
    berg = by_actor[("anna-berg", "asserts")]
    assert berg["cue"] == "sagte" and berg["kind"] == "quote"
    assert berg["quote"]["exact"].startswith("„Wir haben die Pläne")
    text = document["text"]
    assert isinstance(text, str)
    assert text[berg["position"]["start"] : berg["position"]["end"]] == berg["quote"]["exact"]
    assert ("tom-krueger", "denies") in by_actor
    assert ("tom-krueger", "asserts") in by_actor  # "…, erklärte Krüger."
    assert ("port-authority", "declines_to_comment") in by_actor
    statement = {
        "claim": CLAIM["key"],
        "actor": berg["actor"],
        "stance": berg["stance"],
        "conduit": ["hafenblatt", berg["actor"]],
        "said_at": {"precision": "unknown"},
        "source": {
            "document": "hafenblatt-2025-03-03.html",
            "quote": berg["quote"],
            "position": berg["position"],
        },
    }
    assert client.post("/v1/statements", json=statement, headers=WRITE).status_code == 201
    assert client.get("/v1/documents/nope.txt/drafts").status_code == 404


def test_drafts_are_drafted_once_per_document_and_again_when_an_actor_registers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document's text never changes, so its drafts are kept; they depend on the registered
    actors too, so registering one that the text names drafts it again and matches it."""
    register_newsroom(client)
    register_html(client, article_html())
    drafted: list[int] = []
    real = service.draft_statements

    def counted(*args: Any, **kwargs: Any) -> Any:
        drafted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "draft_statements", counted)
    path = "/v1/documents/hafenblatt-2025-03-03.html/drafts"
    first = client.get(path).json()
    assert client.get(path).json() == first and len(drafted) == 1
    assert not any(draft["actor"] == "hafen-sprecherin" for draft in first["drafts"])

    sprecherin = {"key": "hafen-sprecherin", "name": "Sprecherin der Hafenbehörde", "kind": "person",
                  "aliases": ["Eine Sprecherin der Hafenbehörde"]}
    assert client.post("/v1/actors", json=sprecherin, headers=WRITE).status_code == 201
    again = client.get(path).json()
    assert len(drafted) == 2
    assert any(draft["actor"] == "hafen-sprecherin" for draft in again["drafts"])


def test_a_pdf_given_as_null_is_no_pdf(client: TestClient) -> None:
    """JSON's null for an optional content field means it is not given (it was a 500)."""
    register_newsroom(client)
    page = article_html()
    body = {"document_id": "null-pdf.html", "publisher": "hafenblatt", "language": "de",
            "html": page, "pdf": None, "text": None}
    assert client.post("/v1/documents", json=body, headers=WRITE).status_code == 201
    before = head(client)
    refused = {"document_id": "nothing.html", "language": "de", "pdf": None}
    problem = assert_problem(client.post("/v1/documents", json=refused, headers=WRITE), 422)
    assert problem["errors"]
    assert head(client) == before
