"""Writing through the API: append, idempotent retries, If-Match, retractions, corrections, auth."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from api.app import create_app
from api.schemas import PESKOV_DENIES, PESKOV_DENIES_EXACT_ONLY
from api.settings import DEV_TOKEN_SHA256, ApiSettings
from ledger.domain.events import StatementRecorded
from ledger.domain.model import Frozen, StatementFields
from ledger.settings import Settings
from ledger.store import Append, Planned
from tests.support.api_fixtures import (
    CENTRAL,
    READ,
    WRITE,
    api_settings,
    head,
    peskov_denial,
    seed_statement_id,
)


PESKOV_000 = seed_statement_id("000-peskov-denies-regular-contact")
PESKOV_004 = seed_statement_id("004-peskov-denies-regular-contact")


def claim_state(client: TestClient, key: str = CENTRAL) -> str:
    return str(client.get(f"/v1/claims/{key}").json()["state"])


def claim_etag(client: TestClient, key: str = CENTRAL) -> str:
    return client.get(f"/v1/claims/{key}").headers["ETag"]


def test_append_answers_201_with_the_envelope_and_location(client: TestClient) -> None:
    before = head(client)
    response = client.post("/v1/statements", json=peskov_denial(), headers=WRITE)
    assert response.status_code == 201
    envelope = response.json()
    assert envelope["position"] == before + 1
    assert envelope["stream"] == f"claim:{CENTRAL}"
    assert envelope["type"] == "StatementRecorded"
    assert set(envelope) >= {"event_id", "version", "hash", "prev_hash", "recorded_at", "data"}
    assert envelope["metadata"] == {"via": "http", "token": "writer"}
    assert response.headers["Location"] == f"/v1/statements/{envelope['event_id']}"
    statement = client.get(response.headers["Location"]).json()
    assert statement["status"] == "standing"
    assert statement["current"]["actor"] == "peskov"


def test_same_idempotency_key_and_body_writes_once(client: TestClient) -> None:
    before = head(client)
    headers = WRITE | {"Idempotency-Key": "peskov-retry-1"}
    first = client.post("/v1/statements", json=peskov_denial(), headers=headers)
    again = client.post("/v1/statements", json=peskov_denial(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.headers["Location"] == again.headers["Location"]
    assert head(client) == before + 1


def test_same_idempotency_key_with_another_body_is_422_and_writes_nothing(
    client: TestClient,
) -> None:
    headers = WRITE | {"Idempotency-Key": "peskov-retry-2"}
    client.post("/v1/statements", json=peskov_denial(), headers=headers)
    before = head(client)
    other = client.post("/v1/statements", json=peskov_denial(note="other"), headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("event-id-conflict")
    assert head(client) == before


def test_a_client_supplied_event_id_is_a_retry_key_too(client: TestClient) -> None:
    body = peskov_denial(event_id="7d0f7d8e-3b7e-4c55-9a37-0c4b8f0f3a11")
    first = client.post("/v1/statements", json=body, headers=WRITE)
    before = head(client)
    again = client.post("/v1/statements", json=body, headers=WRITE)
    assert again.status_code == 201
    assert again.json()["event_id"] == first.json()["event_id"] == body["event_id"]
    assert head(client) == before


@pytest.mark.parametrize("tag", ['"{v}"', 'W/"{v}"', "*"])
def test_if_match_with_the_current_version_appends(client: TestClient, tag: str) -> None:
    version = claim_etag(client).strip('"')
    headers = WRITE | {"If-Match": tag.format(v=version)}
    response = client.post("/v1/statements", json=peskov_denial(), headers=headers)
    assert response.status_code == 201
    assert response.json()["version"] == int(version) + 1
    assert claim_etag(client) == f'"{int(version) + 1}"'


def test_if_match_with_a_stale_version_is_412_and_writes_nothing(client: TestClient) -> None:
    stale = claim_etag(client)
    client.post("/v1/statements", json=peskov_denial(), headers=WRITE)
    before = head(client)
    response = client.post(
        "/v1/statements", json=peskov_denial(), headers=WRITE | {"If-Match": stale}
    )
    assert response.status_code == 412
    assert response.json()["status"] == 412
    assert head(client) == before


def test_a_malformed_if_match_is_refused(client: TestClient) -> None:
    before = head(client)
    response = client.post(
        "/v1/statements", json=peskov_denial(), headers=WRITE | {"If-Match": "three"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "If-Match"
    assert head(client) == before


def test_a_statement_the_ledger_refuses_names_the_field(client: TestClient) -> None:
    body = peskov_denial()
    body["source"]["position"] = {"start": 2346, "end": 2434}
    before = head(client)
    response = client.post("/v1/statements", json=body, headers=WRITE)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "source.quote.exact"
    assert head(client) == before


@pytest.mark.parametrize(
    "body",
    [peskov_denial(), copy.deepcopy(PESKOV_DENIES_EXACT_ONLY)],
    ids=["positioned", "exact-quote-only"],
)
def test_a_recorded_statement_is_built_once_the_event_the_ledger_appends(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> None:
    """The body is anchored straight into the event: no draft copied from the body, no
    statement copied into the event; the one built is the one appended, and it is stored."""
    built: list[BaseModel] = []
    construct = BaseModel.__dict__["model_construct"].__func__

    def counted(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
        made = construct(cls, *args, **kwargs)
        if isinstance(made, StatementFields):
            built.append(made)
        return made

    monkeypatch.setattr(Frozen, "model_construct", classmethod(counted))
    store = client.app.state.ledger.ledger.store  # type: ignore[attr-defined]
    appended: list[object] = []
    submit = store.submit

    def recording(append: Append, **options: Any) -> Any:
        assert isinstance(append.plan, Planned)
        appended.extend(event.payload for event in append.plan.events)
        return submit(append, **options)

    monkeypatch.setattr(store, "submit", recording)
    response = client.post("/v1/statements", json=body, headers=WRITE)
    assert response.status_code == 201
    assert [type(made) for made in built] == [StatementRecorded]
    assert len(appended) == 1 and appended[0] is built[0]
    assert response.json()["data"] == built[0].data()
    assert response.json()["data"]["source"]["position"] == PESKOV_DENIES["source"]["position"]


def test_retracting_peskovs_denials_leaves_the_claim_asserted(client: TestClient) -> None:
    assert claim_state(client) == "contested"
    body = {"reason": "Test: misattributed.", "basis": "ledger_error"}
    first = client.post(f"/v1/statements/{PESKOV_000}/retractions", json=body, headers=WRITE)
    assert first.status_code == 201
    assert first.json()["type"] == "StatementRetracted"
    assert first.headers["Location"] == f"/v1/statements/{PESKOV_000}"
    assert claim_state(client) == "contested"  # his 004 denial still stands
    client.post(f"/v1/statements/{PESKOV_004}/retractions", json=body, headers=WRITE)
    assert claim_state(client) == "asserted"
    assert client.get(f"/v1/statements/{PESKOV_000}").json()["status"] == "retracted"


def test_retracting_twice_is_409_and_unknown_statements_404(client: TestClient) -> None:
    body = {"reason": "Test.", "basis": "source_changed"}
    client.post(f"/v1/statements/{PESKOV_000}/retractions", json=body, headers=WRITE)
    before = head(client)
    again = client.post(f"/v1/statements/{PESKOV_000}/retractions", json=body, headers=WRITE)
    assert again.status_code == 409
    missing = client.post(
        "/v1/statements/00000000-0000-4000-8000-000000000000/retractions", json=body, headers=WRITE
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert head(client) == before


def test_a_retried_retraction_returns_the_stored_event(client: TestClient) -> None:
    body = {"reason": "Test.", "basis": "ledger_error"}
    headers = WRITE | {"Idempotency-Key": "retract-once"}
    first = client.post(f"/v1/statements/{PESKOV_000}/retractions", json=body, headers=headers)
    before = head(client)
    again = client.post(f"/v1/statements/{PESKOV_000}/retractions", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert head(client) == before


def test_correcting_peskovs_latest_reading_changes_the_claim(client: TestClient) -> None:
    corrected = peskov_denial(stance="questions", note="Test: read as a question.")
    body = {"reason": "Test: misread.", "basis": "ledger_error", "statement": corrected}
    version = claim_etag(client)
    response = client.post(
        f"/v1/statements/{PESKOV_000}/corrections", json=body, headers=WRITE | {"If-Match": version}
    )
    assert response.status_code == 201
    assert response.json()["type"] == "StatementCorrected"
    view = client.get(f"/v1/claims/{CENTRAL}").json()
    peskov = next(stance for stance in view["stances"] if stance["actor"] == "peskov")
    assert peskov["stance"] == "questions"
    assert peskov["corrected"] is True
    assert view["state"] == "asserted"
    versions = client.get(response.headers["Location"]).json()["versions"]
    assert [v["status"] for v in versions] == ["corrected", "standing"]


def test_a_correction_onto_another_claim_is_refused(client: TestClient) -> None:
    corrected = peskov_denial(claim="musk-had-direct-contact-with-putin")
    body = {"reason": "Test.", "basis": "ledger_error", "statement": corrected}
    before = head(client)
    response = client.post(f"/v1/statements/{PESKOV_000}/corrections", json=body, headers=WRITE)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "statement.claim"
    assert head(client) == before


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-configured-token"}, 401),
        ({"Authorization": "Basic dGVzdDp0ZXN0"}, 401),
        (READ, 403),
    ],
)
def test_writes_need_a_write_token(
    client: TestClient, headers: dict[str, str], status: int
) -> None:
    before = head(client)
    response = client.post("/v1/statements", json=peskov_denial(), headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "test-" not in response.text  # no token echoed
    assert head(client) == before


def test_reads_are_open_unless_configured(seeded_settings: Settings) -> None:
    app = create_app(seeded_settings, api_settings(reads_require_token=True))
    with TestClient(app) as closed:
        assert closed.get("/v1/claims").status_code == 401
        assert closed.get("/v1/claims", headers=READ).status_code == 200
        assert closed.get("/v1/claims", headers=WRITE).status_code == 200
        assert closed.get("/healthz").status_code == 200


def test_production_refuses_the_development_token() -> None:
    with pytest.raises(ValidationError, match="development token"):
        ApiSettings(environment="production", api_tokens=f"dev:read+write:{DEV_TOKEN_SHA256}")
    assert ApiSettings(environment="development", api_tokens=f"dev:write:{DEV_TOKEN_SHA256}")


def test_malformed_token_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        ApiSettings(api_tokens="dev:write:not-a-hash").tokens  # noqa: B018
