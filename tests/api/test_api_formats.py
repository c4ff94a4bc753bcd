"""The standard formats, checked by the standards' own tooling: the W3C annotation-model JSON
schemas (web-platform-tests), pyld's JSON-LD expansion, and SPARQL over rdflib's graphs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft4Validator
from pyld import jsonld
from rdflib import Graph
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from ledger.formats.prov import relayed_by
from tests.support.api_fixtures import CENTRAL, WRITE, peskov_denial


VENDOR = Path(__file__).parent / "vendor"
ANNO = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
SCHEMA_ORG = 'application/ld+json; profile="https://schema.org"'
BASE = "http://testserver"
DEFINITIONS = VENDOR / "wpt-annotation-model"
# The annotation-model tests' checks an annotation must pass (wpt annotations/*.json).
ANNOTATION_CHECKS = [
    ("annotations.json", "annotationTypeValueFound"),
    ("annotations.json", "motivationRecognizedIfPresent"),
    ("annotations.json", "bodyValueValidIfPresent"),
    ("annotations.json", "stylesheetValueDefinition"),
    ("id.json", "idValueFound"),
]
COLLECTION_CHECKS = [
    ("collections.json", "annotationCollectionTypeValueFound"),
    ("collections.json", "labelDefinition"),
    ("collections.json", "totalFound"),
    ("collections.json", "firstRequiredIfTotalMoreThanZero"),
    ("collections.json", "lastValidIfPresent"),
    ("id.json", "idValueFound"),
]
PAGE_CHECKS = [
    ("collections.json", "annotationPageTypeValueFound"),
    ("collections.json", "partOfFound"),
    ("collections.json", "nextValidIfPresent"),
    ("collections.json", "prevValidIfPresent"),
    ("collections.json", "startIndexFound"),
    ("collections.json", "itemsFound"),
    ("id.json", "idValueFound"),
]


def registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT4))
        for path in DEFINITIONS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = registry()


def check(document: dict[str, Any], checks: list[tuple[str, str]]) -> None:
    """Every named wpt definition accepts the document (the context check too)."""
    context = {
        "oneOf": [
            {"$ref": "annotations.json#/definitions/contextValueFound"},
            {"$ref": "annotations.json#/definitions/contextValueInArrayFound"},
        ]
    }
    Draft4Validator(context, registry=REGISTRY).validate(document["@context"])
    for file, name in checks:
        schema = {"$ref": f"{file}#/definitions/{name}"}
        validator = Draft4Validator(
            schema, registry=REGISTRY, format_checker=Draft4Validator.FORMAT_CHECKER
        )
        errors = list(validator.iter_errors(document))
        assert not errors, f"{file}#{name}: {errors[0].message}"


def offline_loader(contexts: dict[str, Any]) -> Any:
    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url not in contexts:
            raise AssertionError(f"the test is offline: no context {url}")
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    return load


ANNO_LOADER = offline_loader(
    {"http://www.w3.org/ns/anno.jsonld": json.loads((VENDOR / "w3c" / "anno.jsonld").read_text())}
)


def expand(document: dict[str, Any], loader: Any = ANNO_LOADER) -> list[dict[str, Any]]:
    return jsonld.expand(document, {"documentLoader": loader})  # type: ignore[no-any-return]


def keys(value: Any) -> set[str]:
    """Every object key, at any depth, of a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in keys(item)}
    return set()


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def expanded_keys(expanded: Any) -> set[str]:
    return {k for k in keys(expanded) if not k.startswith("@")}


def seed_statement_entries(client: TestClient) -> list[dict[str, Any]]:
    return [
        entry
        for claim in client.get("/v1/claims").json()["claims"]
        for entry in client.get(f"/v1/claims/{claim['key']}/history").json()["statements"]
    ]


