"""Reading the projections: what the ledger says now, and what it said at any earlier point.

Current views come straight from the projection tables. As-of views filter statement versions
by said time and by the positions that opened and ended them (both indexed per claim), then
derive states with the same pure functions the projector uses; they never re-read the log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from ledger.projections.derive import StatementVersion, derive_claim
from ledger.projections.schema import actors, claims, documents, stances, statement_versions
from ledger.projections.sql import version_of
from ledger.store.records import format_instant
from ledger.store.schema import events


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


def claim_views(connection: Connection, at: PointInTime = NOW) -> list[dict[str, Any]]:
    """Every claim the ledger knew at ``at.known_at``, with its state and stances."""
    return _claim_views(connection, at, key=None)


def claim_view(connection: Connection, key: str, at: PointInTime = NOW) -> dict[str, Any] | None:
    """One claim's state and stances, or None if the ledger did not know it then."""
    views = _claim_views(connection, at, key=key)
    return views[0] if views else None


def _claim_views(connection: Connection, at: PointInTime, key: str | None) -> list[dict[str, Any]]:
    if at.is_now:
        return _current_views(connection, key)
    known_position = position_known_at(connection, at.known_at)
    query = select(claims).order_by(claims.c.key)
    if key is not None:
        query = query.where(claims.c.key == key)
    if known_position is not None:
        query = query.where(claims.c.position <= known_position)
    registered = connection.execute(query).all()
    versions = _versions_at(connection, at, known_position, key)
    changes = _last_changes(connection, at, known_position, key)
    return [
        _derived_view(row, versions.get(row.key, []), changes.get(row.key), at)
        for row in registered
    ]


def _current_views(connection: Connection, key: str | None) -> list[dict[str, Any]]:
    claim_query = select(claims).order_by(claims.c.key)
    stance_query = select(stances.c.claim, stances.c.view).order_by(
        stances.c.claim, stances.c.actor
    )
    if key is not None:
        claim_query = claim_query.where(claims.c.key == key)
        stance_query = stance_query.where(stances.c.claim == key)
    by_claim: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim, view in connection.execute(stance_query):
        by_claim[claim].append(view)
    return [
        _view(row, row.summary, by_claim[row.key], row.last_changed_position, NOW)
        for row in connection.execute(claim_query)
    ]


def _versions_at(
    connection: Connection, at: PointInTime, known_position: int | None, key: str | None
) -> dict[str, list[StatementVersion]]:
    columns = statement_versions.c
    conditions = []
    if key is not None:
        conditions.append(columns.claim == key)
    if known_position is None:
        conditions.append(columns.ended_position.is_(None))
    else:
        conditions.append(columns.position <= known_position)
        conditions.append(
            or_(columns.ended_position.is_(None), columns.ended_position > known_position)
        )
    if at.as_of is not None:
        conditions.append(columns.said_key <= at.as_of)
    grouped: dict[str, list[StatementVersion]] = defaultdict(list)
    for row in connection.execute(select(statement_versions).where(and_(*conditions))):
        grouped[row.claim].append(version_of(row))
    return grouped


def _last_changes(
    connection: Connection, at: PointInTime, known_position: int | None, key: str | None
) -> dict[str, int]:
    """Per claim, the last position that opened or ended one of its versions, within bounds."""
    columns = statement_versions.c
    bound = known_position
    conditions = [] if key is None else [columns.claim == key]
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
) -> dict[str, Any]:
    derivation = derive_claim(standing)
    stance_list = [derivation.stances[actor] for actor in sorted(derivation.stances)]
    return _view(row, derivation.summary, stance_list, last_change, at)


def _view(
    row: Any,
    summary: dict[str, Any],
    stance_list: list[dict[str, Any]],
    last_changed_position: int | None,
    at: PointInTime,
) -> dict[str, Any]:
    return {
        "key": row.key,
        "proposition_en": row.proposition_en,
        "proposition_de": row.proposition_de,
        "note": row.note,
        "registered_at": format_instant(row.recorded_at),
        **summary,
        "last_changed_position": last_changed_position,
        "stances": stance_list,
        "point_in_time": at.to_json(),
    }


