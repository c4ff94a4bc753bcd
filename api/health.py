"""Readiness: the database answers, its schema is at the migrations' head, and it takes writes.

Two signals say whether writes work. The probe tries one (``SqlEventStore.probe_writable``: a
scratch table filled and rolled back on the connection appends use). Faults a rolled-back
write cannot meet, such as a disk that fills only when the commit is flushed, are caught by the
second: a write the database refused for storage reasons keeps the probe failing for
``FAULT_MEMORY_SECONDS`` unless a later write got through (the log's head moved).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

import migrations
from ledger.bootstrap import Wiring
from ledger.errors import StorageUnavailable
from ledger.store import SqlEventStore

CheckResult = tuple[bool, str]
FAULT_MEMORY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class WriteFault:
    """A write the database refused for storage reasons: why, when, and the log's head then."""

    reason: str
    at: float
    head: int


class WriteFaults:
    """The last storage fault a write met, shared by the request handlers and the probe."""

    def __init__(self, memory_seconds: float = FAULT_MEMORY_SECONDS) -> None:
        self.memory_seconds = memory_seconds
        self._last: WriteFault | None = None
        self._lock = threading.Lock()

    def record(self, reason: str, head: int | None) -> None:
        """Remember a refused write; not when the head is unreadable: the database is down,
        which the probe sees for itself, and without a head no later write could clear it."""
        if head is None:
            return
        with self._lock:
            self._last = WriteFault(reason, time.monotonic(), head)

    def current(self, head: int | None) -> WriteFault | None:
        """The fault still in force: recent, and no write has moved the head since."""
        with self._lock:
            fault = self._last
            if fault is None:
                return None
            expired = time.monotonic() - fault.at > self.memory_seconds
            if expired or (head is not None and head > fault.head):
                self._last = None
                return None
            return fault


def readiness(app: Wiring, faults: WriteFaults | None = None) -> dict[str, CheckResult]:
    """Each check's outcome in order; later checks are skipped once the database is unreachable."""
    results = {"database": _run(lambda: _reachable(app.store))}
    if not results["database"][0]:
        skipped = (False, "skipped: the database is unreachable")
        return {**results, "migrations": skipped, "writable": skipped}
    results["migrations"] = _run(lambda: _at_head(app.store))
    results["writable"] = _run(lambda: _writable(app.store, faults))
    return results


def head_or_none(store: SqlEventStore) -> int | None:
    """The log's head, or None when it cannot be read (a probe never raises)."""
    try:
        return store.head_position()
    except Exception:  # noqa: BLE001 - an unreadable head only means "unknown"
        return None


def _run(check: Callable[[], CheckResult]) -> CheckResult:
    try:
        return check()
    except StorageUnavailable as error:
        return False, error.reason
    except SQLAlchemyError as error:
        return False, type(error.orig if hasattr(error, "orig") else error).__name__
    except Exception as error:  # noqa: BLE001 - a probe reports every failure, it never raises
        return False, type(error).__name__


def _reachable(store: SqlEventStore) -> CheckResult:
    store.probe_reachable()
    return True, "reachable"


def _at_head(store: SqlEventStore) -> CheckResult:
    current, head = store.schema_revision(), migrations.head_revision()
    if current != head:
        return False, f"schema at {current or 'nothing'}, migrations head is {head}"
    return True, f"at head {head}"


def _writable(store: SqlEventStore, faults: WriteFaults | None) -> CheckResult:
    """A trial write on the appends' own connection, rolled back; then any recent write fault."""
    store.probe_writable()
    fault = None if faults is None else faults.current(head_or_none(store))
    if fault is not None:
        ago = time.monotonic() - fault.at
        return False, f"a write failed {ago:.0f} s ago: {fault.reason}"
    return True, "takes writes"


def ledger_state(app: Wiring | None) -> dict[str, float | None]:
    """The gauges ``/metrics`` reads at each scrape; None where unknown (never raises)."""
    state: dict[str, float | None] = dict.fromkeys(
        ("ledger_log_head_position", "ledger_checkpoint_size", "ledger_projection_lag_events")
    )
    if app is None:
        return state
    try:
        progress = app.queries.progress(app.checkpoints)
    except Exception:  # noqa: BLE001 - a scrape reports what it can, it never fails
        return state
    head = progress.head
    state["ledger_log_head_position"] = head
    state["ledger_checkpoint_size"] = progress.checkpoint_size
    state["ledger_projection_lag_events"] = max(0, head - progress.folded)
    if app.replicas is not None:
        lags = [r.get("lag_events") for r in app.replicas.lag(head)]
        known = [lag for lag in lags if lag is not None]
        state["ledger_replica_lag_events"] = max(known) if known else None
    return state
