"""Running a case: fresh databases, ledger and baseline interleaved, ratios per run."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import migrations
from ledger.settings import Settings
from tests.support.databases import reset_postgres


@dataclass
class Figure:
    """One compared quantity: the ledger's value, the baseline's, and their ratio, per run."""

    case: str
    backend: str
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    ledger: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.ledger, self.baseline, strict=True) if b]

    def summary(self) -> dict[str, Any]:
        ratios = self.ratios
        median = statistics.median(ratios) if ratios else None
        met = None
        if self.target is not None and median is not None:
            met = median >= self.target if self.higher_is_better else median <= self.target
        return {
            "case": self.case,
            "backend": self.backend,
            "unit": self.unit,
            "ledger": self.ledger,
            "baseline": self.baseline,
            "ratios": ratios,
            "median": median,
            "min": min(ratios, default=None),
            "max": max(ratios, default=None),
            "target": self.target,
            "higher_is_better": self.higher_is_better,
            "met": met,
            "note": self.note,
        }


class Databases:
    """Fresh, migrated databases for each measurement, on SQLite or PostgreSQL."""

    def __init__(self, postgres_url: str | None) -> None:
        self.postgres_url = postgres_url
        self.folder = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
        self.count = 0
        self.last_url = ""

    @property
    def backends(self) -> list[str]:
        return ["sqlite", "postgresql"] if self.postgres_url else ["sqlite"]

    def fresh(self, backend: str) -> str:
        self.count += 1
        if backend == "sqlite":
            url = f"sqlite:///{self.folder / f'bench-{self.count}.db'}"
        else:
            assert self.postgres_url
            reset_postgres(self.postgres_url)
            url = self.postgres_url
        migrations.upgrade(url)
        self.last_url = url
        return url

    def settings(self, url: str) -> Settings:
        return Settings(database_url=url)


def timed(work: Callable[[], Any]) -> float:
    """Seconds ``work`` takes."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def fsync_latencies(folder: Path, count: int) -> list[float]:
    """How long one fsync of a 4 KiB write takes here: the physical bound of a durable commit."""
    path = folder / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    latencies = []
    try:
        for _ in range(count):
            os.write(fd, b"x" * 4096)
            started = time.perf_counter()
            os.fsync(fd)
            latencies.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink()
    return latencies


def growth_figures(
    case: str, backend: str, large: list[float], small: list[float]
) -> list[Figure]:
    """Latency (seconds) at the larger size over the smaller, p50 and p99, in milliseconds;
    ``case`` names the quantity with ``{name}`` for the percentile."""
    figures = []
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        figure = Figure(case.format(name=name), backend, "ms", target=2.0, higher_is_better=False)
        figure.ledger.append(percentile(large, fraction) * 1e3)
        figure.baseline.append(percentile(small, fraction) * 1e3)
        figures.append(figure)
    return figures
