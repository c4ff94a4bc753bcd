"""What must hold of a ledger after any load, crash or fault: the invariants, checked at once.

``audit_ledger`` opens the database itself (the server must be stopped, or at least idle) and
raises AssertionError naming the first thing wrong.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from ledger.bootstrap import open_app
from ledger.projections.snapshot import sql_snapshot
from ledger.settings import Settings
from ledger.store import RecordedEvent


@dataclass(frozen=True)
class Audit:
    """What the audit checked: events in the log, acknowledgements matched, streams walked."""

    events: int
    acknowledged: int
    streams: int
    log: list[RecordedEvent]


def audit_ledger(
    settings: Settings, acknowledged: Iterable[Mapping[str, Any]], *, rebuild: bool = True
) -> Audit:
    """Every acknowledged event is in the log once, as acknowledged; the log is whole.

    Whole means: positions 1..N without a gap, each stream's versions 1..k without a gap, no
    event id twice, the hash chain verifies from the genesis, the live projections equal a
    rebuild from position 0 (unless ``rebuild`` is false: the costly part), and on SQLite
    ``PRAGMA integrity_check`` says ok.
    """
    ledger_app = open_app(settings)
    try:
        log = list(ledger_app.store.read_all())
        acks = list(acknowledged)
        _check_positions_and_versions(log)
        _check_acknowledged(log, acks)
        verification = ledger_app.queries.verify()
        assert verification.ok, f"chain broken: {verification}"
        assert verification.checked == len(log)
        if rebuild:
            _check_projections(ledger_app)
        if ledger_app.store.backend.name == "sqlite":
            _check_sqlite_integrity(ledger_app.store.engine)
        return Audit(len(log), len(acks), len({event.stream for event in log}), log)
    finally:
        ledger_app.close()


def _check_positions_and_versions(log: list[RecordedEvent]) -> None:
    positions = [event.position for event in log]
    assert positions == list(range(1, len(log) + 1)), "positions have a gap or a repeat"
    ids = Counter(event.event_id for event in log)
    assert not [i for i, n in ids.items() if n > 1], "an event id is stored twice"
    versions: dict[str, list[int]] = defaultdict(list)
    for event in log:
        versions[event.stream].append(event.version)
    for stream, numbers in versions.items():
        assert numbers == list(range(1, len(numbers) + 1)), f"{stream}: versions {numbers}"


def _check_acknowledged(log: list[RecordedEvent], acks: list[Mapping[str, Any]]) -> None:
    by_id = {str(event.event_id): event for event in log}
    for ack in acks:
        stored = by_id.get(ack["event_id"])
        assert stored is not None, f"acknowledged event {ack['event_id']} is lost"
        assert (stored.position, stored.hash) == (ack["position"], ack["hash"]), (
            f"acknowledged event {ack['event_id']} is stored otherwise"
        )
        assert (stored.stream, stored.version) == (ack["stream"], ack["version"])


def _check_projections(ledger_app: Any) -> None:
    with ledger_app.store.read_connection() as connection:
        live = sql_snapshot(connection)
    folded = ledger_app.queries.rebuild_projections()
    with ledger_app.store.read_connection() as connection:
        rebuilt = sql_snapshot(connection)
    assert folded == ledger_app.store.head_position()
    assert live == rebuilt, "the live projections differ from a rebuild"


def _check_sqlite_integrity(engine: Any) -> None:
    with engine.connect() as connection:
        result = connection.execute(text("PRAGMA integrity_check")).scalars().all()
        orphans = connection.execute(text("PRAGMA foreign_key_check")).all()
    assert result == ["ok"], f"integrity_check: {result[:5]}"
    assert orphans == [], f"foreign_key_check: {orphans[:5]}"


def prefix_of(seen: Sequence[Mapping[str, Any]], log: Sequence[RecordedEvent]) -> bool:
    """Whether what a follower saw is the log's first events, in order, unchanged."""
    head = log[: len(seen)]
    return len(seen) <= len(log) and all(
        (s["position"], s["event_id"], s["hash"]) == (e.position, str(e.event_id), e.hash)
        for s, e in zip(seen, head, strict=True)
    )
