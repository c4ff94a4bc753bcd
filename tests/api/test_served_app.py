"""The application as ``ledger serve`` builds it (``api.server.served_app``), in process."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.server import served_app
from tests.support.api_fixtures import API_TOKENS
from tests.support.server import run_ledger


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """What a test froze is thawed after it: a test process starts many apps."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_the_served_app_freezes_what_its_start_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "LEDGER_API_TOKENS": API_TOKENS,
        "LEDGER_ENVIRONMENT": "test",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run_ledger(env, "db", "upgrade")
    app = served_app()
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        ledger = app.state.ledger  # built by the start, lives as long as the process
        assert gc.get_freeze_count() > 0
        assert gc.is_tracked(ledger)
        assert not any(obj is ledger for obj in gc.get_objects())  # frozen: no generation
