"""SQLite online backup through SQLite's own backup API (``sqlite3.Connection.backup``).

The copy is taken in one step inside one read transaction on the source: in WAL mode that
transaction sees one committed state and does not block writers, so the service keeps
appending while the copy holds exactly the events committed when it began, a prefix of the
log. The copy is then checked with ``PRAGMA integrity_check`` before it is called done.
PostgreSQL has its own tools (``pg_basebackup``, ``pg_dump``) and ``ledger export``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from ledger.errors import BackupError


def sqlite_path(url: str) -> Path:
    """The file an SQLite URL names; refuse other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise BackupError(
            "ledger backup copies an SQLite file; on PostgreSQL use pg_basebackup or pg_dump, "
            "or `ledger export`"
        )
    if parsed.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy the database ``url`` names to ``target`` (a new file); return its page count."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists: a backup goes to a new file")
    return _copy(source_path, target)


def restore(backup_file: Path, url: str) -> int:
    """Copy a backup over the database ``url`` names (stop the service first)."""
    target = sqlite_path(url)
    if not backup_file.exists():
        raise BackupError(f"no backup at {backup_file}")
    check_integrity(backup_file)
    return _copy(backup_file, target)


def _copy(source_path: Path, target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination, pages=-1)  # one step: one consistent snapshot
        pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
    finally:
        destination.close()
        source.close()
    check_integrity(target)
    return pages


def check_integrity(path: Path) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
    if result != ["ok"]:
        raise BackupError(f"{path} fails integrity_check: {'; '.join(result[:3])}")
