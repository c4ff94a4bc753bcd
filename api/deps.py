"""What routes depend on, as ``Annotated`` aliases: the ledger, settings, access, time, versions.

Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in its
thread pool, a hop per dependency per request that costs more than the work itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

from urllib.parse import urlencode

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.auth import Forbidden, authorize
from api.conditional import mark_pinned
from api.responses import trusted_json
from api.settings import ApiSettings, Scope, TokenSpec
from ledger.bootstrap import Wiring
from ledger.domain.model import DOCUMENT_ID_PATTERN, KEY_PATTERN
from ledger.errors import InvalidInput
from ledger.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from ledger.projections.queries import PointInTime
from ledger.audit.log import TransparencyLog
from ledger.projections.replay import parse_instant
from ledger.service import Ledger, LedgerQueries, WriteOptions
from ledger.store import ANY, ExpectedVersion, SqlEventStore

bearer = HTTPBearer(auto_error=False, description="A token configured in LEDGER_API_TOKENS")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_app(request: Request) -> Wiring:
    return request.app.state.ledger  # type: ignore[no-any-return]


async def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.api_settings  # type: ignore[no-any-return]


AppDep = Annotated[Wiring, Depends(get_app)]
ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]


async def get_ledger(app: AppDep) -> Ledger:
    return app.ledger


READ_FROM_HEADER = "X-Ledger-Read-From"


async def get_queries(
    app: AppDep,
    response: Response,
    min_position: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**53,
            description="Read-your-writes: answer from a replica only once it has this "
            "position (the position a write answered); else from the primary.",
        ),
    ] = None,
) -> LedgerQueries:
    """The primary's queries, or a read replica's when replicas are configured (a header
    says which answered)."""
    if app.replicas is None:
        return app.queries
    choice = app.replicas.choose(min_position)
    response.headers[READ_FROM_HEADER] = choice.served_by
    return choice.queries


async def get_store(app: AppDep) -> SqlEventStore:
    return app.store


async def get_log(app: AppDep) -> TransparencyLog:
    return app.log


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
LogDep = Annotated[TransparencyLog, Depends(get_log)]
QueriesDep = Annotated[LedgerQueries, Depends(get_queries)]
StoreDep = Annotated[SqlEventStore, Depends(get_store)]


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return None if credentials is None else f"{credentials.scheme} {credentials.credentials}"


def _state(request: Request) -> dict[str, Any]:
    """The request's ASGI state, where the rate limiter left the token it matched."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def _authorize(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    settings: ApiSettings,
    scope: Scope,
) -> TokenSpec:
    """The caller's token if it carries ``scope``; its name (never the token) goes to the log."""
    header = _header(credentials)
    spec = authorize(header, settings.tokens, scope, _state(request))
    request.state.token_name = spec.name
    return spec


async def require_write(
    request: Request, credentials: Credentials, settings: ApiSettingsDep
) -> TokenSpec:
    """The caller's token, if it carries the write scope (else 401 or 403)."""
    return _authorize(request, credentials, settings, Scope.WRITE)


async def require_read(
    request: Request, credentials: Credentials, settings: ApiSettingsDep
) -> None:
    """Reads are open unless LEDGER_READS_REQUIRE_TOKEN is set; then any read token will do."""
    if settings.reads_require_token:
        _authorize(request, credentials, settings, Scope.READ)


async def require_metrics(
    request: Request, credentials: Credentials, settings: ApiSettingsDep
) -> None:
    """/metrics is open unless LEDGER_METRICS_REQUIRE_TOKEN is set; then the metrics scope."""
    if settings.metrics_require_token:
        _authorize(request, credentials, settings, Scope.METRICS)


async def may_walk(request: Request, credentials: Credentials, settings: ApiSettingsDep) -> bool:
    """Whether the caller may run the integrity walk: a token with the audit or write scope.

    No token, or one without either scope, is no error: that caller reads the last walk kept.
    An unknown token is still 401."""
    if credentials is None:
        return False
    try:
        _authorize(request, credentials, settings, Scope.AUDIT)
    except Forbidden:
        return False
    return True


Writer = Annotated[TokenSpec, Depends(require_write)]
MayWalk = Annotated[bool, Depends(may_walk)]
ReadAccess = Depends(require_read)


def instant_query(description: str, example: str, alias: str | None = None) -> Any:
    """A query parameter holding a date or an ISO 8601 instant (parsed by the route)."""
    return Query(alias=alias, description=description, examples=[example], max_length=40)


async def point_in_time(
    request: Request,
    queries: QueriesDep,
    as_of: Annotated[
        str | None,
        instant_query(
            "Said-time: statements made by then (a date means its whole day).", "2024-10-24"
        ),
    ] = None,
    known_at: Annotated[
        str | None,
        instant_query(
            "Recorded-time: what the ledger knew then (a date: its end).", "2024-10-25T12:00:00Z"
        ),
    ] = None,
) -> PointInTime:
    at = PointInTime(as_of=_day_end(as_of, "as_of"), known_at=_day_end(known_at, "known_at"))
    if at.known_at is not None:
        position = await run_in_threadpool(queries.pinned_position, at.known_at)
        if position is not None:
            mark_pinned(request, position)
    return at


def _day_end(text: str | None, field: str) -> datetime | None:
    """An instant as given, a date as the end of its day; None for no bound."""
    return None if text is None else parse_instant(text, field=field, end_of_day=True)


AtDep = Annotated[PointInTime, Depends(point_in_time)]


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The claim\'s ETag (e.g. "3"; weak or strong) or *', examples=['"3"']),
    ] = None,
) -> ExpectedVersion:
    """The claim stream version a write expects, from ``If-Match``; no header means any."""
    if if_match is None or if_match.strip() == "*":
        return ANY
    return parse_etag(if_match)


