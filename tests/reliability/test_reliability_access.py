"""Access: tokens, scopes, constant-time comparison, no token in any log, CORS, rate limits."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api import auth
from api.app import create_app
from api.settings import parse_tokens
from ledger.settings import Settings
from tests.support.api_fixtures import (
    CENTRAL,
    READ,
    READ_TOKEN,
    WRITE,
    WRITE_TOKEN,
    api_settings,
    head,
    peskov_denial,
    seed_statement_id,
)
from tests.support.server import LedgerServer
from tests.support.api_fixtures import assert_problem


PESKOV = seed_statement_id("000-peskov-denies-regular-contact")
WRITES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/statements", peskov_denial()),
    (f"/v1/statements/{PESKOV}/retractions", {"reason": "r", "basis": "ledger_error"}),
    (
        f"/v1/statements/{PESKOV}/corrections",
        {"reason": "r", "basis": "ledger_error", "statement": peskov_denial()},
    ),
    ("/v1/actors", {"key": "new-actor", "name": "New", "kind": "person"}),
    ("/v1/claims", {"key": "new-claim", "proposition_en": "x", "proposition_de": "x"}),
]
UNKNOWN_TOKEN = "not-a-configured-token"
CREDENTIALS = {
    "no token": ({}, 401),
    "an unknown token": ({"Authorization": f"Bearer {UNKNOWN_TOKEN}"}, 401),
    "another scheme": ({"Authorization": f"Basic {WRITE_TOKEN}"}, 401),
    "an empty bearer": ({"Authorization": "Bearer "}, 401),
    "the token twice": ({"Authorization": f"Bearer {WRITE_TOKEN} {WRITE_TOKEN}"}, 401),
    "a read-only token": (READ, 403),
}


@pytest.mark.parametrize("who", list(CREDENTIALS))
def test_every_write_route_refuses_without_the_write_scope(
    shared_client: TestClient, who: str
) -> None:
    headers, status = CREDENTIALS[who]
    before = head(shared_client)
    for path, payload in WRITES:
        response = shared_client.post(path, json=payload, headers=headers)
        problem = assert_problem(response, status)
        assert WRITE_TOKEN not in response.text and READ_TOKEN not in response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if status == 403:
            assert str(problem["type"]).endswith(":forbidden")
    assert head(shared_client) == before


def test_reads_need_a_token_when_configured(seeded_settings: Settings) -> None:
    app = create_app(seeded_settings, api_settings(reads_require_token=True))
    with TestClient(app) as client:
        for path in ("/v1/claims", f"/v1/claims/{CENTRAL}", "/v1/events", "/v1/audit/verify"):
            assert_problem(client.get(path), 401)
            assert client.get(path, headers=READ).status_code == 200
            assert client.get(path, headers=WRITE).status_code == 200
        assert client.get("/healthz").status_code == 200  # probes stay open


def test_tokens_are_compared_as_hashes_against_every_configured_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No early exit and no comparison of the raw token: the time taken says nothing."""
    texts = ["alpha-token", "beta-token", "gamma-token"]
    specs = parse_tokens(
        ",".join(f"t{i}:read:{hashlib.sha256(t.encode()).hexdigest()}" for i, t in enumerate(texts))
    )
    compared: list[tuple[str, str]] = []
    compare = hmac.compare_digest

    def counting(a: str, b: str) -> bool:
        compared.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    for token in [*texts, "unknown", "a" * 10_000]:
        compared.clear()
        auth.match_token(token, specs)
        assert len(compared) == len(specs), token
        assert all(len(a) == len(b) == 64 for a, b in compared)
        assert all(token not in (a, b) for a, b in compared)


def test_no_token_reaches_the_server_log(seeded_settings: Settings, tmp_path: Path) -> None:
    """A real server at its default log level, sent tokens on good and failing requests."""
    tokens = [WRITE_TOKEN, READ_TOKEN, UNKNOWN_TOKEN]
    with (
        LedgerServer(seeded_settings.database_url, tmp_path) as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):
        for n, token in enumerate(tokens):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"log-{n}"}
            answers = [
                http.post("/v1/statements", json=peskov_denial(), headers=headers),
                http.post("/v1/statements", json=peskov_denial(stance="x"), headers=headers),
                http.post("/v1/statements", content=b"{", headers=headers),
                http.get("/v1/nothing", headers=headers),
                http.get(f"/v1/claims/{CENTRAL}", headers=headers),
            ]
            assert all(token not in answer.text for answer in answers)
    log = server.log.read_text()
    assert '"method":"POST","route":"/v1/statements"' in log  # the JSON access log ran
    assert '"token":"writer"' in log  # the token's name, never the token
    assert all(token not in log for token in tokens)


def test_no_token_reaches_the_application_log_on_an_unexpected_error(
    seeded_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from api.deps import get_queries

    app = create_app(seeded_settings, api_settings())

    def broken() -> None:
        raise RuntimeError("internal failure")

    app.dependency_overrides[get_queries] = broken
    with caplog.at_level(logging.DEBUG), TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/v1/claims", headers=WRITE).status_code == 500
    assert "internal failure" in caplog.text  # it was logged, with its traceback
    assert WRITE_TOKEN not in caplog.text


ALLOWED = "https://timeline.example"
REFUSED_ORIGINS = ["https://evil.example", "null", "https://timeline.example.evil.example"]


@pytest.fixture
def cors_client(seeded_settings: Settings) -> Iterator[TestClient]:
    app = create_app(seeded_settings, api_settings(cors_origins=[ALLOWED], rate_limit="3/minute"))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("origin", REFUSED_ORIGINS)
def test_cors_refuses_an_unlisted_origin(cors_client: TestClient, origin: str) -> None:
    preflight = cors_client.options(
        "/v1/statements",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert_problem(preflight, 400)
    assert "access-control-allow-origin" not in preflight.headers
    read = cors_client.get("/healthz", headers={"Origin": origin})
    assert "access-control-allow-origin" not in read.headers


def test_cors_allows_the_listed_origin(cors_client: TestClient) -> None:
    preflight = cors_client.options(
        "/v1/statements",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    read = cors_client.get("/healthz", headers={"Origin": ALLOWED})
    assert read.headers["access-control-allow-origin"] == ALLOWED


def test_without_configured_origins_no_origin_is_allowed(shared_client: TestClient) -> None:
    read = shared_client.get("/v1/claims", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in read.headers


def test_a_rate_limit_answers_429_with_retry_after_and_does_nothing(
    cors_client: TestClient,
) -> None:
    before = head(cors_client)
    for _ in range(3):
        assert cors_client.get("/v1/claims", headers=WRITE).status_code == 200
    refused = cors_client.post(
        "/v1/statements", json=peskov_denial(), headers=WRITE | {"Origin": ALLOWED}
    )
    problem = assert_problem(refused, 429)
    assert str(problem["type"]).endswith(":rate-limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["access-control-allow-origin"] == ALLOWED  # the page can read it
    assert head(cors_client) == before
    assert cors_client.get("/readyz").status_code == 200  # probes are never limited
    for _ in range(3):  # another client, another budget: the read token and an anonymous one
        assert cors_client.get("/v1/claims", headers=READ).status_code == 200
    assert cors_client.get("/v1/claims", headers=READ).status_code == 429
    assert cors_client.get("/v1/claims").status_code == 200


def test_a_malformed_rate_limit_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        api_settings(rate_limit="lots")
