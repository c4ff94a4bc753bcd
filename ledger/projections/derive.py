"""Pure functions from statement versions to stances and claim states: no I/O, no clock.

The SQL projection, the in-memory model, the as-of queries and the replay all call these, so
there is one definition of what a claim's state is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any, NamedTuple, cast

from ledger.domain.model import SaidAt, Stance
from ledger.store.records import format_instant


@dataclass(frozen=True, slots=True)
class StatementVersion:
    """One reading of a statement, standing from ``position`` until ``ended_position`` if ever."""

    version_id: uuid.UUID
    statement_id: uuid.UUID
    claim: str
    actor: str
    stance: str
    relays: str | None
    document: str
    said_key: datetime
    said_key_basis: str
    body: Mapping[str, Any]
    position: int
    recorded_at: datetime
    ended_position: int | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    withdrawn_at: datetime | None = None

    def stands_at(self, position: int) -> bool:
        """Whether the ledger counted this version once it had recorded ``position``."""
        return self.position <= position and (
            self.ended_position is None or self.ended_position > position
        )

    @property
    def order(self) -> tuple[datetime, int]:
        """Latest-statement order: said time first, then the order the ledger recorded them."""
        return (self.said_key, self.position)


def said_key(
    said_at: Mapping[str, Any], document_dated: date | None, recorded_at: datetime
) -> tuple[datetime, str]:
    """Where a statement sits on the said-time axis, and why.

    The start of its said_at when the source dates it; otherwise the date its document prints
    (it cannot have been said later); otherwise when the ledger recorded it.
    """
    start = _start(said_at["precision"], said_at.get("value"))
    if start is not None:
        return start, "said_at"
    if document_dated is not None:
        return datetime.combine(document_dated, time(), tzinfo=UTC), "document_date"
    return recorded_at, "recorded_at"


class _Said(NamedTuple):
    precision: str
    value: str | None


@lru_cache(maxsize=4096)
def _start(precision: str, value: str | None) -> datetime | None:
    """``SaidAt.start`` for stored data, validated on append: no model built, and the same
    said times (days, years) computed once."""
    return SaidAt.start(cast(SaidAt, _Said(precision, value)))


def new_version(
    *,
    version_id: uuid.UUID,
    statement_id: uuid.UUID,
    body: Mapping[str, Any],
    document_dated: date | None,
    position: int,
    recorded_at: datetime,
    corrected_at: datetime | None = None,
) -> StatementVersion:
    """A statement version from its stored JSON (a ``Statement`` dumped in JSON mode).

    A reading its source published in a correction stands on the said axis from
    ``corrected_at`` (or its own said time, if later), and is the speaker's word from then on.
    """
    key, basis = said_key(body["said_at"], document_dated, recorded_at)
    if corrected_at is not None and corrected_at > key:
        key, basis = corrected_at, "corrected_at"
    return StatementVersion(
        version_id=version_id,
        statement_id=statement_id,
        claim=body["claim"],
        actor=body["actor"],
        stance=body["stance"],
        relays=body.get("relays"),
        document=body["source"]["document"],
        said_key=key,
        said_key_basis=basis,
        body=body,
        position=position,
        recorded_at=recorded_at,
    )


def latest_by_actor(versions: Iterable[StatementVersion]) -> dict[str, StatementVersion]:
    """Each actor's latest standing statement on one claim."""
    latest: dict[str, StatementVersion] = {}
    for version in versions:
        current = latest.get(version.actor)
        if current is None or version.order > current.order:
            latest[version.actor] = version
    return latest


def relayers(versions: Iterable[StatementVersion]) -> dict[str, list[str]]:
    """For each speaker, who relayed their statements: every conduit hop and every report."""
    relayed: dict[str, set[str]] = {}
    for version in versions:
        if version.stance == Stance.REPORTS and version.relays:
            relayed.setdefault(version.relays, set()).add(version.actor)
        hops = version.body["conduit"][:-1]
        relayed.setdefault(version.actor, set()).update(hops)
    return {speaker: sorted(names) for speaker, names in relayed.items()}


STATE_ORDER: Sequence[tuple[str, str]] = (
    ("asserted", Stance.ASSERTS),
    ("denied", Stance.DENIES),
    ("unanswered", Stance.DECLINES_TO_COMMENT),
    ("questioned", Stance.QUESTIONS),
    ("reported", Stance.REPORTS),
)