def test_every_seed_statement_is_a_valid_web_annotation_that_expands_without_losing_a_term(
    client: TestClient,
) -> None:
    entries = seed_statement_entries(client)
    assert len(entries) > 50
    for entry in entries:
        response = client.get(f"/v1/statements/{entry['statement_id']}", headers={"Accept": ANNO})
        assert response.status_code == 200 and response.headers["content-type"] == ANNO
        annotation = response.json()
        check(annotation, ANNOTATION_CHECKS)
        assert annotation["target"]["selector"] == [
            {"type": "TextQuoteSelector", **entry["source"]["quote"]},
            {"type": "TextPositionSelector", **entry["source"]["position"]},
        ]
        expanded = expand(annotation)
        plain = {k: v for k, v in annotation.items() if k != "@context"}
        # Every key is a term of the contexts: expansion turns each into an IRI, drops none.
        assert all(k.startswith(("http://", "urn:")) for k in expanded_keys(expanded))
        assert len(expanded_keys(expanded)) >= len(keys(plain) - {"id", "type"})
        flat = json.dumps(expanded, ensure_ascii=False)
        assert entry["source"]["quote"]["exact"] in strings(expanded)
        for term in ("oa:hasTarget", "oa:hasSelector", "oa:exact", "oa:start", "ledger:speaker"):
            prefix, _, local = term.partition(":")
            namespace = {"oa": "http://www.w3.org/ns/oa#", "ledger": "urn:claims-ledger:vocab#"}
            assert namespace[prefix] + local in flat
        assert "http://www.w3.org/ns/oa#TextQuoteSelector" in flat
        assert "http://www.w3.org/ns/oa#TextPositionSelector" in flat
        explicit = client.get(f"/v1/statements/{entry['statement_id']}/annotation")
        assert explicit.json() == annotation


def test_the_annotation_names_the_speaker_the_stance_and_the_claim(client: TestClient) -> None:
    peskov = next(
        e
        for e in client.get(f"/v1/claims/{CENTRAL}/history").json()["statements"]
        if e["actor"] == "peskov" and e["stance"] == "denies"
    )
    annotation = client.get(f"/v1/statements/{peskov['statement_id']}/annotation").json()
    assert annotation["speaker"] == f"{BASE}/v1/actors/peskov"
    assert annotation["stance"] == "denies"
    assert annotation["claim"] == f"{BASE}/v1/claims/{CENTRAL}"
    assert annotation["statement"] == f"{BASE}/v1/statements/{peskov['statement_id']}"
    assert annotation["body"][0]["value"].startswith("Dmitry Peskov denies: ")


@pytest.mark.parametrize(
    "path", [f"/v1/claims/{CENTRAL}", "/v1/documents/000_439eb0cae6d670e2.txt", "/v1"]
)
def test_annotation_collection_pages_link_correctly(client: TestClient, path: str) -> None:
    collection = client.get(f"{path}/export/annotations").json()
    check(collection, COLLECTION_CHECKS)
    seen: list[str] = []
    url: str | None = collection["first"]
    previous = None
    while url is not None:
        page = client.get(url.removeprefix(BASE)).json()
        check(page, PAGE_CHECKS)
        assert page["id"] == url and page["partOf"] == collection["id"]
        assert page["startIndex"] == len(seen)
        assert page.get("prev") == previous
        for item in page["items"]:
            check({"@context": page["@context"], **item}, ANNOTATION_CHECKS)
        expand(page)
        seen += [item["id"] for item in page["items"]]
        previous, url = url, page.get("next")
    assert previous == collection["last"]
    assert len(seen) == len(set(seen)) == collection["total"]
    assert client.get(f"{path}/export/annotations?page=999").status_code == 404


