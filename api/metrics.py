"""Prometheus metrics: the HTTP traffic, the write path, and the log's state read at scrape time.

Each application has its own ``CollectorRegistry`` (tests and benchmarks build many apps in
one process; the client library's global registry would refuse the second). HTTP metrics come
from the edge middleware (``api/edge.py``), labelled by route *template*
(``/v1/claims/{key}``), never the raw path, so the series count stays bounded whatever
clients send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Scope


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Why a write was refused, by its HTTP status (problem types share these statuses one to one).
REFUSAL_REASONS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    409: "state-conflict",
    412: "version-conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "rate-limited",
    503: "storage-unavailable",
}
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class LedgerMetrics:
    """Every metric the service exports, registered on one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ledger_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "ledger_http_request_duration_seconds",
            "Time from a request's arrival to its answer's start, by method and route.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.append_seconds = Histogram(
            "ledger_append_duration_seconds",
            "Time from a write's call to its durable commit (or its refusal).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "ledger_group_commit_batch_size",
            "Writes sharing one durable commit.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.refused_writes = Counter(
            "ledger_writes_refused",
            "Write requests refused, by reason.",
            ("reason",),
            registry=self.registry,
        )
        self.feed_clients = Gauge(
            "ledger_feed_clients",
            "Clients connected to the live feed (/v1/events/stream).",
            registry=self.registry,
        )

    def time_write(self, seconds: float, _ok: bool) -> None:
        """The store's write timer (``open_app(write_timers=...)``)."""
        self.append_seconds.observe(seconds)

    def count_commit(self, batch_size: int) -> None:
        """The store's commit listener (``open_app(commit_listeners=...)``)."""
        self.batch_size.observe(batch_size)

    def add_state(self, read_state: Callable[[], dict[str, float | None]]) -> None:
        """Gauges computed at scrape time (head position, checkpoint size, lags)."""
        self.registry.register(_StateCollector(read_state))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one answered request; a refused write also counts by its reason."""
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)
        if method in WRITE_METHODS and status >= 400:
            self.refused_writes.labels(REFUSAL_REASONS.get(status, f"http-{status}")).inc()


STATE_HELP = {
    "ledger_log_head_position": "The position of the log's last event (0 when empty).",
    "ledger_checkpoint_size": "The tree size of the latest signed checkpoint.",
    "ledger_projection_lag_events": "Events the projection tables have not folded in yet.",
    "ledger_replica_lag_events": "Events the most lagging read replica has not replayed yet.",
}


class _StateCollector(Collector):
    """Reads the ledger's state on each scrape; a value that is None is left out."""

    def __init__(self, read_state: Callable[[], dict[str, float | None]]) -> None:
        self._read_state = read_state

    def describe(self) -> Iterable[Any]:
        return []  # unknown until scraped: the checkpoint gauge exists only with checkpoints

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, value in self._read_state().items():
            if value is not None:
                yield GaugeMetricFamily(name, STATE_HELP.get(name, name), value=value)


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``(unmatched)`` for a 404 with no route."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(unmatched)"