def claim_state(stances: Mapping[str, str]) -> str:
    """``contested`` when assertions and denials both stand; else the strongest stance standing."""
    standing = set(stances.values())
    if Stance.ASSERTS in standing and Stance.DENIES in standing:
        return "contested"
    for state, stance in STATE_ORDER:
        if stance in standing:
            return state
    return "unstated"


def stance_view(version: StatementVersion, relayed_by: Sequence[str]) -> dict[str, Any]:
    """An actor's current stance, with the statement, conduit and quote it rests on."""
    body = version.body
    return {
        "actor": version.actor,
        "stance": version.stance,
        "statement_id": str(version.statement_id),
        "version_id": str(version.version_id),
        "said_at": body["said_at"],
        "said_key": format_instant(version.said_key),
        "said_key_basis": version.said_key_basis,
        "conduit": body["conduit"],
        "relays": version.relays,
        "relayed_by": list(relayed_by),
        "source": body["source"],
        "note": body.get("note"),
        "position": version.position,
        "recorded_at": format_instant(version.recorded_at),
        "corrected": version.version_id != version.statement_id,
    }


@dataclass(frozen=True, slots=True)
class ClaimDerivation:
    """Everything the projection stores about one claim, derived from its standing versions."""

    state: str
    stances: dict[str, dict[str, Any]]
    summary: dict[str, Any]


def derive_claim(standing: Sequence[StatementVersion]) -> ClaimDerivation:
    """The claim's stances, state and summary from the versions that stand."""
    return extend_claim(EMPTY_CLAIM, standing)


def extend_claim(current: ClaimDerivation, added: Iterable[StatementVersion]) -> ClaimDerivation:
    """``current`` with more standing versions folded in.

    Every part of a claim's derivation is a maximum, a union, a minimum or a count over its
    standing versions, so new versions fold into the stored result without reading the old
    ones again. ``derive_claim`` is this fold over an empty claim: there is one definition.
    """
    latest = dict(current.stances)
    relayed = {speaker: set(names) for speaker, names in current.summary["relayed_by"].items()}
    summary = current.summary
    count, first_said, first_recorded = (
        summary["statements"],
        summary["first_said_at"],
        summary["first_recorded_at"],
    )
    for version in added:
        if _is_later(version, latest.get(version.actor)):
            latest[version.actor] = stance_view(version, ())
        for speaker, names in relayers([version]).items():
            relayed.setdefault(speaker, set()).update(names)
        count += 1
        first_said = _earlier(first_said, version.said_key)
        first_recorded = _earlier(first_recorded, version.recorded_at)
    return _finished(latest, relayed, count, first_said, first_recorded)


def _finished(
    latest: dict[str, dict[str, Any]],
    relayed: Mapping[str, set[str]],
    count: int,
    first_said: str | None,
    first_recorded: str | None,
) -> ClaimDerivation:
    stances = {
        actor: {**view, "relayed_by": sorted(relayed.get(actor, ()))}
        for actor, view in latest.items()
    }
    by_stance = {actor: view["stance"] for actor, view in stances.items()}
    state = claim_state(by_stance)
    summary = {
        "state": state,
        "asserted_by": _actors_with(by_stance, Stance.ASSERTS),
        "denied_by": _actors_with(by_stance, Stance.DENIES),
        "declined_by": _actors_with(by_stance, Stance.DECLINES_TO_COMMENT),
        "questioned_by": _actors_with(by_stance, Stance.QUESTIONS),
        "reported_by": _actors_with(by_stance, Stance.REPORTS),
        "relayed_by": {
            speaker: sorted(names) for speaker, names in sorted(relayed.items()) if names
        },
        "statements": count,
        "first_said_at": first_said,
        "first_recorded_at": first_recorded,
    }
    return ClaimDerivation(state, stances, summary)


def _is_later(version: StatementVersion, view: Mapping[str, Any] | None) -> bool:
    """Whether ``version`` is later than the stance ``view`` rests on (format_instant sorts)."""
    if view is None:
        return True
    return (format_instant(version.said_key), version.position) > (
        view["said_key"],
        view["position"],
    )


def _earlier(current: str | None, instant: datetime) -> str:
    candidate = format_instant(instant)
    return candidate if current is None or candidate < current else current


def _actors_with(by_stance: Mapping[str, str], stance: Stance) -> list[str]:
    return sorted(actor for actor, value in by_stance.items() if value == stance)


EMPTY_CLAIM = _finished({}, {}, 0, None, None)