def prov_graph(client: TestClient, url: str, accept: str | None = None) -> Graph:
    response = client.get(url, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    kind = "turtle" if response.headers["content-type"].startswith("text/turtle") else "json-ld"
    return Graph().parse(data=response.text, format=kind)


def test_sparql_over_prov_answers_who_relayed_whom_as_the_api_does(client: TestClient) -> None:
    turtle = prov_graph(client, "/v1/export/prov.ttl")
    json_ld = prov_graph(client, "/v1/export/prov.jsonld")
    assert len(turtle) == len(json_ld) > 500 and turtle.isomorphic(json_ld)
    for claim in client.get("/v1/claims").json()["claims"]:
        expected = {
            f"{BASE}/v1/actors/{speaker}": [f"{BASE}/v1/actors/{n}" for n in names]
            for speaker, names in claim["relayed_by"].items()
            if names
        }
        claim_iri = f"{BASE}/v1/claims/{claim['key']}"
        assert relayed_by(turtle, claim_iri) == expected, claim["key"]
        if claim["key"] == CENTRAL:  # one claim's own export answers the same
            alone = prov_graph(client, f"/v1/claims/{CENTRAL}", accept="text/turtle")
            assert relayed_by(alone, claim_iri) == expected


def test_prov_records_corrections_and_retractions_and_sparql_follows_them(
    client: TestClient,
) -> None:
    denial = client.post("/v1/statements", json=peskov_denial(), headers=WRITE).json()
    statement_id = denial["event_id"]
    corrected = peskov_denial(conduit=["outlet-000", "peskov"], note="corrected")
    client.post(
        f"/v1/statements/{statement_id}/corrections",
        json={"reason": "note", "basis": "ledger_error", "statement": corrected},
        headers=WRITE,
    )
    relay = client.post(
        "/v1/statements",
        json=peskov_denial(actor="peskov", conduit=["outlet-000", "peskov"], note="to retract"),
        headers=WRITE,
    ).json()
    client.post(
        f"/v1/statements/{relay['event_id']}/retractions",
        json={"reason": "duplicate", "basis": "ledger_error"},
        headers=WRITE,
    )
    graph = prov_graph(client, f"/v1/claims/{CENTRAL}/export/prov.ttl")
    prefix = "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
    revisions = list(
        graph.query(prefix + "SELECT ?new ?old WHERE { ?new prov:wasRevisionOf ?old }")
    )
    assert [str(new).split("#")[0] for new, _ in revisions] == [
        f"{BASE}/v1/statements/{statement_id}"
    ]
    invalidated = list(graph.query(prefix + "SELECT ?s WHERE { ?s prov:wasInvalidatedBy ?a }"))
    assert [str(s).split("#")[0] for (s,) in invalidated] == [
        f"{BASE}/v1/statements/{relay['event_id']}"
    ]
    api = client.get(f"/v1/claims/{CENTRAL}").json()["relayed_by"]
    expected = {
        f"{BASE}/v1/actors/{s}": [f"{BASE}/v1/actors/{n}" for n in names]
        for s, names in api.items()
        if names
    }
    assert relayed_by(graph, f"{BASE}/v1/claims/{CENTRAL}") == expected


# schema.org's published context maps every term under @vocab http://schema.org/; offline, the
# test serves that @vocab mapping in its place (no other term of the export needs more).
SCHEMA_LOADER = offline_loader(
    {"https://schema.org": {"@context": {"@vocab": "http://schema.org/"}}}
)


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/claims/{CENTRAL}/export/schema-org",
        "/v1/documents/004_b1e9ed358f7a1a99.txt/export/schema-org",
        "/v1/export/schema-org",
    ],
)
def test_schema_org_export_parses_as_json_ld_and_keeps_every_quote_verbatim(
    client: TestClient, url: str
) -> None:
    document = client.get(url).json()
    expanded = expand(document, SCHEMA_LOADER)
    texts = set(strings(expanded))
    claims = document["@graph"] if "@graph" in document else [document]
    assert all(claim["@type"] == "Claim" for claim in claims)
    entries = seed_statement_entries(client)
    shown = {claim["@id"].rsplit("/", 1)[1] for claim in claims}
    scope_document = url.split("/")[3] if url.startswith("/v1/documents/") else None
    for entry in entries:
        if entry["claim"] in shown and scope_document in (None, entry["source"]["document"]):
            assert entry["source"]["quote"]["exact"] in texts
    for claim in claims:
        for appearance in claim["appearance"]:
            assert appearance["@type"] == "Quotation"
            assert appearance["author"]["@id"].startswith(f"{BASE}/v1/actors/")
    graph = Graph().parse(data=json.dumps(expanded), format="json-ld")
    assert len(graph) > 10


def test_an_unsupported_accept_is_406_problem_json(client: TestClient) -> None:
    for url in [
        f"/v1/claims/{CENTRAL}",
        "/v1/claims",
        "/v1/export/prov.ttl",
        "/v1/documents/000_439eb0cae6d670e2.txt",
    ]:
        response = client.get(url, headers={"Accept": "image/png"})
        assert response.status_code == 406
        assert response.headers["content-type"] == "application/problem+json"
        assert "text/turtle" in response.json()["detail"] or "offered" in response.json()
    assert client.get(f"/v1/claims/{CENTRAL}", headers={"Accept": "*/*"}).json()["key"] == CENTRAL
    turtle = client.get(
        f"/v1/claims/{CENTRAL}", headers={"Accept": "application/json;q=0.5, text/turtle"}
    )
    assert turtle.headers["content-type"].startswith("text/turtle")
    schema = client.get(f"/v1/claims/{CENTRAL}", headers={"Accept": SCHEMA_ORG})
    assert schema.json()["@type"] == "Claim"
