"""Reading the projections: what the ledger says now, and what it said at any earlier point.

Current views come straight from the projection tables. As-of views filter statement versions
by said time and by the positions that opened and ended them (both indexed per claim), then
derive states with the same pure functions the projector uses; they never re-read the log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, or_, select

from ledger.domain.events import claim_stream
from ledger.projections.derive import StatementVersion, derive_claim
from ledger.projections.schema import (
    actors,
    claims,
    documents,
    stances,
    statement_versions,
    stories,
)
from ledger.projections.sql import version_of
from ledger.projections.views import (
    ActorSummary,
    ActorView,
    ClaimView,
    DocumentSummary,
    DocumentView,
    StatementEntry,
    StatementView,
    StoryActor,
    StoryExtent,
    StorySummary,
    StoryView,
    trusted,
)
from ledger.store import Backend
from ledger.store.backend import dbapi
from ledger.store.records import format_instant
from ledger.store.schema import events, fixed_sql
from ledger.store.sql import last_position_recorded


@dataclass(frozen=True, slots=True)
class PointInTime:
    """Where on the two time axes a view stands; both None means now."""

    as_of: datetime | None = None  # said-time: statements made by then
    known_at: datetime | None = None  # recorded-time: what the ledger knew then

    @property
    def is_now(self) -> bool:
        return self.as_of is None and self.known_at is None

    def to_json(self) -> dict[str, str | None]:
        return {
            "as_of": None if self.as_of is None else format_instant(self.as_of),
            "known_at": None if self.known_at is None else format_instant(self.known_at),
        }


NOW = PointInTime()
After = TypeVar("After", str, int)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Page(Generic[After]):
    """One page of a list: what comes after ``after`` (the key or position the previous page
    ended with), at most ``limit``."""

    after: After | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimFilter(_Page[str]):
    """Which claims a list shows: in a story, spoken on by an actor, in a state, among keys."""

    story: str | None = None
    actor: str | None = None
    state: str | None = None
    keys: frozenset[str] | None = None  # e.g. the claims a full-text search found


def claim_views(
    connection: Connection, at: PointInTime = NOW, where: ClaimFilter = ClaimFilter()
) -> list[ClaimView]:
    """The claims the ledger knew at ``at.known_at`` that ``where`` selects, by key, with their
    state and stances; at most ``where.limit``."""
    return _claim_views(connection, at, key=None, where=where)


def claim_view(connection: Connection, key: str, at: PointInTime = NOW) -> ClaimView | None:
    """One claim's state and stances, or None if the ledger did not know it then."""
    views = _claim_views(connection, at, key=key, where=ClaimFilter())
    return views[0] if views else None


# A claim's current view, the most read of all, with its stream's version (the ETag a writer
# sends back with If-Match), in one fixed statement through the driver: the claim's row with the
# summary the projection stored and the version, once per stored stance view (a claim with no
# stance: one row, its view null).
_STREAM_VERSION = (
    select(func.max(events.c.version)).where(events.c.stream == bindparam("stream"))
).scalar_subquery()
CURRENT_CLAIM_SQL = fixed_sql(
    select(
        claims.c.key,
        claims.c.propositions,
        claims.c.story,
        claims.c.note,
        claims.c.recorded_at,
        claims.c.summary,
        claims.c.last_changed_position,
        _STREAM_VERSION.label("version"),
        stances.c.view,
    )
    .select_from(claims.outerjoin(stances, stances.c.claim == claims.c.key))
    .where(claims.c.key == bindparam("key"))
    .order_by(stances.c.actor)
)


class _ClaimRow(NamedTuple):
    key: str
    propositions: dict[str, str]
    story: str | None
    note: str | None
    recorded_at: datetime


def current_claim_and_version(
    connection: Connection, backend: Backend, key: str
) -> tuple[ClaimView, int | None] | None:
    """``claim_view`` now, what the projection stored with nothing derived again, and the
    version of the claim's stream; None if there is no such claim."""
    found = dbapi(connection).execute(
        backend.sql(CURRENT_CLAIM_SQL), (claim_stream(key), key)
    ).fetchall()
    if not found:
        return None
    key, propositions, story, note, recorded_at, summary, last_changed, version, _ = found[0]
    codec = backend.codec
    row = _ClaimRow(
        key, codec.decode_json(propositions), story, note, codec.decode_instant(recorded_at)
    )
    stance_list = [codec.decode_json(view) for *_, view in found if view is not None]
    return _view(row, codec.decode_json(summary), stance_list, last_changed, NOW), version


