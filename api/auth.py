"""Bearer tokens: hashed with SHA-256, compared in constant time against every configured hash."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import MutableMapping
from typing import Any

from api.settings import Scope, TokenSpec


class Unauthenticated(Exception):
    """No bearer token, or one that matches no configured token (401)."""


class Forbidden(Exception):
    """A valid token without the scope the request needs (403)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        super().__init__(f"this token lacks the {scope} scope")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def match_token(token: str, specs: tuple[TokenSpec, ...]) -> TokenSpec | None:
    """The configured token whose hash is the token's; every hash is compared, no early exit."""
    digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    found = None
    for spec in specs:
        if hmac.compare_digest(digest, spec.sha256):
            found = spec
    return found


PRESENTED = "ledger.presented_token"


def presented_token(
    state: MutableMapping[str, Any], authorization: str | None, specs: tuple[TokenSpec, ...]
) -> tuple[str | None, TokenSpec | None]:
    """The request's bearer token and the configured token it matches, hashed once per request.

    ``state`` is the ASGI scope's per-request state: the rate limiter asks first, the route's
    authorization after it, and the second asker gets the first one's answer.
    """
    if PRESENTED not in state:
        token = bearer_token(authorization)
        state[PRESENTED] = (token, None if token is None else match_token(token, specs))
    found: tuple[str | None, TokenSpec | None] = state[PRESENTED]
    return found


def authorize(
    authorization: str | None,
    specs: tuple[TokenSpec, ...],
    scope: Scope,
    state: MutableMapping[str, Any] | None = None,
) -> TokenSpec:
    """The token allowed to act with ``scope``; raise Unauthenticated or Forbidden otherwise."""
    token, spec = presented_token({} if state is None else state, authorization, specs)
    if spec is None:
        raise Unauthenticated("a bearer token is needed" if token is None else "unknown token")
    if not spec.scopes & ({scope} | IMPLIED_BY.get(scope, set())):
        raise Forbidden(scope)
    return spec


IMPLIED_BY: dict[Scope, set[Scope]] = {
    Scope.READ: {Scope.WRITE, Scope.AUDIT},  # whoever writes or audits may read
    Scope.AUDIT: {Scope.WRITE},  # a writer may run the integrity walk too
}
