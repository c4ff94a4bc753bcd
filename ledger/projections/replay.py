"""How the story changed: the ordered steps between two instants, on either time axis.

On the said axis the steps are the statements that stand now, ordered by when they were made,
with what their sources withdrew or corrected: a withdrawal is a step at ``withdrawn_at``, a
source's correction a step at ``corrected_at`` carrying both readings. On the recorded axis they
are every statement event, retractions and corrections included, ordered by when the ledger
recorded them. Each step carries the claim's state before and after; a retraction's or
correction's step also gives the source's date (``changed_at``) and the ledger's (``recorded_at``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, or_, select

from ledger.errors import InvalidEvent
from ledger.projections.derive import StatementVersion, derive_claim, latest_by_actor
from ledger.projections.queries import statement_entry
from ledger.projections.schema import claims, statement_versions
from ledger.projections.sql import version_of
from ledger.projections.views import Replay, trusted
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
    story: str | None = None,
) -> Replay:
    """The steps in ``[start, end]`` on ``axis``, each with the claim states before and after;
    only ``claim``'s, or only those of ``story``'s claims, when given."""
    if end < start:
        raise InvalidEvent("to", "the end of the window is before its start")
    keys = _claims_in_view(connection, claim, story)
    steps = (
        _said_steps(connection, start, end, keys)
        if axis is Axis.SAID
        else _recorded_steps(connection, start, end, keys)
    )
    replay = {
        "axis": axis.value,
        "from": format_instant(start),
        "to": format_instant(end),
        "claim": claim,
        "steps": [{"step": n, **step} for n, step in enumerate(steps, start=1)],
    }
    return trusted(Replay, replay if story is None else {**replay, "story": story})


def _claims_in_view(
    connection: Connection, claim: str | None, story: str | None
) -> list[str] | None:
    if story is None:
        return None if claim is None else [claim]
    query = select(claims.c.key).where(claims.c.story == story)
    keys = [key for (key,) in connection.execute(query)]
    return keys if claim is None else [key for key in keys if key == claim]


def to_json_text(replay: Replay) -> str:
    """The replay as JSON text, byte-identical for the same ledger and query.

    A step has ``reason`` and ``basis`` only when it ends a version, and the replay has
    ``story`` only when asked for one: what was not given is left out (``exclude_unset``).
    """
    fields = replay.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, indent=2)


Moment = tuple[datetime, int]
"""A place on the said axis: an instant, then the log position that put something there."""


def _said_from(version: StatementVersion) -> Moment:
    return version.order


def _said_until(version: StatementVersion) -> Moment | None:
    """Where a statement its source withdrew stops standing on the said axis."""
    if version.withdrawn_at is None or version.ended_position is None:
        return None
    return (version.withdrawn_at, version.ended_position)


def _stands(version: StatementVersion, moment: Moment, *, inclusive: bool) -> bool:
    until = _said_until(version)
    if inclusive:
        return _said_from(version) <= moment and (until is None or until > moment)
    return _said_from(version) < moment and (until is None or until >= moment)


def _said_steps(
    connection: Connection, start: datetime, end: datetime, keys: list[str] | None
) -> list[dict[str, Any]]:
    """Statements that stand now, and those their sources withdrew, by when they were said;
    a withdrawal is a step of its own, at the time the source withdrew the text."""
    columns = statement_versions.c
    conditions = [
        or_(columns.ended_position.is_(None), columns.withdrawn_at.is_not(None)),
        columns.said_key <= end,
    ]
    if keys is not None:
        conditions.append(columns.claim.in_(keys))
    versions = _versions(connection, and_(*conditions))
    by_claim = _group(versions)
    moments: list[tuple[Moment, str, StatementVersion]] = [
        (_said_from(v), "said", v) for v in versions if v.said_key >= start
    ]
    for version in versions:
        until = _said_until(version)
        # a reading its source corrected ends in the correction's own step, which shows both
        if version.ended_by != "corrected" and until is not None and start <= until[0] <= end:
            moments.append((until, "withdrawn", version))
    moments.sort(key=lambda item: (item[0], item[2].claim))
    amended = [m[0][1] for m in moments if m[1] == "withdrawn" or _is_correction(m[2])]
    amendments = _events_at(connection, amended)
    replaced = _replaced_at(connection, [p for p in amended if p in amendments])
    return [
        _said_step(moment, kind, version, by_claim[version.claim], amendments, replaced)
        for moment, kind, version in moments
    ]


def _is_correction(version: StatementVersion) -> bool:
    return version.version_id != version.statement_id


def _said_step(
    moment: Moment,
    kind: str,
    version: StatementVersion,
    versions: Sequence[StatementVersion],
    amendments: dict[int, Any],
    replaced: dict[int, StatementVersion],
) -> dict[str, Any]:
    before = [v for v in versions if _stands(v, moment, inclusive=False)]
    after = [v for v in versions if _stands(v, moment, inclusive=True)]
    if kind == "said":
        opened = "StatementCorrected" if _is_correction(version) else "StatementRecorded"
        step = _step(
            at=moment[0],
            version=version,
            before=before,
            after=after,
            event_type=opened,
            position=version.position,
            event_id=version.version_id,
        )
        if not _is_correction(version):
            return step
        return _amended(step, amendments[version.position], replaced.get(version.position))
    retraction = amendments[moment[1]]
    step = _step(
        at=moment[0],
        version=version,
        before=before,
        after=after,
        event_type="StatementRetracted",
        position=moment[1],
        event_id=retraction.event_id,
    )
    return _amended(step, retraction, None)


def _amended(
    step: dict[str, Any], event: Any, old: StatementVersion | None
) -> dict[str, Any]:
    """A retraction's or correction's step: why, whose change, the source's date first and the
    ledger's second, and a correction's old reading beside its new one."""
    data = event.data
    changed_at = data.get("corrected_at") or data.get("withdrawn_at")
    if changed_at is None and data.get("basis") == "source_changed" and event.type == (
        "StatementRetracted"
    ):
        changed_at = event.recorded_at
    amended = {
        **step,
        "reason": data.get("reason"),
        "basis": data.get("basis"),
        "recorded_at": format_instant(_aware(event.recorded_at)),
    }
    if changed_at is not None:
        amended["changed_at"] = _as_instant_text(changed_at)
    if old is not None:
        amended["replaces"] = statement_entry(old)
    return amended


def _as_instant_text(value: Any) -> str:
    if isinstance(value, datetime):
        return format_instant(_aware(value))
    return format_instant(datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC))


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _events_at(connection: Connection, positions: list[int]) -> dict[int, Any]:
    if not positions:
        return {}
    query = select(
        events.c.position, events.c.event_id, events.c.type, events.c.data, events.c.recorded_at
    ).where(events.c.position.in_(positions))
    return {row.position: _decoded(row) for row in connection.execute(query)}


def _decoded(row: Any) -> Any:
    """An events row with its data as a mapping, whichever way the backend returns it."""
    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    return _EventRow(row.position, row.event_id, row.type, data, row.recorded_at)


def _replaced_at(connection: Connection, positions: list[int]) -> dict[int, StatementVersion]:
    """The readings the corrections at ``positions`` replaced, by the correction's position."""
    if not positions:
        return {}
    ended = _versions(connection, statement_versions.c.ended_position.in_(positions))
    return {v.ended_position: v for v in ended if v.ended_by == "corrected"}  # type: ignore[misc]