def _claim_query(key: str | None, where: ClaimFilter) -> Any:
    query = select(claims).order_by(claims.c.key)
    if key is not None:
        query = query.where(claims.c.key == key)
    if where.story is not None:
        query = query.where(claims.c.story == where.story)
    if where.actor is not None:
        spoken = select(statement_versions.c.claim).where(statement_versions.c.actor == where.actor)
        query = query.where(claims.c.key.in_(spoken))
    if where.keys is not None:
        query = query.where(claims.c.key.in_(sorted(where.keys)))
    if where.after is not None:
        query = query.where(claims.c.key > where.after)
    return query


def _claim_views(
    connection: Connection, at: PointInTime, key: str | None, where: ClaimFilter
) -> list[ClaimView]:
    query = _claim_query(key, where)
    if at.is_now:
        if where.state is not None:
            query = query.where(claims.c.state == where.state)
        return _current_views(connection, query.limit(where.limit))
    known_position = position_known_at(connection, at.known_at)
    if known_position is not None:
        query = query.where(claims.c.position <= known_position)
    if where.state is None:
        query = query.limit(where.limit)
    registered = connection.execute(query).all()
    keys = [row.key for row in registered]
    versions = _versions_at(connection, at, known_position, keys)
    changes = _last_changes(connection, at, known_position, keys)
    views = [
        _derived_view(row, versions.get(row.key, []), changes.get(row.key), at)
        for row in registered
    ]
    if where.state is not None:
        views = [view for view in views if view.state == where.state][: where.limit]
    return views


def _current_views(connection: Connection, claim_query: Any) -> list[ClaimView]:
    rows = connection.execute(claim_query).all()
    stance_query = (
        select(stances.c.claim, stances.c.view)
        .where(stances.c.claim.in_([row.key for row in rows]))
        .order_by(stances.c.claim, stances.c.actor)
    )
    by_claim: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim, view in connection.execute(stance_query):
        by_claim[claim].append(view)
    return [
        _view(row, row.summary, by_claim[row.key], row.last_changed_position, NOW) for row in rows
    ]


def standing_condition(at: PointInTime, known_position: int | None) -> ColumnElement[bool]:
    """The statement versions an as-of view counts.

    Known by ``known_position`` (all, when None) and not ended by then; or, for a view at a
    said time before a source withdrew a statement, that statement as it stood until then.
    """
    columns = statement_versions.c
    unended: ColumnElement[bool]
    known: ColumnElement[bool]
    if known_position is None:
        unended = columns.ended_position.is_(None)
        known = columns.position.is_not(None)
    else:
        unended = or_(columns.ended_position.is_(None), columns.ended_position > known_position)
        known = columns.position <= known_position
    if at.as_of is None:
        return and_(known, unended)
    still_said = and_(columns.withdrawn_at.is_not(None), columns.withdrawn_at > at.as_of)
    return and_(known, columns.said_key <= at.as_of, or_(unended, still_said))


def _versions_at(
    connection: Connection, at: PointInTime, known_position: int | None, keys: list[str]
) -> dict[str, list[StatementVersion]]:
    columns = statement_versions.c
    condition = and_(columns.claim.in_(keys), standing_condition(at, known_position))
    grouped: dict[str, list[StatementVersion]] = defaultdict(list)
    for row in connection.execute(select(statement_versions).where(condition)):
        grouped[row.claim].append(version_of(row))
    return grouped


def _last_changes(
    connection: Connection, at: PointInTime, known_position: int | None, keys: list[str]
) -> dict[str, int]:
    """Per claim, the last position that opened or ended one of its versions, within bounds."""
    columns = statement_versions.c
    bound = known_position
    conditions: list[ColumnElement[bool]] = [columns.claim.in_(keys)]
    if bound is not None:
        conditions.append(columns.position <= bound)
    if at.as_of is not None:
        conditions.append(columns.said_key <= at.as_of)
    ended: ColumnElement[Any] = columns.ended_position
    if bound is not None:
        ended = case((columns.ended_position <= bound, columns.ended_position), else_=None)
    query = (
        select(columns.claim, func.max(columns.position), func.max(ended))
        .where(and_(*conditions))
        .group_by(columns.claim)
    )
    return {
        claim: max(p for p in (opened, closed) if p is not None)
        for claim, opened, closed in connection.execute(query)
    }