def parse_etag(value: str) -> int:
    tag = value.strip().removeprefix("W/")
    inner = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
    if not (inner.isascii() and inner.isdigit()) or len(inner) > 18:
        raise InvalidInput("If-Match", 'one entity tag of a claim version, like "3", or *')
    return int(inner)


ExpectedVersionDep = Annotated[ExpectedVersion, Depends(expected_version)]


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Retries with the same key write once; another body is 422.",
        ),
    ] = None,
) -> str | None:
    return key


IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]


async def write_options(writer: Writer, key: IdempotencyKeyDep, log: LogDep) -> WriteOptions:
    """How a registration is written: its Idempotency-Key (which, with the token's name,
    derives the event id, and is kept in the metadata), the metadata naming the channel and
    the token, and a receipt when the ledger signs. Keys are scoped by token."""
    return WriteOptions(
        idempotency_key=key,
        metadata={"via": "http", "token": writer.name},
        receipt=log.key is not None,
        idempotency_scope=idempotency_scope(writer.name),
    )


def idempotency_scope(token_name: str) -> str:
    """Whose Idempotency-Keys these are: the token's configured name (docs/http-api.md)."""
    return f"token:{token_name}"


WriteOptionsDep = Annotated[WriteOptions, Depends(write_options)]


async def guarded_write_options(
    options: WriteOptionsDep, expected: ExpectedVersionDep
) -> WriteOptions:
    """A write to a claim's stream: the registration's options and the version If-Match expects
    (a body's own ``event_id`` is added with ``replace``)."""
    return replace(options, expected_version=expected)


GuardedWriteDep = Annotated[WriteOptions, Depends(guarded_write_options)]


KEY = KEY_PATTERN.pattern  # the domain's own patterns: a bad key never reaches the database
DOCUMENT_ID = DOCUMENT_ID_PATTERN.pattern
# The path parameters naming one resource, each with the seed story's example.
ActorKey = Annotated[str, Path(pattern=KEY, examples=["peskov"])]
ClaimKey = Annotated[str, Path(pattern=KEY, examples=["musk-putin-regular-contact-since-2022"])]
StoryKey = Annotated[str, Path(pattern=KEY, examples=["musk-putin-contacts"])]
DocumentIdPath = Annotated[str, Path(pattern=DOCUMENT_ID, examples=["000_439eb0cae6d670e2.txt"])]


def etag(version: int | None) -> str:
    return f'"{version or 0}"'


class UnknownQueryParameter(Exception):
    """A query parameter the route does not take: refused, not silently ignored."""

    def __init__(self, unknown: list[str], allowed: list[str]) -> None:
        self.unknown, self.allowed = unknown, allowed
        takes = ", ".join(allowed) if allowed else "no query parameters"
        names = ", ".join(repr(name) for name in unknown)
        super().__init__(f"unknown query parameter {names}: this route takes {takes}")


async def refuse_unknown_query(request: Request) -> None:
    """Refuse query parameters the route does not declare (its own and its dependencies').

    Every route of the application depends on this (``create_app``), so a new route is
    covered with no list to keep: what it takes is read from its own declared parameters.
    The HTML pages (routes outside the OpenAPI document) are left alone: their query belongs
    to the script in the browser."""
    route = request.scope.get("route")
    dependant = effective_dependant(request)
    if dependant is None or not getattr(route, "include_in_schema", True):
        return
    allowed = sorted(_query_names(dependant))
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise UnknownQueryParameter(unknown, allowed)


def effective_dependant(request: Request) -> Any:
    """What the request's route depends on, its routers' and the application's dependencies
    included (FastAPI keeps those on the route as included, not on the route itself)."""
    route = request.scope.get("route")
    if route is None:
        return None
    state = request.app.state
    if not hasattr(state, "effective_dependants"):
        state.effective_dependants = {
            id(context.original_route): getattr(context, "dependant", None)
            for context in iter_route_contexts(request.app.router.routes)
        }
    return state.effective_dependants.get(id(route), getattr(route, "dependant", None))


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


KnownQuery = Depends(refuse_unknown_query)


async def page_request(
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="Where to go on from: the `next` of the previous page."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="At most this many items on a page.")
    ] = DEFAULT_LIMIT,
) -> PageRequest:
    return PageRequest(cursor=cursor, limit=limit)


PageDep = Annotated[PageRequest, Depends(page_request)]


def link_next(request: Request, response: Response, page: Page) -> str | None:
    """Set ``Link: <...>; rel="next"`` (RFC 8288) for a page that has a next; return its cursor."""
    if page.next_cursor is not None:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        target = f"{request.url.path}?{urlencode([*query, ('cursor', page.next_cursor)])}"
        response.headers["Link"] = f'<{target}>; rel="next"'
    return page.next_cursor


@dataclass(frozen=True, slots=True)
class Paging:
    """A list route's page: which one was asked for, and how its answer is given."""

    request: Request
    response: Response
    page: PageRequest

    def answer(self, name: str, found: Page[Any], items: Any = None, **before: Any) -> Response:
        """``{**before, name: items, "next": cursor}`` (items: the page's own unless given),
        with ``Link: rel="next"`` when there is a next page."""
        next_cursor = link_next(self.request, self.response, found)
        listed = found.items if items is None else items
        return trusted_json({**before, name: listed, "next": next_cursor}, self.response)


async def paging(request: Request, response: Response, page: PageDep) -> Paging:
    return Paging(request, response, page)


PagingDep = Annotated[Paging, Depends(paging)]


def key_filter(description: str) -> Any:
    """A query parameter that keeps only what one key (a story, actor, claim) names."""
    return Query(pattern=KEY, description=description)
