"""Registering actors, claims and documents through the API, then recording a statement on them."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from tests.support.api_fixtures import READ, WRITE, head


TEXT = "Der Kreml-Sprecher sagte am Montag: „Dazu gibt es nichts zu sagen.“\n"
DOCUMENT = {
    "document_id": "005_test.txt",
    "publisher": "outlet-000",
    "language": "de",
    "dated": "2024-10-28",
    "sha256": hashlib.sha256(TEXT.encode()).hexdigest(),
    "text": TEXT,
}
CLAIM = {
    "key": "kremlin-comments-on-musk",
    "proposition_en": "The Kremlin commented on Musk.",
    "proposition_de": "Der Kreml äußerte sich zu Musk.",
}


def test_registering_actor_claim_and_document_then_a_statement_on_them(client: TestClient) -> None:
    actor = client.post(
        "/v1/actors",
        json={"key": "kremlin", "name": "Kremlin", "kind": "organisation"},
        headers=WRITE,
    )
    assert actor.status_code == 201 and actor.headers["Location"] == "/v1/actors/kremlin"
    assert client.post("/v1/claims", json=CLAIM, headers=WRITE).status_code == 201
    document = client.post("/v1/documents", json=DOCUMENT, headers=WRITE)
    assert document.status_code == 201
    assert client.get(document.headers["Location"]).json()["text"] == TEXT
    exact = "„Dazu gibt es nichts zu sagen.“"
    start = TEXT.index(exact)
    statement = {
        "claim": CLAIM["key"],
        "actor": "kremlin",
        "stance": "declines_to_comment",
        "conduit": ["outlet-000", "kremlin"],
        "said_at": {"precision": "day", "value": "2024-10-28"},
        "source": {
            "document": DOCUMENT["document_id"],
            "quote": {"exact": exact, "prefix": "", "suffix": ""},
            "position": {"start": start, "end": start + len(exact)},
        },
    }
    recorded = client.post("/v1/statements", json=statement, headers=WRITE)
    assert recorded.status_code == 201, recorded.text
    assert client.get(f"/v1/claims/{CLAIM['key']}").json()["declined_by"] == ["kremlin"]


def test_a_taken_key_is_409_and_a_retry_with_its_key_is_201(client: TestClient) -> None:
    headers = WRITE | {"Idempotency-Key": "register-claim-1"}
    first = client.post("/v1/claims", json=CLAIM, headers=headers)
    again = client.post("/v1/claims", json=CLAIM, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    before = head(client)
    taken = client.post("/v1/claims", json=CLAIM, headers=WRITE)
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert head(client) == before


def test_registrations_are_refused_without_write_scope_or_with_a_bad_hash(
    client: TestClient,
) -> None:
    before = head(client)
    assert client.post("/v1/claims", json=CLAIM, headers=READ).status_code == 403
    wrong = DOCUMENT | {"sha256": "0" * 64}
    response = client.post("/v1/documents", json=wrong, headers=WRITE)
    assert response.status_code == 422
    assert TEXT not in response.text
    assert head(client) == before
