"""Cases on the store: single and batch appends, concurrent appends, rebuild."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from itertools import islice

from bench.harness import Databases, Figure, timed
from bench.raw import RawDriver
from bench.workload import EVENTS_PER_STREAM, StoreEvent, register_world, store_events
from ledger.bootstrap import open_app
from ledger.store import open_store


def single_append(dbs: Databases, backend: str, events: int, runs: int) -> Figure:
    """One durable commit per event: the ledger's append against the raw driver's insert."""
    figure = Figure("single append", backend, "events/s", target=0.8)
    for _ in range(runs):
        items = list(store_events(events))
        figure.ledger.append(events / _ledger_appends(dbs, backend, items))
        figure.baseline.append(
            events / _raw(dbs, backend, lambda raw: [raw.insert_one(i) for i in items])
        )
    return figure


def batch_append(dbs: Databases, backend: str, batches: int, runs: int) -> Figure:
    """100 events per transaction: one append call against one executemany."""
    figure = Figure("batch append (100/tx)", backend, "events/s", target=0.7)
    for _ in range(runs):
        groups = list(_streams(store_events(batches * EVENTS_PER_STREAM)))
        total = batches * EVENTS_PER_STREAM
        figure.ledger.append(total / _ledger_batches(dbs, backend, groups))
        figure.baseline.append(
            total / _raw(dbs, backend, lambda raw: [raw.insert_many(g) for g in groups])
        )
    return figure


def concurrent_appends(
    dbs: Databases, backend: str, per_thread: int, runs: int, threads: int = 16
) -> Figure:
    """16 threads appending single events, against one writer doing the same, both durable.
    The target is 3x on SQLite and 2.5x on PostgreSQL."""
    target = 3.0 if backend == "sqlite" else 2.5
    figure = Figure(f"{threads} concurrent writers vs 1", backend, "events/s", target=target)
    for _ in range(runs):
        items = list(store_events(per_thread * threads))
        figure.baseline.append(len(items) / _ledger_appends(dbs, backend, items))
        figure.ledger.append(len(items) / _ledger_threads(dbs, backend, items, threads))
    return figure


def rebuild(dbs: Databases, backend: str, events: int, runs: int) -> tuple[Figure, str]:
    """Rebuilding every projection from the log against a raw sequential read with JSON decoding."""
    figure = Figure("projection rebuild", backend, "events/s", target=0.5)
    url = build_statement_log(dbs, backend, events)
    app = open_app(dbs.settings(url))
    raw = RawDriver(url)
    try:
        total = app.store.head_position()
        for _ in range(runs):
            figure.baseline.append(total / timed(raw.read_all))
            figure.ledger.append(total / timed(app.queries.rebuild_projections))
    finally:
        raw.close()
        app.close()
    return figure, url


def build_statement_log(dbs: Databases, backend: str, events: int) -> str:
    """A ledger holding ``events`` statements, 100 per claim, with live projections."""
    url = dbs.fresh(backend)
    extend_statement_log(dbs, url, 0, events)
    return url


def extend_statement_log(dbs: Databases, url: str, start: int, end: int) -> None:
    """Register the claims for statements ``start`` to ``end`` and append them, 100 per stream."""
    app = open_app(dbs.settings(url))
    try:
        first_claim = start // EVENTS_PER_STREAM
        claims = (end + EVENTS_PER_STREAM - 1) // EVENTS_PER_STREAM
        register_world(app.ledger, claims=range(first_claim, claims), with_actors=start == 0)
        for group in _streams(store_events(end, start)):
            app.store.append(group[0].stream, [item.event for item in group])
    finally:
        app.close()


def _streams(items: Iterable[StoreEvent]) -> Iterable[list[StoreEvent]]:
    iterator = iter(items)
    while group := list(islice(iterator, EVENTS_PER_STREAM)):
        yield group


def _ledger_appends(dbs: Databases, backend: str, items: list[StoreEvent]) -> float:
    store = open_store(dbs.settings(dbs.fresh(backend)))
    try:
        return timed(lambda: [store.append(i.stream, [i.event]) for i in items])
    finally:
        store.close()


def _ledger_batches(dbs: Databases, backend: str, groups: list[list[StoreEvent]]) -> float:
    store = open_store(dbs.settings(dbs.fresh(backend)))
    try:
        return timed(lambda: [store.append(g[0].stream, [i.event for i in g]) for g in groups])
    finally:
        store.close()


def _ledger_threads(dbs: Databases, backend: str, items: list[StoreEvent], threads: int) -> float:
    store = open_store(dbs.settings(dbs.fresh(backend)))
    shares = [items[n::threads] for n in range(threads)]
    workers = [
        threading.Thread(target=lambda s=share: [store.append(i.stream, [i.event]) for i in s])
        for share in shares
    ]
    try:
        return timed(lambda: ([w.start() for w in workers], [w.join() for w in workers]))
    finally:
        store.close()


def _raw(dbs: Databases, backend: str, work) -> float:  # type: ignore[no-untyped-def]
    raw = RawDriver(dbs.fresh(backend))
    try:
        return timed(lambda: work(raw))
    finally:
        raw.close()
