"""Export, import and copy of the whole log: byte-identical round trips, refusals at the line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection
from typer.testing import CliRunner

import migrations
from ledger import archive
from ledger.bootstrap import open_app
from ledger.checkpoints import Checkpoint
from ledger.projections.snapshot import sql_snapshot
from ledger.settings import Settings
from ledger_cli.main import app as cli
from tests.support.api_fixtures import seed_database
from tests.support.databases import fresh_database_url

runner = CliRunner()


def ledger(url: str, *args: str) -> str:
    """Run ``ledger ARGS`` on the database ``url``; return its output, failing on an error."""
    result = runner.invoke(cli, list(args), env={"LEDGER_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str) -> str:
    result = runner.invoke(cli, list(args), env={"LEDGER_DATABASE_URL": url})
    assert result.exit_code == 2, result.output
    return result.output


def seeded_sqlite(tmp_path: Path, name: str = "source.db") -> str:
    url = f"sqlite:///{tmp_path / name}"
    migrations.upgrade(url)
    seed_database(Settings(database_url=url))
    return url


def state(url: str) -> tuple[int, str, object]:
    """The chain's head (position and hash) and the projections, checked against a rebuild."""
    ledger_app = open_app(Settings(database_url=url))
    try:
        assert ledger_app.queries.verify().ok
        last = list(ledger_app.store.read_all())[-1]
        with ledger_app.store.read_connection() as connection:
            live = sql_snapshot(connection)
        ledger_app.queries.rebuild_projections()
        with ledger_app.store.read_connection() as connection:
            assert sql_snapshot(connection) == live, "imported projections differ from a rebuild"
        return last.position, last.hash, live
    finally:
        ledger_app.close()


def event_count(url: str) -> int:
    ledger_app = open_app(Settings(database_url=url))
    try:
        return ledger_app.store.head_position()
    finally:
        ledger_app.close()


@pytest.mark.postgres
def test_sqlite_to_postgresql_to_sqlite_changes_nothing(tmp_path: Path) -> None:
    source = seeded_sqlite(tmp_path)
    postgres = fresh_database_url("postgresql", tmp_path)
    back = f"sqlite:///{tmp_path / 'back.db'}"
    ledger(source, "export", "--out", str(tmp_path / "source.jsonl"))

    copied = ledger(source, "copy", "--from", source, "--to", postgres)
    ledger(postgres, "export", "--out", str(tmp_path / "postgres.jsonl"))
    ledger(back, "import", str(tmp_path / "postgres.jsonl"))
    ledger(back, "export", "--out", str(tmp_path / "back.jsonl"))

    exported = [(tmp_path / f"{name}.jsonl").read_bytes() for name in ("source", "postgres", "back")]
    assert exported[0] == exported[1] == exported[2]
    assert exported[0].count(b"\n") == event_count(source) + 1  # the header line
    assert f"imported {event_count(source)} events, chain verified" in copied
    heads = [state(url) for url in (source, postgres, back)]
    assert heads[0][:2] == heads[1][:2] == heads[2][:2]
    assert heads[0][2] == heads[1][2] == heads[2][2]


def test_each_line_is_the_rfc8785_canonical_envelope(tmp_path: Path) -> None:
    import rfc8785

    source = seeded_sqlite(tmp_path)
    ledger_app = open_app(Settings(database_url=source))
    try:
        lines = list(archive.export_lines(ledger_app.store))
        events = list(ledger_app.store.read_all())
    finally:
        ledger_app.close()
    assert lines[0] == '{"format":"claims-ledger-archive","version":1}'
    assert len(lines) == len(events) + 1
    for line, event in zip(lines[1:], events, strict=True):
        assert line == rfc8785.dumps(event.to_json()).decode("utf-8")


# The SHA-256 of the seed's archive as the ledger wrote it before the envelope codec was one
# (commit 922674b): the seed's ids and recorded times are fixed, so its export is too.
SEED_EXPORT_SHA256 = "33f053163467bc7101919fee08bc9fadac4d80ed2bc13130ca2f9167d2bc0da8"


def test_the_seed_exports_to_the_bytes_the_ledger_always_wrote(tmp_path: Path) -> None:
    import hashlib

    source = seeded_sqlite(tmp_path)
    ledger(source, "export", "--out", str(tmp_path / "seed.jsonl"))
    exported = (tmp_path / "seed.jsonl").read_bytes()
    assert hashlib.sha256(exported).hexdigest() == SEED_EXPORT_SHA256


def test_export_import_on_one_backend_keeps_ids_times_and_hashes(
    tmp_path: Path, backend: str
) -> None:
    source = seeded_sqlite(tmp_path)
    target = fresh_database_url(backend, tmp_path)
    ledger(source, "export", "--out", str(tmp_path / "a.jsonl"))
    ledger(target, "import", str(tmp_path / "a.jsonl"))
    source_app, target_app = (open_app(Settings(database_url=u)) for u in (source, target))
    try:
        assert list(source_app.store.read_all()) == list(target_app.store.read_all())
    finally:
        source_app.close()
        target_app.close()


Tamper = Callable[[list[str]], int]  # changes the lines; returns the line number to be named


def change_data(lines: list[str]) -> int:
    record = json.loads(lines[40])
    record["data"]["note"] = "rewritten"
    lines[40] = json.dumps(record)
    return 41


def remove_an_event(lines: list[str]) -> int:
    del lines[60]
    return 61


def swap_two_events(lines: list[str]) -> int:
    lines[20], lines[21] = lines[21], lines[20]
    return 21