def _derived_view(
    row: Any, standing: Sequence[StatementVersion], last_change: int | None, at: PointInTime
) -> ClaimView:
    derivation = derive_claim(standing)
    stance_list = [derivation.stances[actor] for actor in sorted(derivation.stances)]
    return _view(row, derivation.summary, stance_list, last_change, at)


def _view(
    row: Any,
    summary: dict[str, Any],
    stance_list: list[dict[str, Any]],
    last_changed_position: int | None,
    at: PointInTime,
) -> ClaimView:
    """The claim's view from its row, its summary and its stance views, all stored or derived
    from validated events: built trusted, with no validation."""
    return trusted(
        ClaimView,
        {
            "key": row.key,
            "propositions": row.propositions,
            # The first API's two fields, kept for its clients: null when the map lacks the language.
            "proposition_en": row.propositions.get("en"),
            "proposition_de": row.propositions.get("de"),
            "story": row.story,
            "note": row.note,
            "registered_at": format_instant(row.recorded_at),
            **summary,
            "last_changed_position": last_changed_position,
            "stances": stance_list,
            "point_in_time": at.to_json(),
        },
    )


def position_known_at(connection: Connection, instant: datetime | None) -> int | None:
    """The last position recorded at or before ``instant`` (0 if none); None for no bound."""
    if instant is None:
        return None
    return last_position_recorded(connection, instant, inclusive=True)


def pinned_position(connection: Connection, instant: datetime) -> int | None:
    """The log position a ``known_at`` view stands at, if no later write can change it.

    Recorded time never decreases along the log, so once the log holds an event recorded
    after ``instant``, every event recorded at or before it is already stored.
    """
    last = connection.execute(select(func.max(events.c.recorded_at))).scalar()
    if last is None or _aware(last) <= instant:
        return None
    return position_known_at(connection, instant)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def version_status(version: StatementVersion) -> str:
    return version.ended_by or "standing"


def statement_entry(version: StatementVersion) -> StatementEntry:
    """A statement version as lists show it: who, what stance, where, and whether it stands."""
    body = version.body
    return trusted(
        StatementEntry,
        {
            "statement_id": str(version.statement_id),
            "version_id": str(version.version_id),
            "claim": version.claim,
            "actor": version.actor,
            "stance": version.stance,
            "relays": version.relays,
            "conduit": body["conduit"],
            "said_at": body["said_at"],
            "said_key": format_instant(version.said_key),
            "source": body["source"],
            "note": body.get("note"),
            "position": version.position,
            "recorded_at": format_instant(version.recorded_at),
            "status": version_status(version),
            "ended_position": version.ended_position,
            "withdrawn_at": _instant_or_none(version.withdrawn_at),
            "said_key_basis": version.said_key_basis,
            "ended_at": _instant_or_none(version.ended_at),
        },
    )


def _instant_or_none(instant: datetime | None) -> str | None:
    return None if instant is None else format_instant(instant)


def _versions_where(connection: Connection, *conditions: Any) -> list[StatementVersion]:
    query = select(statement_versions).where(*conditions).order_by(statement_versions.c.position)
    return [version_of(row) for row in connection.execute(query)]


def claim_history(connection: Connection, key: str) -> list[StatementEntry] | None:
    """Every statement version on a claim in the order the ledger recorded them."""
    if connection.execute(select(claims.c.key).where(claims.c.key == key)).first() is None:
        return None
    versions = _versions_where(connection, statement_versions.c.claim == key)
    return [statement_entry(version) for version in versions]


def statement_entries(connection: Connection) -> list[StatementEntry]:
    """Every statement version in the ledger, in the order it recorded them."""
    return [statement_entry(version) for version in _versions_where(connection)]


def actor_views(
    connection: Connection, after: str | None = None, limit: int | None = None
) -> list[ActorSummary]:
    """Actors by key, after ``after``, at most ``limit``, with how many statements each made."""
    return _ACTORS.views(connection, after, limit)


