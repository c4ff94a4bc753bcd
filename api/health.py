"""Readiness: the database answers, its schema is at the migrations' head, and it takes writes."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

import migrations
from ledger.bootstrap import App
from ledger.store.sqlite import WRITE_OPTION

CheckResult = tuple[bool, str]


def readiness(app: App) -> dict[str, CheckResult]:
    """Each check's outcome in order; later checks are skipped once the database is unreachable."""
    engine = app.store.engine
    results = {"database": _run(lambda: _reachable(engine))}
    if not results["database"][0]:
        skipped = (False, "skipped: the database is unreachable")
        return {**results, "migrations": skipped, "writable": skipped}
    results["migrations"] = _run(lambda: _at_head(engine))
    results["writable"] = _run(lambda: _writable(engine, app.store.backend.name))
    return results


def _run(check: Callable[[], CheckResult]) -> CheckResult:
    try:
        return check()
    except SQLAlchemyError as error:
        return False, type(error.orig if hasattr(error, "orig") else error).__name__
    except Exception as error:  # noqa: BLE001 - a probe reports every failure, it never raises
        return False, type(error).__name__


def _reachable(engine: Engine) -> CheckResult:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True, "reachable"


def _at_head(engine: Engine) -> CheckResult:
    current, head = migrations.current_revision(engine), migrations.head_revision()
    if current != head:
        return False, f"schema at {current or 'nothing'}, migrations head is {head}"
    return True, f"at head {head}"


def _writable(engine: Engine, backend: str) -> CheckResult:
    """SQLite: the write lock can be taken. PostgreSQL: not read-only, not a standby."""
    if backend == "sqlite":
        return _sqlite_writable(engine)
    with engine.connect() as connection:
        read_only = connection.execute(text("SHOW transaction_read_only")).scalar()
        standby = connection.execute(text("SELECT pg_is_in_recovery()")).scalar()
    if read_only == "on" or standby:
        return False, "the database is read-only"
    return True, "takes writes"


def _sqlite_writable(engine: Engine) -> CheckResult:
    connection = engine.connect().execution_options(**{WRITE_OPTION: True})
    with connection, connection.begin() as transaction:  # BEGIN IMMEDIATE: the write lock
        transaction.rollback()
    return True, "takes writes"
