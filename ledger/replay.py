"""How the story changed: the ordered steps between two instants, on either time axis.

On the said axis the steps are the statements that stand now, ordered by when they were made;
on the recorded axis they are every statement event, retractions and corrections included,
ordered by when the ledger recorded them. Each step carries the claim's state before and after.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, select

from ledger.errors import InvalidEvent
from ledger.projections.derive import StatementVersion, derive_claim, latest_by_actor
from ledger.projections.queries import statement_entry
from ledger.projections.schema import statement_versions
from ledger.projections.sql import version_of
from ledger.store.records import format_instant
from ledger.store.schema import events

STATEMENT_EVENTS = ("StatementRecorded", "StatementRetracted", "StatementCorrected")


class Axis(StrEnum):
    SAID = "said"
    RECORDED = "recorded"


def parse_instant(text: str, *, field: str, end_of_day: bool = False) -> datetime:
    """A date (``2024-10-25``: its start, or its end for an upper bound) or an ISO instant.

    An instant without an offset is read as UTC.
    """
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        instant = datetime.fromisoformat(text)
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidEvent(field, "a real date (YYYY-MM-DD) or ISO 8601 instant") from None


def timeline(
    connection: Connection,
    *,
    start: datetime,
    end: datetime,
    axis: Axis,
    claim: str | None = None,
) -> dict[str, Any]:
    """The steps in ``[start, end]`` on ``axis``, each with the claim states before and after."""
    if end < start:
        raise InvalidEvent("to", "the end of the window is before its start")
    steps = (
        _said_steps(connection, start, end, claim)
        if axis is Axis.SAID
        else _recorded_steps(connection, start, end, claim)
    )
    return {
        "axis": axis.value,
        "from": format_instant(start),
        "to": format_instant(end),
        "claim": claim,
        "steps": [{"step": n, **step} for n, step in enumerate(steps, start=1)],
    }


def to_json_text(replay: dict[str, Any]) -> str:
    """The replay as JSON text, byte-identical for the same ledger and query."""
    return json.dumps(replay, ensure_ascii=False, sort_keys=True, indent=2)


def _said_steps(
    connection: Connection, start: datetime, end: datetime, claim: str | None
) -> list[dict[str, Any]]:
    columns = statement_versions.c
    conditions = [columns.ended_position.is_(None), columns.said_key <= end]
    if claim is not None:
        conditions.append(columns.claim == claim)
    standing = _versions(connection, and_(*conditions))
    by_claim = _group(standing)
    steps = sorted((v for v in standing if v.said_key >= start), key=lambda v: (v.order, v.claim))
    return [
        _step(
            at=version.said_key,
            version=version,
            before=[v for v in by_claim[version.claim] if v.order < version.order],
            after=[v for v in by_claim[version.claim] if v.order <= version.order],
            event_type="StatementRecorded"
            if version.version_id == version.statement_id
            else "StatementCorrected",
            position=version.position,
            event_id=version.version_id,
        )
        for version in steps
    ]


def _recorded_steps(
    connection: Connection, start: datetime, end: datetime, claim: str | None
) -> list[dict[str, Any]]:
    conditions = [
        events.c.type.in_(STATEMENT_EVENTS),
        events.c.recorded_at >= start,
        events.c.recorded_at <= end,
    ]
    if claim is not None:
        conditions.append(events.c.stream == f"claim:{claim}")
    query = select(
        events.c.position,
        events.c.event_id,
        events.c.type,
        events.c.stream,
        events.c.data,
        events.c.recorded_at,
    )
    rows = connection.execute(query.where(and_(*conditions)).order_by(events.c.position)).all()
    claims = {row.stream.removeprefix("claim:") for row in rows}
    versions = _versions(connection, statement_versions.c.claim.in_(claims)) if claims else []
    by_claim = _group(versions)
    return [_recorded_step(row, by_claim[row.stream.removeprefix("claim:")]) for row in rows]


def _recorded_step(row: Any, versions: Sequence[StatementVersion]) -> dict[str, Any]:
    subject = _subject_of(row, versions)
    step = _step(
        at=row.recorded_at,
        version=subject,
        before=[v for v in versions if v.stands_at(row.position - 1)],
        after=[v for v in versions if v.stands_at(row.position)],
        event_type=row.type,
        position=row.position,
        event_id=row.event_id,
    )
    if row.type != "StatementRecorded":
        step["reason"] = row.data.get("reason")
        step["basis"] = row.data.get("basis")
    return step


def _subject_of(row: Any, versions: Sequence[StatementVersion]) -> StatementVersion:
    """The version a statement event is about: the one it opened, or the one it ended."""
    for version in versions:
        if version.version_id == row.event_id:
            return version
    return next(v for v in versions if v.ended_position == row.position)


def _step(
    *,
    at: datetime,
    version: StatementVersion,
    before: Sequence[StatementVersion],
    after: Sequence[StatementVersion],
    event_type: str,
    position: int,
    event_id: Any,
) -> dict[str, Any]:
    state_before, state_after = derive_claim(before).state, derive_claim(after).state
    stance_before = latest_by_actor(before).get(version.actor)
    stance_after = latest_by_actor(after).get(version.actor)
    return {
        "at": format_instant(at),
        "type": event_type,
        "position": position,
        "event_id": str(event_id),
        "statement": statement_entry(version),
        "claim_state": {
            "claim": version.claim,
            "before": state_before,
            "after": state_after,
            "changed": state_before != state_after,
        },
        "actor_stance": {
            "actor": version.actor,
            "before": None if stance_before is None else stance_before.stance,
            "after": None if stance_after is None else stance_after.stance,
        },
    }


def _versions(connection: Connection, condition: Any) -> list[StatementVersion]:
    query = select(statement_versions).where(condition).order_by(statement_versions.c.position)
    return [version_of(row) for row in connection.execute(query)]


def _group(versions: Sequence[StatementVersion]) -> dict[str, list[StatementVersion]]:
    grouped: dict[str, list[StatementVersion]] = defaultdict(list)
    for version in versions:
        grouped[version.claim].append(version)
    return grouped