@dataclass(frozen=True, slots=True)
class _Listed:
    """A paged list of registered things in ``order``, each with how many rows of another
    table hold its ``key`` in ``counted_by`` (the view's field ``counted``)."""

    order: Any
    key: str
    counted_by: Any
    counted: str
    summary: type[Any]
    fields: Callable[[Any], dict[str, Any]]

    def views(self, connection: Connection, after: Any, limit: int | None) -> list[Any]:
        """The page's summaries: each row's fields and its count."""
        return [
            trusted(self.summary, {**self.fields(row), self.counted: count})
            for row, count in self.rows(connection, after, limit)
        ]

    def rows(self, connection: Connection, after: Any, limit: int | None) -> list[tuple[Any, int]]:
        query = select(self.order.table).order_by(self.order).limit(limit)
        if after is not None:
            query = query.where(self.order > after)
        rows = connection.execute(query).all()
        counts = _counts(connection, self.counted_by, [getattr(row, self.key) for row in rows])
        return [(row, counts.get(getattr(row, self.key), 0)) for row in rows]


def _registered(connection: Connection, key: Any, value: str) -> Any:
    """The row of ``key``'s table (actors, documents, stories) whose ``key`` is ``value``."""
    return connection.execute(select(key.table).where(key == value)).first()


def _counts(connection: Connection, column: Any, keys: list[Any]) -> dict[Any, int]:
    """How many rows of ``column``'s table hold each of ``keys`` in it."""
    query = select(column, func.count()).where(column.in_(keys)).group_by(column)
    return dict(connection.execute(query).all())  # type: ignore[arg-type]


def actor_view(connection: Connection, key: str) -> ActorView | None:
    """An actor and what it said, about which claims."""
    row = _registered(connection, actors.c.key, key)
    if row is None:
        return None
    versions = _versions_where(connection, statement_versions.c.actor == key)
    entries = [statement_entry(version) for version in versions]
    return trusted(
        ActorView,
        {
            **_actor_fields(row),
            "claims": sorted({entry.claim for entry in entries}),
            "statements": entries,
        },
    )


def _actor_fields(row: Any) -> dict[str, Any]:
    return {
        **_row_fields(row, "key", "name", "kind", "note"),
        "registered_at": format_instant(row.recorded_at),
        "aliases": list(row.aliases or ()),
    }


def _row_fields(row: Any, *names: str) -> dict[str, Any]:
    """The row's columns ``names``, as they are."""
    return {name: getattr(row, name) for name in names}


def document_views(
    connection: Connection, after: int | None = None, limit: int | None = None
) -> list[DocumentSummary]:
    """Documents in registration order, after position ``after``, at most ``limit``."""
    return _DOCUMENTS.views(connection, after, limit)


def document_view(connection: Connection, document_id: str) -> DocumentView | None:
    """A document's text and hash, and every quote anchor the ledger has into it."""
    row = _registered(connection, documents.c.document_id, document_id)
    if row is None:
        return None
    versions = _versions_where(connection, statement_versions.c.document == document_id)
    return trusted(
        DocumentView,
        {
            **_document_fields(row),
            "text": row.text,
            "anchors": [statement_entry(version) for version in versions],
        },
    )


def _document_fields(row: Any) -> dict[str, Any]:
    """A document as lists show it (``position``: the order it was registered in)."""
    return {
        "document_id": row.document_id,
        "publisher": row.publisher,
        "language": row.language,
        "dated": None if row.dated is None else row.dated.isoformat(),
        "sha256": row.sha256,
        "note": row.note,
        "registered_at": format_instant(row.recorded_at),
        **_row_fields(
            row, "position", "title", "author", "published", "url", "original", "extractor"
        ),
    }


def document_original(connection: Connection, document_id: str) -> tuple[str, bytes] | None:
    """The bytes a document's text came from, with their media type: the HTML or PDF it was
    registered from, or its text as UTF-8 when it was registered as plain text."""
    query = select(
        documents.c.text, documents.c.original, documents.c.original_content
    ).where(documents.c.document_id == document_id)
    row = connection.execute(query).first()
    if row is None:
        return None
    if row.original is None:
        return "text/plain; charset=utf-8", row.text.encode("utf-8")
    return row.original["media_type"], bytes(row.original_content)


@dataclass(frozen=True, slots=True)
class StatementFilter(_Page[int]):
    """Which statements a list shows; each statement once, as its latest version."""

    actor: str | None = None
    document: str | None = None
    claim: str | None = None
    stance: str | None = None
    story: str | None = None
    version_ids: frozenset[Any] | None = None  # e.g. the quotes a full-text search found


