"""Storage faults: a full or read-only database answers 503 on writes, keeps reading, recovers.

Full: SQLite's ``max_page_count`` on the connection appends use; on PostgreSQL a trigger that
fails every insert with SQLSTATE 53100 (disk_full), what PostgreSQL says when it cannot extend
a file. Read-only: SQLite opened with ``mode=ro`` (chmod does not stop root); on PostgreSQL
``default_transaction_read_only`` set on the database and its sessions ended, as an operator
fences a database. While the fault lasts writes are 503 problem+json with Retry-After, reads
work, and ``/readyz`` says why; once it clears, writes resume and nothing acknowledged is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from ledger.settings import Settings
from ledger.store import SqlEventStore
from ledger.store.postgres import normalize_url
from tests.support.api_fixtures import CENTRAL, WRITE, api_settings, head, peskov_denial
from tests.support.reliability_checks import audit_ledger
from tests.support.api_fixtures import assert_problem


MAX_PAGES = 1_073_741_823  # SQLite's default max_page_count
FILL_ATTEMPTS = 200


def store_of(client: TestClient) -> SqlEventStore:
    return client.app.state.ledger.store  # type: ignore[attr-defined,no-any-return]


def append(client: TestClient, key: str, attempts: int = 1) -> httpx.Response:
    """One statement under ``key``, retried on 503 up to ``attempts`` times (the key is safe)."""
    for _ in range(attempts):
        response = client.post(
            "/v1/statements",
            json=peskov_denial(note=f"fault test {key}"),
            headers=WRITE | {"Idempotency-Key": key},
        )
        if response.status_code != 503:
            break
    return response


@contextmanager
def sqlite_full(store: SqlEventStore) -> Iterator[None]:
    """The appends' connection may not grow the file past its current size."""
    with store.write_transaction() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with store.write_transaction() as connection:
            connection.exec_driver_sql(f"PRAGMA max_page_count = {MAX_PAGES}")


DISK_FULL = """
CREATE FUNCTION reliability_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
END $$;
CREATE TRIGGER reliability_disk_full BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION reliability_disk_full();
"""


@contextmanager
def postgres_full(store: SqlEventStore) -> Iterator[None]:
    """Every insert into the event table fails as it does when the disk is full."""
    with store.engine.begin() as connection:
        connection.exec_driver_sql(DISK_FULL)
    try:
        yield
    finally:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER reliability_disk_full ON events")
            connection.exec_driver_sql("DROP FUNCTION reliability_disk_full()")


def assert_reads_work(client: TestClient) -> None:
    assert client.get(f"/v1/claims/{CENTRAL}").status_code == 200
    assert client.get("/v1/events", params={"limit": 5}).status_code == 200
    assert client.get("/v1/audit/verify", headers=WRITE).json()["ok"] is True


def assert_not_ready_because(client: TestClient, reason: str) -> None:
    problem = assert_problem(client.get("/readyz"), 503)
    writable = problem["checks"]["writable"]  # type: ignore[index]
    assert writable["ok"] is False and reason in writable["detail"], problem
    assert problem["checks"]["database"]["ok"] is True  # type: ignore[index]


def assert_storage_problem(response: httpx.Response, reason: str) -> None:
    problem = assert_problem(response, 503)
    assert str(problem["type"]).endswith(":storage-unavailable")
    assert problem["detail"] == reason
    assert int(response.headers["Retry-After"]) > 0


def test_a_full_database_refuses_writes_keeps_reading_and_recovers(
    client: TestClient, seeded_settings: Settings
) -> None:
    store = store_of(client)
    acks = [append(client, "before").json()]
    full = sqlite_full(store) if store.backend.name == "sqlite" else postgres_full(store)
    with full:
        for n in range(FILL_ATTEMPTS):  # SQLite fills its free pages first
            response = append(client, f"filling-{n}")
            if response.status_code != 201:
                break
            acks.append(response.json())
        assert_storage_problem(response, "the database is full")
        stuck = head(client)
        assert_storage_problem(append(client, "while-full"), "the database is full")
        assert head(client) == stuck
        assert_reads_work(client)
        assert_not_ready_because(client, "the database is full")
    resumed = append(client, "while-full")  # the refused write, retried with its key
    assert resumed.status_code == 201, resumed.text
    acks.append(resumed.json())
    assert client.get("/readyz").status_code == 200
    audit = audit_ledger(seeded_settings, acks)
    assert audit.events == stuck + 1