def relink_the_chain(lines: list[str]) -> int:
    """A changed event re-hashed: its own hash checks, its successor's prev_hash does not."""
    record = json.loads(lines[90])
    record["metadata"] = {"source": "forged"}
    from ledger.store.records import RecordedEvent, expected_hash

    record["hash"] = expected_hash(RecordedEvent.from_json(record))
    lines[90] = json.dumps(record)
    return 92


def break_json(lines: list[str]) -> int:
    lines[100] = lines[100][:-5]
    return 101


def repeat_the_last_event(lines: list[str]) -> int:
    lines.append(lines[-1])
    return len(lines)


@pytest.mark.parametrize(
    "tamper",
    [change_data, remove_an_event, swap_two_events, relink_the_chain, break_json,
     repeat_the_last_event],
)
def test_a_tampered_archive_is_refused_at_its_line_with_nothing_written(
    tmp_path: Path, backend: str, tamper: Tamper
) -> None:
    source = seeded_sqlite(tmp_path)
    target = fresh_database_url(backend, tmp_path)
    path = tmp_path / "a.jsonl"
    ledger(source, "export", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    bad_line = tamper(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    output = refused(target, "import", str(path))

    assert f"error: line {bad_line}:" in output
    assert event_count(target) == 0


def test_import_into_a_database_with_events_is_refused(tmp_path: Path, backend: str) -> None:
    source = seeded_sqlite(tmp_path)
    target = fresh_database_url(backend, tmp_path)
    ledger(source, "export", "--out", str(tmp_path / "a.jsonl"))
    ledger(target, "import", str(tmp_path / "a.jsonl"))
    seeded = event_count(source)
    output = refused(target, "import", str(tmp_path / "a.jsonl"))
    assert f"already holds {seeded} events" in output
    assert event_count(target) == seeded


def test_a_file_that_is_not_an_archive_is_refused(tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 't.db'}"
    (tmp_path / "x.jsonl").write_text('{"hello": 1}\n')
    assert "line 1: not a ledger archive" in refused(target, "import", str(tmp_path / "x.jsonl"))
    assert "no archive at" in refused(target, "import", str(tmp_path / "missing.jsonl"))


class FixedCheckpoint:
    """A checkpoint source standing in for issue 12's signed checkpoints."""

    def __init__(self, size: int, accept: bool = True) -> None:
        self.size, self.accept = size, accept
        self.verified: list[tuple[str, int]] = []
        self.kept_texts: list[str] = []

    def latest(self, connection: Connection) -> Checkpoint | None:
        return Checkpoint(self.size, f"ledger.example\n{self.size}\nROOT\n")

    def kept(self, connection: Connection, head: int) -> Iterator[Checkpoint]:
        yield Checkpoint(self.size, f"ledger.example\n{self.size}\nROOT\n")

    def keep_imported(self, connection: Connection, checkpoint: Checkpoint) -> None:
        self.kept_texts.append(checkpoint.text)

    def verify_imported(self, connection: Connection, text: str, head: int) -> str | None:
        self.verified.append((text, head))
        return None if self.accept else "the root does not match"


def test_the_checkpoint_ends_the_archive_and_is_verified_on_import(tmp_path: Path) -> None:
    source, target = seeded_sqlite(tmp_path), f"sqlite:///{tmp_path / 't.db'}"
    migrations.upgrade(target)
    source_app, target_app = (open_app(Settings(database_url=u)) for u in (source, target))
    try:
        size = source_app.store.head_position()
        note = f"ledger.example\n{size}\nROOT\n"
        lines = list(archive.export_lines(source_app.store, FixedCheckpoint(size)))
        assert json.loads(lines[-1]) == {"checkpoint": note}
        refusing = FixedCheckpoint(size, accept=False)
        # the header, one line an event, then the checkpoint's line
        with pytest.raises(archive.ArchiveError, match=f"line {size + 2}: the checkpoint does not"):
            archive.import_lines(target_app.store, lines, checkpoints=refusing)
        assert target_app.store.head_position() == 0
        accepting = FixedCheckpoint(size)
        report = archive.import_lines(target_app.store, lines, checkpoints=accepting)
        assert accepting.verified == [(note, size)]
        assert accepting.kept_texts == [note]
        assert (report.events, report.checkpoint) == (size, note)
    finally:
        source_app.close()
        target_app.close()


def test_a_signed_checkpoint_travels_with_the_archive_and_its_root_is_checked(
    tmp_path: Path,
) -> None:
    from ledger.audit.note import SigningKey

    key_file = tmp_path / "signing.key"
    key_file.write_text(SigningKey.generate("ledger.example").text, encoding="utf-8")
    source = seeded_sqlite(tmp_path)
    source_app = open_app(Settings(database_url=source, signing_key_file=key_file))
    try:
        signed = source_app.log.sign()
    finally:
        source_app.close()
    path = tmp_path / "a.jsonl"
    ledger(source, "export", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["checkpoint"] == signed.note

    target = f"sqlite:///{tmp_path / 'ok.db'}"
    assert "1 checkpoint(s) verified and kept" in ledger(target, "import", str(path))
    forged = signed.note.replace(f"\n{signed.size}\n", f"\n{signed.size - 1}\n", 1)
    lines[-1] = json.dumps({"checkpoint": forged})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = f"sqlite:///{tmp_path / 'bad.db'}"
    output = refused(bad, "import", str(path))
    assert f"line {len(lines)}: the checkpoint does not verify: its root is not" in output
    assert event_count(bad) == 0
