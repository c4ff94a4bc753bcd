"""Reads from a real PostgreSQL streaming replica, read-your-writes, and a replica that is down.

Needs LEDGER_TEST_REPLICA_URL: the test database's name on a streaming replica of the
PostgreSQL that LEDGER_TEST_POSTGRES_URL names (``.ci/run`` creates one with pg_basebackup).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ledger.settings import Settings
from tests.support.api_fixtures import CENTRAL, WRITE, api_settings, peskov_denial


REPLICA_URL = os.environ.get("LEDGER_TEST_REPLICA_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", [pytest.param("postgresql")]),
]
DOWN_REPLICA = "postgresql://ledger:ledger@127.0.0.1:9/ledger"  # nothing listens on port 9


def replica_url() -> str:
    if not REPLICA_URL:
        pytest.skip("LEDGER_TEST_REPLICA_URL is unset: replica tests skipped")
    return REPLICA_URL


def served_by(response: object) -> str:
    return response.headers["X-Ledger-Read-From"]  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def replicated(seeded_settings: Settings) -> Iterator[TestClient]:
    settings = seeded_settings.model_copy(
        update={"read_database_url": replica_url(), "read_wait_ms": 2000}
    )
    with TestClient(create_app(settings, api_settings())) as client:
        yield client


def test_reads_are_served_by_the_replica_which_is_in_recovery(replicated: TestClient) -> None:
    replicas = replicated.app.state.ledger.replicas  # type: ignore[attr-defined]
    with replicas.replicas[0].store.read_connection() as connection:
        assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
    response = replicated.get("/v1/claims", params={"min_position": 131})
    assert response.status_code == 200
    assert served_by(response) == "replica"
    assert served_by(replicated.get("/v1/actors")) == "replica"


def test_a_read_with_min_position_sees_the_write_it_follows(replicated: TestClient) -> None:
    written = replicated.post("/v1/statements", json=peskov_denial(), headers=WRITE)
    position = int(written.headers["X-Ledger-Position"])
    assert position == written.json()["position"]
    statement = written.headers["Location"]
    response = replicated.get(statement, params={"min_position": position})
    assert response.status_code == 200, response.text
    assert served_by(response) == "replica"
    claim = replicated.get(f"/v1/claims/{CENTRAL}", params={"min_position": position})
    assert served_by(claim) == "replica" and claim.status_code == 200


def test_a_position_the_replica_lacks_is_answered_by_the_primary_after_the_wait(
    replicated: TestClient,
) -> None:
    started = time.monotonic()
    response = replicated.get("/v1/claims", params={"min_position": 10**9})
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert served_by(response) == "primary"
    assert waited >= 2.0  # the bounded wait, read_wait_ms


def test_readyz_reports_replica_lag(replicated: TestClient) -> None:
    ready = replicated.get("/readyz").json()
    assert ready["status"] == "ready"
    [replica] = ready["replicas"]
    assert replica["reachable"] is True
    assert replica["head"] >= 0 and replica["lag_events"] >= 0 and replica["lag_seconds"] >= 0


def test_a_stopped_replica_sends_reads_to_the_primary(seeded_settings: Settings) -> None:
    replica_url()
    settings = seeded_settings.model_copy(update={"read_database_url": DOWN_REPLICA})
    with TestClient(create_app(settings, api_settings())) as client:
        response = client.get(f"/v1/claims/{CENTRAL}")
        assert response.status_code == 200 and served_by(response) == "primary"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["replicas"] == [
            {"replica": "postgresql+psycopg://ledger:***@127.0.0.1:9/ledger", "reachable": False}
        ]