@contextmanager
def postgres_read_only(url: str) -> Iterator[None]:
    """The database made read-only for new sessions, and every other session ended."""
    engine = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    database = make_url(url).database
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'
            )
            end_other_sessions(connection)
        yield
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{database}" RESET default_transaction_read_only'
            )
            end_other_sessions(connection)
        engine.dispose()


def end_other_sessions(connection: Any) -> None:
    connection.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND usename = current_user "
            "AND pid <> pg_backend_pid()"
        )
    )


def read_only_url(url: str) -> str:
    return f"sqlite:///file:{make_url(url).database}?mode=ro&uri=true"


def test_a_read_only_database_refuses_writes_keeps_reading_and_recovers(
    seeded_settings: Settings, backend: str
) -> None:
    url = seeded_settings.database_url
    acks = []
    with TestClient(create_app(seeded_settings, api_settings())) as client:
        acks.append(append(client, "before").json())
    if backend == "sqlite":
        faulty = Settings(database_url=read_only_url(url))
        fault: Any = nullcontext()
    else:
        faulty, fault = seeded_settings, postgres_read_only(url)
    with fault, TestClient(create_app(faulty, api_settings())) as client:
        stuck = head(client)
        response = append(client, "while-read-only", attempts=3)
        assert_storage_problem(response, "the database is read-only")
        assert head(client) == stuck
        assert_reads_work(client)
        assert_not_ready_because(client, "the database is read-only")
    with TestClient(create_app(seeded_settings, api_settings())) as client:
        resumed = append(client, "while-read-only")
        assert resumed.status_code == 201, resumed.text
        acks.append(resumed.json())
        assert client.get("/readyz").status_code == 200
    audit = audit_ledger(seeded_settings, acks)
    assert audit.events == stuck + 1


def test_a_postgres_session_ended_under_a_running_server_loses_nothing(
    client: TestClient, seeded_settings: Settings
) -> None:
    """An operator ends every session (a failover does too): the next write reconnects."""
    store = store_of(client)
    if store.backend.name != "postgresql":
        pytest.skip("PostgreSQL sessions")
    acks = [append(client, "before").json()]
    with postgres_read_only(seeded_settings.database_url):
        pass  # on and off again: both times every other session is ended
    response = append(client, "after-terminate", attempts=2)
    assert response.status_code == 201, response.text
    acks.append(response.json())
    assert_reads_work(client)
    audit_ledger(seeded_settings, acks)


def test_the_first_write_after_a_postgres_session_ends_succeeds(
    client: TestClient, seeded_settings: Settings
) -> None:
    """The appends' kept connection, found dead before any work, is replaced and retried."""
    if store_of(client).backend.name != "postgresql":
        pytest.skip("PostgreSQL sessions")
    assert append(client, "opens-the-writer").status_code == 201
    with postgres_read_only(seeded_settings.database_url):
        pass
    assert append(client, "first-after-terminate").status_code == 201


def test_the_store_itself_raises_storage_unavailable_when_the_database_is_full(
    seeded_app: Any,
) -> None:
    """Not only the API: the CLI and the seeder get the ledger's error from the hot path too."""
    from ledger.domain.model import Statement
    from ledger.errors import StorageUnavailable

    store = seeded_app.store
    full = sqlite_full(store) if store.backend.name == "sqlite" else postgres_full(store)
    with full, pytest.raises(StorageUnavailable):
        for n in range(FILL_ATTEMPTS):
            statement = Statement.model_validate(peskov_denial(note=f"store full {n}"))
            seeded_app.ledger.record_statement(statement)
