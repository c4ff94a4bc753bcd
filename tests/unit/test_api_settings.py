"""LEDGER_API_TOKENS is parsed once, when the settings are made, and refused there if malformed."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from api.auth import match_token
from api.settings import ApiSettings, Scope


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