def statement_list(connection: Connection, where: StatementFilter) -> list[StatementEntry]:
    """Statements in the order their latest versions were recorded, standing or not."""
    columns = statement_versions.c
    conditions: list[Any] = [or_(columns.ended_by.is_(None), columns.ended_by != "corrected")]
    for name in ("actor", "document", "claim", "stance"):
        value = getattr(where, name)
        if value is not None:
            conditions.append(columns[name] == value)
    if where.story is not None:
        conditions.append(
            columns.claim.in_(select(claims.c.key).where(claims.c.story == where.story))
        )
    if where.version_ids is not None:
        conditions.append(columns.version_id.in_(sorted(where.version_ids)))
    if where.after is not None:
        conditions.append(columns.position > where.after)
    query = select(statement_versions).where(*conditions).order_by(columns.position)
    return [
        statement_entry(version_of(row)) for row in connection.execute(query.limit(where.limit))
    ]


def story_views(
    connection: Connection, after: str | None = None, limit: int | None = None
) -> list[StorySummary]:
    """Stories by key, after ``after``, at most ``limit``, with how many claims each gathers."""
    return _STORIES.views(connection, after, limit)


def story_view(connection: Connection, key: str) -> StoryView | None:
    """A story with its claims, the actors and documents of their statements, and its extent
    on both time axes (every version counts: a withdrawn statement still spans its time)."""
    row = _registered(connection, stories.c.key, key)
    if row is None:
        return None
    claim_list = claim_views(connection, NOW, ClaimFilter(story=key))
    versions = _versions_where(
        connection,
        statement_versions.c.claim.in_([claim.key for claim in claim_list]),
    )
    return trusted(
        StoryView,
        {
            **_story_fields(row),
            "claims": claim_list,
            "actors": _story_actors(connection, versions),
            "documents": _story_documents(connection, versions),
            "extent": story_extent(versions),
        },
    )


def _story_fields(row: Any) -> dict[str, Any]:
    return {
        **_row_fields(row, "key", "title", "description"),
        "registered_at": format_instant(row.recorded_at),
    }


def _story_actors(connection: Connection, versions: Sequence[StatementVersion]) -> list[StoryActor]:
    """Every actor the story's statements name: speakers, conduit hops and those relayed."""
    keys = {v.actor for v in versions} | {v.relays for v in versions if v.relays}
    keys |= {hop for v in versions for hop in v.body["conduit"]}
    speakers = {v.actor for v in versions}
    rows = connection.execute(
        select(actors).where(actors.c.key.in_(sorted(keys))).order_by(actors.c.key)
    )
    return [trusted(StoryActor, {**_actor_fields(r), "speaker": r.key in speakers}) for r in rows]


def _story_documents(
    connection: Connection, versions: Sequence[StatementVersion]
) -> list[dict[str, Any]]:
    ids = sorted({v.document for v in versions})
    query = select(documents).where(documents.c.document_id.in_(ids)).order_by(documents.c.position)
    return [_document_fields(row) for row in connection.execute(query)]


def story_extent(versions: Sequence[StatementVersion]) -> StoryExtent:
    """The first and last instants of the story on each axis (null when it has no statements)."""
    said = [v.said_key for v in versions] + [v.withdrawn_at for v in versions if v.withdrawn_at]
    recorded = [v.recorded_at for v in versions] + [v.ended_at for v in versions if v.ended_at]
    return trusted(StoryExtent, {"said": _span(said), "recorded": _span(recorded)})


def _span(instants: Sequence[datetime]) -> dict[str, str] | None:
    if not instants:
        return None
    return {"from": format_instant(min(instants)), "to": format_instant(max(instants))}


def statement_view(connection: Connection, statement_id: Any) -> StatementView | None:
    """A statement by its id or a version's id: every version, oldest first, and its status."""
    columns = statement_versions.c
    root = connection.execute(
        select(columns.statement_id).where(
            or_(columns.statement_id == statement_id, columns.version_id == statement_id)
        )
    ).scalar()
    if root is None:
        return None
    versions = _versions_where(connection, columns.statement_id == root)
    return trusted(
        StatementView,
        {
            "statement_id": str(root),
            "status": version_status(versions[-1]),
            "current": statement_entry(versions[-1]),
            "versions": [statement_entry(version) for version in versions],
        },
    )


_ACTORS = _Listed(
    actors.c.key, "key", statement_versions.c.actor, "statements", ActorSummary, _actor_fields
)
_DOCUMENTS = _Listed(
    documents.c.position,
    "document_id",
    statement_versions.c.document,
    "statements",
    DocumentSummary,
    _document_fields,
)
_STORIES = _Listed(stories.c.key, "key", claims.c.story, "claims", StorySummary, _story_fields)
