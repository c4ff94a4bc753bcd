"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import AppDep
from api.health import head_or_none, readiness
from api.problems import ProblemResponse, problem, responses
from api.views import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> dict[str, str]:
    """The process is alive (touches nothing else)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses=responses(503))
def readyz(app: AppDep, request: Request) -> dict[str, Any] | ProblemResponse:
    """The database is reachable, migrated to head and writable; 503 names the failed check."""
    results = readiness(app, getattr(request.app.state, "write_faults", None))
    checks = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}
    failed = [name for name, (ok, _) in results.items() if not ok]
    if failed:
        detail = f"failed: {', '.join(failed)}"
        return problem(503, "not-ready", detail, title="Not ready", extra={"checks": checks})
    answer: dict[str, Any] = {"status": "ready", "checks": checks}
    if app.replicas is not None:
        answer["replicas"] = app.replicas.lag(head_or_none(app.store))
    return answer
