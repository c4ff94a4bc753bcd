"""The HTTP edge: the one ASGI middleware every request passes, in one pass each way.

Around everything, for every answer whoever gives it: a request id (``X-Request-ID``, see
:mod:`api.access_log`), the request metrics by route template (:mod:`api.metrics`), one
access-log line, and ``X-Content-Type-Options: nosniff``.

Then the middlewares that must see the answers of the checks below (CORS, so its headers reach
the browser on a 401 or 413 too; rate limits; conditional reads), given as ``around``.

Then, just before the route: one Authorization header (else 400); a body-carrying request to
a route that needs a token is refused before its body is read when the token does not do (an
anonymous client could otherwise hold connections with a megabyte each); and the body's size,
media type and strict JSON (:mod:`api.body`), parsed once and handed on to the route. Which
scope a route needs is derived from its own dependencies, so a new route needs no list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.access_log import REQUEST_ID_HEADER, log_request, request_id_of
from api.auth import Forbidden, Unauthenticated, authorize
from api.body import BODY_METHODS, BodyLimits
from api.deps import require_read, require_write
from api.metrics import LedgerMetrics, route_template
from api.settings import ApiSettings
from api.settings import Scope as TokenScope

Wrapper = Callable[[ASGIApp], ASGIApp]


class HttpEdge:
    """ASGI middleware: see the module docstring. ``around`` wraps the checks, innermost
    first."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        router: Router,
        metrics: LedgerMetrics,
        settings: ApiSettings,
        around: Iterable[Wrapper] = (),
    ) -> None:
        self.metrics = metrics
        inner: ASGIApp = _RouteChecks(app, router, settings)
        for wrap in around:
            inner = wrap(inner)
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        request_id = request_id_of(Headers(scope=scope))
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                if "x-content-type-options" not in headers:
                    headers.append("X-Content-Type-Options", "nosniff")
                self._answered(scope, request_id, message["status"], started)
            await send(message)

        try:
            await self.inner(scope, receive, send_marked)
        except BaseException:
            self._answered(scope, request_id, 500, started)
            raise

    def _answered(self, scope: Scope, request_id: str, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        method, route = scope["method"], route_template(scope)
        self.metrics.observe_request(method, route, status, seconds)
        log_request(scope, request_id, route, status, seconds)


class _RouteChecks:
    """The edge's checks just before the route: one Authorization header, the token before
    the body, the body read and parsed once."""

    def __init__(self, app: ASGIApp, router: Router, settings: ApiSettings) -> None:
        self.app, self.router, self.settings = app, router, settings
        self.body = BodyLimits(
            max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds
        )
        self.needs: dict[int, TokenScope | None] = {}
        self._routes: list[Any] = []
        self._routes_read_from = -1  # how many routes the router had when they were read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorizations = Headers(scope=scope).getlist("authorization")
        if len(authorizations) > 1:
            detail = "send one Authorization header, not several"
            await problems.problem(400, "malformed-request", detail)(scope, receive, send)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        if await self._refused_early(scope, receive, send, authorizations):
            return
        admitted = await self.body.admit(scope, receive, send)
        if admitted is not None:
            await self.app(scope, admitted, send)

    async def _refused_early(
        self, scope: Scope, receive: Receive, send: Send, authorizations: list[str]
    ) -> bool:
        """Whether the route this write reaches needs a token this request lacks (answered)."""
        route = self.matched(scope)
        needed = None if route is None else self.scope_needed(route)
        if needed is None:
            return False
        refusal = await self._refusal(scope, needed, authorizations)
        if refusal is None:
            return False
        scope["route"] = route.original_route  # the metrics' and the log's route label
        await refusal(scope, receive, send)
        return True

    def matched(self, scope: Scope) -> Any:
        """The route (FastAPI's route context) this request will reach, or None."""
        if self._routes_read_from != len(self.router.routes):
            self._routes = list(iter_route_contexts(self.router.routes))
            self._routes_read_from = len(self.router.routes)
        for route in self._routes:
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
