"""Per-client rate limits (``LEDGER_RATE_LIMIT``), answered 429 problem+json with Retry-After.

A client is its token's configured name when it sends a token the ledger knows, else its
address: a caller cannot escape its limit by inventing tokens, and two services sharing an
address keep separate budgets. Counting is a moving window per limit (the ``limits`` library,
in memory): each process counts for itself, so N server processes allow N times the rate.
The probes (``/healthz``, ``/readyz``) are never limited.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import presented_token
from api.problems import ProblemResponse, problem
from api.settings import TokenSpec

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})


def parse_rate_limit(text: str) -> list[RateLimitItem]:
    """``20/second;600/minute`` as limits; an empty text means no limit."""
    return parse_many(text) if text.strip() else []


def client_key(scope: Scope, tokens: tuple[TokenSpec, ...]) -> str:
    """Who a request counts against: its token's configured name when the ledger knows the
    token, else its address (rate limits and live-feed places alike)."""
    authorization = Headers(scope=scope).get("authorization")
    _, spec = presented_token(scope.setdefault("state", {}), authorization, tokens)
    if spec is not None:
        return f"token:{spec.name}"
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


class RateLimit:
    """ASGI middleware: a request over any of the client's limits gets 429 and does nothing."""

    def __init__(
        self, app: ASGIApp, *, limits: list[RateLimitItem], tokens: tuple[TokenSpec, ...]
    ) -> None:
        self.app, self.limits, self.tokens = app, limits, tokens
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        key = self.client_key(scope)
        exhausted = [item for item in self.limits if not self.limiter.test(item, key)]
        if exhausted:  # a refused request uses up none of the client's budget
            await self._refuse(exhausted, key)(scope, receive, send)
            return
        for item in self.limits:
            self.limiter.hit(item, key)
        await self.app(scope, receive, send)

    def client_key(self, scope: Scope) -> str:
        return client_key(scope, self.tokens)

    def _refuse(self, exhausted: list[RateLimitItem], key: str) -> ProblemResponse:
        resets = [self.limiter.get_window_stats(item, key).reset_time for item in exhausted]
        retry_after = max(1, math.ceil(max(resets) - time.time()))
        detail = f"over the rate limit ({'; '.join(str(item) for item in exhausted)})"
        headers = {"Retry-After": str(retry_after)}
        return problem(429, "rate-limited", detail, title="Too many requests", headers=headers)
