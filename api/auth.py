"""Bearer tokens: hashed with SHA-256, compared in constant time against every configured hash."""

from __future__ import annotations

import hashlib
import hmac

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


def authorize(authorization: str | None, specs: tuple[TokenSpec, ...], scope: Scope) -> TokenSpec:
    """The token allowed to act with ``scope``; raise Unauthenticated or Forbidden otherwise."""
    token = bearer_token(authorization)
    spec = None if token is None else match_token(token, specs)
    if spec is None:
        raise Unauthenticated("a bearer token is needed" if token is None else "unknown token")
    if scope not in spec.scopes and not (scope is Scope.READ and Scope.WRITE in spec.scopes):
        raise Forbidden(scope)
    return spec
