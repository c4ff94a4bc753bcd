"""LEDGER_API_TOKENS is parsed once, when the settings are made; a request hashes its token once."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api import auth
from api.app import create_app
from api.auth import match_token
from api.settings import ApiSettings, Scope, TokenSpec
from ledger.settings import Settings
from tests.support.api_fixtures import READ, READ_TOKEN, api_settings


def test_tokens_are_parsed_when_the_settings_are_made_and_kept() -> None:
    digest = hashlib.sha256(b"s3cret").hexdigest()
    settings = ApiSettings(api_tokens=f"ci:read+write:{digest}, scraper:metrics:{'0' * 64}")
    assert settings.tokens is settings.tokens  # no second parse on a later request
    assert [(t.name, t.scopes) for t in settings.tokens] == [
        ("ci", frozenset({Scope.READ, Scope.WRITE})),
        ("scraper", frozenset({Scope.METRICS})),
    ]
    assert match_token("s3cret", settings.tokens) == settings.tokens[0]
    assert match_token("other", settings.tokens) is None


def test_a_malformed_token_entry_is_refused_at_startup_not_on_first_use() -> None:
    with pytest.raises(ValidationError, match="name:scope"):
        ApiSettings(api_tokens="ci:write:NOT-HEX")


def test_a_request_hashes_its_token_once_with_the_rate_limiter_in_front(
    seeded_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real = auth.match_token

    def counting(token: str, specs: tuple[TokenSpec, ...]) -> TokenSpec | None:
        hashed.append(token)
        return real(token, specs)

    monkeypatch.setattr(auth, "match_token", counting)
    limited = api_settings(rate_limit="1000/second", reads_require_token=True)
    with TestClient(create_app(seeded_settings, limited)) as client:
        assert client.get("/v1/claims", headers=READ).status_code == 200
        assert client.get("/v1/claims", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert hashed == [READ_TOKEN, "nope"]
