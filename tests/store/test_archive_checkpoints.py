"""A move keeps the whole signed history: every kept checkpoint, its cosignatures and its time.

Export writes every kept checkpoint after the events, smallest size first; import verifies each
against the imported events and keeps it; so export -> import -> export is the same bytes, and
the target answers ``GET /v1/audit/checkpoint?size=N`` as the source did.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

import migrations
from api.app import create_app
from ledger.audit.cosignature import CosignerKey
from ledger.audit.log import SignedCheckpoint
from ledger.audit.note import Checkpoint, SigningKey, sign_note
from ledger.bootstrap import open_app
from ledger.settings import Settings
from ledger.audit.schema import cosignatures
from ledger.store.tree import TreeReader
from ledger_cli.main import app as cli
from tests.support.api_fixtures import READ, api_settings, seed_database
from tests.support.databases import fresh_database_url

runner = CliRunner()
EARLIER_SIZES = (1, 40, 77, 100)


def run(url: str, key: Path, *args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_SIGNING_KEY_FILE": str(key), **(env or {})}
    result = runner.invoke(cli, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def signed_source(tmp_path: Path) -> tuple[str, Path]:
    """The seeded ledger with checkpoints kept at several sizes, one of them cosigned."""
    key_file = tmp_path / "signing.key"
    key = SigningKey.generate("ledger.test/log")
    key_file.write_text(key.text + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'source.db'}"
    migrations.upgrade(url)
    settings = Settings(database_url=url, signing_key_file=key_file)
    seed_database(settings)
    ledger_app = open_app(settings)
    try:
        for size in EARLIER_SIZES:  # as a ledger that signed while it grew would have kept
            with ledger_app.store.read_connection() as connection:
                root = TreeReader(connection).root(size)
            note = sign_note(Checkpoint("ledger.test/log", size, root).text, key)
            ledger_app.log._keep(SignedCheckpoint(size, root, note, ledger_app.log.clock()))
        latest = ledger_app.log.sign()
        witness = SigningKey.generate("witness.test/w1")
        line = sign_note(Checkpoint("ledger.test/log", 40, root).text, witness).splitlines()[-1]
        with ledger_app.store.write_transaction() as connection:
            connection.execute(
                insert(cosignatures),
                {"size": 40, "witness": "witness.test/w1+0000abcd", "line": line,
                 "received_at": latest.signed_at},
            )
    finally:
        ledger_app.close()
    return url, key_file


def served_checkpoints(url: str, key: Path) -> dict[int, str]:
    settings = Settings(database_url=url, signing_key_file=key, checkpoint_interval_seconds=0)
    with TestClient(create_app(settings, api_settings())) as client:
        sizes = [c["size"] for c in client.get("/v1/audit/checkpoints", headers=READ).json()]
        answers = {
            size: client.get("/v1/audit/checkpoint", params={"size": size}, headers=READ)
            for size in sizes
        }
    assert all(a.status_code == 200 for a in answers.values())
    return {size: answer.text for size, answer in answers.items()}


def archive_checkpoints(path: Path) -> list[dict[str, str]]:
    return [
        json.loads(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith('{"checkpoint"')
    ]


def test_an_export_writes_every_kept_checkpoint_in_size_order_after_the_events(
    tmp_path: Path,
) -> None:
    source, key = signed_source(tmp_path)
    path = tmp_path / "a.jsonl"
    run(source, key, "export", "--out", str(path))
    kept = archive_checkpoints(path)
    sizes = [int(c["checkpoint"].split("\n")[1]) for c in kept]
    assert sizes == [*EARLIER_SIZES, 132]
    assert path.read_text(encoding="utf-8").splitlines()[-len(kept) - 1].startswith('{"data"')
    cosigned = kept[EARLIER_SIZES.index(40)]["checkpoint"]
    assert cosigned.count("\n\u2014 ") == 2 and "\u2014 witness.test/w1 " in cosigned
    assert all(c["signed_at"].endswith("Z") for c in kept)


def move_and_compare(tmp_path: Path, source: str, key: Path, targets: list[str]) -> None:
    """Export source, import into each target in turn, export it: every file the same bytes."""
    exported = tmp_path / "0.jsonl"
    run(source, key, "export", "--out", str(exported))
    files = [exported]
    for n, target in enumerate(targets, start=1):
        imported = run(target, key, "import", str(files[-1]))
        assert f"the archive's {len(EARLIER_SIZES) + 1} checkpoint(s) verified and kept" in imported
        files.append(tmp_path / f"{n}.jsonl")
        run(target, key, "export", "--out", str(files[-1]))
        assert files[-1].read_bytes() == exported.read_bytes(), f"{files[-1]} differs"
        assert f"; {len(EARLIER_SIZES) + 1} kept checkpoints match" in run(target, key, "verify")


def test_export_import_export_is_byte_identical_on_each_backend(
    tmp_path: Path, backend: str
) -> None:
    source, key = signed_source(tmp_path)
    target = fresh_database_url(backend, tmp_path / "target")
    move_and_compare(tmp_path, source, key, [target])
    assert served_checkpoints(target, key) == served_checkpoints(source, key)


@pytest.mark.postgres
def test_sqlite_to_postgresql_to_sqlite_keeps_every_checkpoint_byte_for_byte(
    tmp_path: Path,
) -> None:
    source, key = signed_source(tmp_path)
    postgres = fresh_database_url("postgresql", tmp_path)
    back = f"sqlite:///{tmp_path / 'back.db'}"
    move_and_compare(tmp_path, source, key, [postgres, back])
    before = served_checkpoints(source, key)
    assert served_checkpoints(postgres, key) == before == served_checkpoints(back, key)
    assert set(before) == {*EARLIER_SIZES, 132}


def test_an_archive_with_one_checkpoint_line_from_before_still_imports(tmp_path: Path) -> None:
    source, key = signed_source(tmp_path)
    path = tmp_path / "a.jsonl"
    run(source, key, "export", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    events = [line for line in lines if not line.startswith('{"checkpoint"')]
    newest = json.loads(lines[-1])["checkpoint"]
    path.write_text("\n".join([*events, json.dumps({"checkpoint": newest})]) + "\n")
    target = f"sqlite:///{tmp_path / 'old.db'}"
    assert "1 checkpoint(s) verified and kept" in run(target, key, "import", str(path))
    assert served_checkpoints(target, key) == {132: newest}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda cps: cps[::-1], "checkpoints come in size order, each once: size 100 after 132"),
        (lambda cps: [cps[0], cps[0]], "size 1 after 1"),
        (lambda cps: [{**cps[0], "signed_at": "yesterday"}], "signed_at: an instant"),
        (lambda cps: [{**cps[0], "by": "me"}], "unknown fields by"),
    ],
)
def test_checkpoint_lines_out_of_order_or_malformed_are_refused_with_nothing_written(
    tmp_path: Path, change: object, message: str
) -> None:
    source, key = signed_source(tmp_path)
    path = tmp_path / "a.jsonl"
    run(source, key, "export", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    events = [line for line in lines if not line.startswith('{"checkpoint"')]
    changed = change(archive_checkpoints(path))  # type: ignore[operator]
    path.write_text("\n".join([*events, *(json.dumps(c) for c in changed)]) + "\n")
    target = f"sqlite:///{tmp_path / 'bad.db'}"
    output = run(target, key, "import", str(path), code=2)
    assert message in output
    assert "line " in output
    settings = Settings(database_url=target)
    ledger_app = open_app(settings)
    try:
        assert ledger_app.store.head_position() == 0
        assert ledger_app.log.history() == []
    finally:
        ledger_app.close()


def test_an_event_after_a_checkpoint_line_is_refused(tmp_path: Path) -> None:
    source, key = signed_source(tmp_path)
    path = tmp_path / "a.jsonl"
    run(source, key, "export", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])
    path.write_text("\n".join(lines) + "\n")
    output = run(f"sqlite:///{tmp_path / 'bad.db'}", key, "import", str(path), code=2)
    assert f"line {len(lines)}: only checkpoint lines may follow the first checkpoint" in output


def test_a_checkpoint_signed_by_another_key_is_refused_by_a_keyed_target(tmp_path: Path) -> None:
    source, key = signed_source(tmp_path)
    path = tmp_path / "a.jsonl"
    run(source, key, "export", "--out", str(path))
    other = tmp_path / "other.key"
    other.write_text(SigningKey.generate("ledger.test/log").text + "\n")
    output = run(f"sqlite:///{tmp_path / 'o.db'}", other, "import", str(path), code=2)
    assert "the checkpoint does not verify: invalid signature" in output or (
        "no signature by ledger.test/log" in output
    )


def test_a_cosignature_by_a_policy_witness_must_verify_on_import(tmp_path: Path) -> None:
    """The target knows witness w1 (its policy): a forged w1 line is refused at its line; a
    line by a witness it does not know is kept as published."""
    source, key = signed_source(tmp_path)
    path = tmp_path / "a.jsonl"
    run(source, key, "export", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    cosigner = CosignerKey.generate("witness.test/w1")
    policy = tmp_path / "policy.txt"
    policy.write_text(f"witness w1 {cosigner.verifier.text} https://w1.example\nquorum w1\n")
    number = next(i for i, line in enumerate(lines) if line.startswith('{"checkpoint"'))
    record = json.loads(lines[number])
    text = record["checkpoint"].split("\n\n")[0] + "\n"
    good = cosigner.cosign(text, 1_700_000_000)
    forged = cosigner.cosign(text.replace("\n", "\nx", 1), 1_700_000_000)  # another text
    env = {"LEDGER_WITNESS_POLICY": str(policy)}
    for line, code in ((forged, 2), (good, 0)):
        record_with = {**record, "checkpoint": record["checkpoint"] + line + "\n"}
        changed = [*lines[:number], json.dumps(record_with), *lines[number + 1 :]]
        path.write_text("\n".join(changed) + "\n")
        target = f"sqlite:///{tmp_path / f'w{code}.db'}"
        output = run(target, key, "import", str(path), code=code, env=env)
        if code:
            assert f"line {number + 1}: the checkpoint does not verify: witness witness.test/w1: " \
                   "the cosignature does not verify" in output
    assert good in served_checkpoints(target, key)[1]
