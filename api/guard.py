"""What every request meets before its route: one Authorization header, its token checked
before its body is read, and ``X-Content-Type-Options: nosniff`` on every answer.

A write's body (up to ``LEDGER_MAX_BODY_BYTES``) used to be read whole before the route's token
check: an anonymous client could hold connections with a megabyte each. ``EarlyAuth`` finds
the route a request will reach and, when it needs a scope (derived from its own dependencies,
so a new route needs no list), refuses a missing or wrong token at once, with the same 401/403
problem the route would give.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.auth import Forbidden, Unauthenticated, authorize
from api.body import BODY_METHODS
from api.deps import require_read, require_write
from api.settings import ApiSettings
from api.settings import Scope as TokenScope

NOSNIFF = (b"x-content-type-options", b"nosniff")


class NoSniff:
    """ASGI middleware: every answer says ``X-Content-Type-Options: nosniff``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-content-type-options" not in headers:
                    headers.append("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_nosniff)


class EarlyAuth:
    """ASGI middleware: two Authorization headers are 400; a body-carrying request to a route
    that needs a token is refused before its body is read when the token does not do."""

    def __init__(self, app: ASGIApp, *, router: Router, settings: ApiSettings) -> None:
        self.app, self.router, self.settings = app, router, settings
        self.needs: dict[int, TokenScope | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorizations = Headers(scope=scope).getlist("authorization")
        if len(authorizations) > 1:
            detail = "send one Authorization header, not several"
            await problems.problem(400, "malformed-request", detail)(scope, receive, send)
            return
        route = self.matched(scope) if scope["method"] in BODY_METHODS else None
        needed = None if route is None else self.scope_needed(route)
        if route is not None and needed is not None:
            refusal = await self._refusal(scope, needed, authorizations)
            if refusal is not None:
                scope["route"] = route.original_route  # the metrics' and the log's route label
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def matched(self, scope: Scope) -> Any:
        """The route (FastAPI's route context) this request will reach, or None."""
        for route in iter_route_contexts(self.router.routes):
            if route.matches(scope)[0] is Match.FULL:
                return route
        return None

    def scope_needed(self, route: Any) -> TokenScope | None:
        """The token scope ``route`` needs, if any, from its dependencies (computed once)."""
        key = id(route.original_route)
        if key not in self.needs:
            self.needs[key] = self._needed_by(getattr(route, "dependant", None))
        return self.needs[key]

    def _needed_by(self, dependant: Any) -> TokenScope | None:
        calls = _calls(dependant) if dependant is not None else set()
        if require_write in calls:
            return TokenScope.WRITE
        if require_read in calls and self.settings.reads_require_token:
            return TokenScope.READ
        return None

    async def _refusal(
        self, scope: Scope, needed: TokenScope, authorizations: list[str]
    ) -> problems.ProblemResponse | None:
        header = authorizations[0] if authorizations else None
        try:
            authorize(header, self.settings.tokens, needed, scope.setdefault("state", {}))
        except Unauthenticated as error:
            return await problems.unauthenticated(Request(scope), error)
        except Forbidden as error:
            return await problems.forbidden(Request(scope), error)
        return None


def _calls(dependant: Any) -> set[Callable[..., Any]]:
    """Every function a route depends on, its dependencies' dependencies included."""
    found = {dependant.call} if dependant.call is not None else set()
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found
