"""SQLite online backup while writers append, and restore from it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from typer.testing import CliRunner

import migrations
from ledger.bootstrap import open_app
from ledger.domain.events import ActorRegistered
from ledger.settings import Settings
from ledger.store import RecordedEvent
from ledger_cli.main import app as cli

WRITERS = 8
runner = CliRunner()


def run(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), env={"LEDGER_DATABASE_URL": url})
    return result.exit_code, result.output


def test_a_backup_taken_while_8_writers_append_is_a_verified_prefix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    migrations.upgrade(url)
    ledger_app = open_app(Settings(database_url=url))
    acknowledged: list[RecordedEvent] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer(number: int) -> None:
        count = 0
        while not stop.is_set() or count < 20:
            actor = ActorRegistered(key=f"w{number}-{count}", name=f"Writer {number}", kind="person")
            event = ledger_app.ledger.register_actor(actor)
            with lock:
                acknowledged.append(event)
            count += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        while len(acknowledged) < 100:
            threading.Event().wait(0.01)
        with lock:
            before = len(acknowledged)
        code, output = run(url, "backup", str(tmp_path / "copy.db"))
        with lock:
            during = len(acknowledged)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert code == 0, output
    assert "integrity_check ok" in output
    log = list(ledger_app.store.read_all())
    ledger_app.close()

    copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
    connection = sqlite3.connect(tmp_path / "copy.db")
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
    code, output = run(copy_url, "verify")
    assert code == 0 and "chain intact" in output, output
    copy_app = open_app(Settings(database_url=copy_url))
    copied = list(copy_app.store.read_all())
    copy_app.close()
    assert copied == log[: len(copied)], "the copy is not a prefix of the log"
    assert before <= len(copied) < len(log), (before, during, len(copied), len(log))
    ids = {event.event_id for event in copied}
    acknowledged_first = sorted(acknowledged, key=lambda e: e.position)[:before]
    assert all(event.event_id in ids for event in acknowledged_first)


def test_restore_brings_back_the_backup_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    migrations.upgrade(url)
    ledger_app = open_app(Settings(database_url=url))
    ledger_app.ledger.register_actor(ActorRegistered(key="kept", name="Kept", kind="person"))
    assert run(url, "backup", str(tmp_path / "b.db"))[0] == 0
    ledger_app.ledger.register_actor(ActorRegistered(key="later", name="Later", kind="person"))
    ledger_app.close()

    code, output = run(url, "restore", str(tmp_path / "b.db"))
    assert code == 0, output
    restored = open_app(Settings(database_url=url))
    assert [e.stream for e in restored.store.read_all()] == ["actor:kept"]
    restored.close()
    assert run(url, "verify")[0] == 0

    code, output = run(url, "backup", str(tmp_path / "b.db"))
    assert code == 2 and "exists" in output
    code, output = run("postgresql://nobody@127.0.0.1:1/none", "backup", str(tmp_path / "p.db"))
    assert code == 2 and "pg_basebackup" in output
    code, output = run(url, "restore", str(tmp_path / "missing.db"))
    assert code == 2 and "no backup" in output
