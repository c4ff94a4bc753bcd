"""The HTTP layer's own settings (prefix ``LEDGER_``), separate from the ledger core's."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Self

from limits import parse_many
from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN = "dev-write-token"  # well known on purpose; refused in production
DEV_TOKEN_SHA256 = hashlib.sha256(DEV_TOKEN.encode()).hexdigest()
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
TOKEN_ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]{1,64}):(?P<scopes>[a-z+]+):(?P<sha256>[0-9a-f]{64})$"
)


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    METRICS = "metrics"  # scrapes /metrics when LEDGER_METRICS_REQUIRE_TOKEN is set
    AUDIT = "audit"  # runs the integrity walk (GET /v1/audit/verify); write may too


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """A configured bearer token: a name for logs, its scopes, and only the SHA-256 of its text."""

    name: str
    scopes: frozenset[Scope]
    sha256: str


def parse_tokens(text: str) -> tuple[TokenSpec, ...]:
    """``name:scope+scope:sha256hex`` entries separated by commas or whitespace."""
    specs = []
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        match = TOKEN_ENTRY.fullmatch(entry)
        if match is None:
            raise ValueError("each token is name:scope[+scope]:sha256-hex (lowercase hex)")
        scopes = frozenset(Scope(scope) for scope in match["scopes"].split("+"))
        specs.append(TokenSpec(match["name"], scopes, match["sha256"]))
    return tuple(specs)


class ApiSettings(BaseSettings):
    """Tokens, CORS, limits; pass an instance to ``create_app``, or let it read the environment."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    api_tokens: str = Field(default="", description="name:scope[+scope]:sha256, comma-separated")
    reads_require_token: bool = False
    metrics_require_token: bool = False
    cors_origins: list[str] = []
    embed_origins: list[str] = Field(
        default=[],
        description="JSON list of origins (https://host[:port]) whose pages may frame "
        "/embed/story/{key}; empty: none may",
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    feed_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    feed_ping_seconds: float = Field(default=15, gt=0)
    feed_max_per_client: int = Field(
        default=8, ge=1, description="live feeds (/v1/events/stream) one client may hold open"
    )
    header_timeout_seconds: float = Field(
        default=10, gt=0, le=300, description="a request's headers must arrive within this"
    )
    access_log: bool = Field(
        default=True, description="one JSON line per request on stderr (ledger serve)"
    )
    body_timeout_seconds: float = Field(
        default=30, gt=0, le=600, description="a request's body must arrive within this"
    )
    rate_limit: str = Field(
        default="",
        description="per-client limits like '20/second;600/minute'; empty means none",
        max_length=200,
    )

    @field_validator("embed_origins")
    @classmethod
    def _embed_origins_are_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not ORIGIN.match(origin):
                raise ValueError(
                    f"embed_origins: {origin!r} is not an origin: give scheme://host[:port], "
                    "like https://factcheck.example, without a path"
                )
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        if value.strip():
            try:
                parse_many(value)
            except ValueError:
                raise ValueError("rate_limit is like '20/second;600/minute'") from None
        return value

    _tokens: tuple[TokenSpec, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _tokens_parsed_once(self) -> Self:
        """Parse LEDGER_API_TOKENS here, once; refuse the development token in production."""
        specs = parse_tokens(self.api_tokens)
        if self.environment == "production" and any(s.sha256 == DEV_TOKEN_SHA256 for s in specs):
            raise ValueError("the development token is refused when LEDGER_ENVIRONMENT=production")
        self._tokens = specs
        return self

    @property
    def tokens(self) -> tuple[TokenSpec, ...]:
        """The configured tokens, as parsed when the settings were made."""
        return self._tokens