def position_known_at(connection: Connection, instant: datetime | None) -> int | None:
    """The last position recorded at or before ``instant`` (0 if none); None for no bound."""
    if instant is None:
        return None
    query = (
        select(events.c.position)
        .where(events.c.recorded_at <= instant)
        .order_by(events.c.recorded_at.desc(), events.c.position.desc())
        .limit(1)
    )
    return connection.execute(query).scalar() or 0


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


def statement_entry(version: StatementVersion) -> dict[str, Any]:
    """A statement version as lists show it: who, what stance, where, and whether it stands."""
    body = version.body
    return {
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
    }


def _versions_where(connection: Connection, *conditions: Any) -> list[StatementVersion]:
    query = select(statement_versions).where(*conditions).order_by(statement_versions.c.position)
    return [version_of(row) for row in connection.execute(query)]


def claim_history(connection: Connection, key: str) -> list[dict[str, Any]] | None:
    """Every statement version on a claim in the order the ledger recorded them."""
    if connection.execute(select(claims.c.key).where(claims.c.key == key)).first() is None:
        return None
    versions = _versions_where(connection, statement_versions.c.claim == key)
    return [statement_entry(version) for version in versions]


def statement_entries(connection: Connection) -> list[dict[str, Any]]:
    """Every statement version in the ledger, in the order it recorded them."""
    return [statement_entry(version) for version in _versions_where(connection)]


def actor_views(connection: Connection) -> list[dict[str, Any]]:
    counts: dict[str, int] = dict(
        connection.execute(
            select(statement_versions.c.actor, func.count()).group_by(statement_versions.c.actor)
        ).all()
    )
    rows = connection.execute(select(actors).order_by(actors.c.key))
    return [{**_actor_fields(row), "statements": counts.get(row.key, 0)} for row in rows]


def actor_view(connection: Connection, key: str) -> dict[str, Any] | None:
    """An actor and what it said, about which claims."""
    row = connection.execute(select(actors).where(actors.c.key == key)).first()
    if row is None:
        return None
    versions = _versions_where(connection, statement_versions.c.actor == key)
    entries = [statement_entry(version) for version in versions]
    return {
        **_actor_fields(row),
        "claims": sorted({entry["claim"] for entry in entries}),
        "statements": entries,
    }


def _actor_fields(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "kind": row.kind,
        "note": row.note,
        "registered_at": format_instant(row.recorded_at),
    }


def document_views(connection: Connection) -> list[dict[str, Any]]:
    counts: dict[str, int] = dict(
        connection.execute(
            select(statement_versions.c.document, func.count()).group_by(
                statement_versions.c.document
            )
        ).all()
    )
    rows = connection.execute(select(documents).order_by(documents.c.position))
    return [{**_document_fields(row), "statements": counts.get(row.document_id, 0)} for row in rows]


def document_view(connection: Connection, document_id: str) -> dict[str, Any] | None:
    """A document's text and hash, and every quote anchor the ledger has into it."""
    row = connection.execute(
        select(documents).where(documents.c.document_id == document_id)
    ).first()
    if row is None:
        return None
    versions = _versions_where(connection, statement_versions.c.document == document_id)
    return {
        **_document_fields(row),
        "text": row.text,
        "anchors": [statement_entry(version) for version in versions],
    }


def _document_fields(row: Any) -> dict[str, Any]:
    return {
        "document_id": row.document_id,
        "publisher": row.publisher,
        "language": row.language,
        "dated": None if row.dated is None else row.dated.isoformat(),
        "sha256": row.sha256,
        "note": row.note,
        "registered_at": format_instant(row.recorded_at),
    }


def statement_view(connection: Connection, statement_id: Any) -> dict[str, Any] | None:
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
    return {
        "statement_id": str(root),
        "status": version_status(versions[-1]),
        "current": statement_entry(versions[-1]),
        "versions": [statement_entry(version) for version in versions],
    }