def _recorded_steps(
    connection: Connection, start: datetime, end: datetime, keys: list[str] | None
) -> list[dict[str, Any]]:
    conditions = [
        events.c.type.in_(STATEMENT_EVENTS),
        events.c.recorded_at >= start,
        events.c.recorded_at <= end,
    ]
    if keys is not None:
        conditions.append(events.c.stream.in_([f"claim:{key}" for key in keys]))
    query = select(
        events.c.position,
        events.c.event_id,
        events.c.type,
        events.c.stream,
        events.c.data,
        events.c.recorded_at,
    )
    rows = connection.execute(query.where(and_(*conditions)).order_by(events.c.position)).all()
    touched = {row.stream.removeprefix("claim:") for row in rows}
    versions = _versions(connection, statement_versions.c.claim.in_(touched)) if touched else []
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
    if row.type == "StatementRecorded":
        return step
    old = next((v for v in versions if v.ended_position == row.position), None)
    return _amended(step, row, old if row.type == "StatementCorrected" else None)


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


class _EventRow(NamedTuple):
    position: int
    event_id: Any
    type: str
    data: dict[str, Any]
    recorded_at: datetime


def _versions(connection: Connection, condition: Any) -> list[StatementVersion]:
    query = select(statement_versions).where(condition).order_by(statement_versions.c.position)
    return [version_of(row) for row in connection.execute(query)]


def _group(versions: Sequence[StatementVersion]) -> dict[str, list[StatementVersion]]:
    grouped: dict[str, list[StatementVersion]] = defaultdict(list)
    for version in versions:
        grouped[version.claim].append(version)
    return grouped
