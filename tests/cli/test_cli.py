"""The ``ledger`` command on a fresh database: migrate, verify, rebuild, and clear failures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ledger.audit.note import SigningKey, open_checkpoint
from ledger.bootstrap import Wiring
from ledger.projections.queries import StatementFilter
from ledger.settings import Settings, project_root
from ledger_cli.main import app as cli
from tests.support.tampering import overwrite_event_data


@pytest.fixture
def runner(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LEDGER_DATABASE_URL", empty_database_url)
    return CliRunner()


@pytest.fixture
def seeded_runner(
    seeded_app: Wiring, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """The command on the seeded ledger of ``seeded_app``."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    return CliRunner()


def test_upgrade_then_verify_on_a_fresh_database(runner: CliRunner) -> None:
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    verified = runner.invoke(cli, ["verify"])

    assert upgraded.exit_code == 0, upgraded.output
    assert verified.exit_code == 0
    assert "ok: 0 events checked" in verified.output


def test_verify_names_the_tampered_position_and_exits_non_zero(
    seeded_app: Wiring, seeded_runner: CliRunner
) -> None:
    overwrite_event_data(seeded_app.store.engine, 77, {"claim": "rewritten"})

    result = seeded_runner.invoke(cli, ["verify"])

    assert result.exit_code == 1
    assert "BROKEN at position 77" in result.output


def test_rebuild_reports_how_many_events_it_folded(
    seeded_app: Wiring, seeded_runner: CliRunner
) -> None:
    before = seeded_app.queries.claims().items

    result = seeded_runner.invoke(cli, ["projections", "rebuild"])

    assert result.exit_code == 0
    assert f"rebuilt from {seeded_app.store.head_position()} events" in result.output
    assert seeded_app.queries.claims().items == before


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every leaf command of the CLI as ("audit watch", its command), walking the real tree."""
    children = getattr(command, "commands", None)
    if children is None:
        yield " ".join(path), command
        return
    for name, child in children.items():
        yield from commands(child, (*path, name))


def documentation() -> str:
    root = project_root()
    return "\n".join(p.read_text() for p in [root / "README.md", *sorted(root.glob("docs/*.md"))])


def test_every_command_has_help_text_and_is_documented() -> None:
    everything = dict(commands(typer.main.get_command(cli)))
    docs = documentation()
    assert {"verify", "seed", "replay", "stories load", "audit watch"} <= set(everything)
    for name, command in everything.items():
        assert (command.help or "").strip(), f"ledger {name} has no help text"
        assert f"ledger {name}" in docs, f"ledger {name} is in no README or docs/ page"


@pytest.mark.parametrize("command", [["verify"], ["seed"], ["projections", "rebuild"]])
def test_a_database_that_is_not_migrated_gets_a_message_not_a_traceback(
    runner: CliRunner, command: list[str]
) -> None:
    result = runner.invoke(cli, command)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "run `ledger db upgrade` first" in result.output


STORY_FILE = Path(__file__).resolve().parents[2] / "docs/examples/harbour-bridge/story.yaml"


def test_stories_load_records_a_story_now_and_a_rerun_appends_nothing(
    seeded_app: Wiring, seeded_runner: CliRunner
) -> None:
    before = seeded_app.store.head_position()

    first = seeded_runner.invoke(cli, ["stories", "load", str(STORY_FILE)])
    after = seeded_app.store.head_position()
    second = seeded_runner.invoke(cli, ["stories", "load", str(STORY_FILE)])

    assert first.exit_code == 0, first.output
    assert "appended 16 events" in first.output
    assert second.exit_code == 0 and "nothing appended" in second.output
    assert seeded_app.store.head_position() == after == before + 16
    story = seeded_app.queries.story("harbour-bridge")
    assert len(story.claims) == 3
    assert story.extent.recorded is not None and story.extent.recorded.from_ > "2026"  # recorded now, not in 2025
    statements = seeded_app.queries.statements(StatementFilter(story="harbour-bridge")).items
    assert len(statements) == 6
    assert all(len(s.source.quote.prefix) <= 32 for s in statements)


def test_a_story_file_with_a_quote_not_in_its_document_names_it_and_writes_nothing(
    seeded_app: Wiring, seeded_runner: CliRunner, tmp_path: Path
) -> None:
    for text in STORY_FILE.parent.glob("*.txt"):
        shutil.copy(text, tmp_path / text.name)
    broken = STORY_FILE.read_text(encoding="utf-8").replace(
        "exact: The cost has not doubled", "exact: The cost has not tripled"
    )
    (tmp_path / "story.yaml").write_text(broken, encoding="utf-8")
    before = seeded_app.store.head_position()

    result = seeded_runner.invoke(cli, ["stories", "load", str(tmp_path / "story.yaml")])

    assert result.exit_code == 2
    assert "berg-denies-doubling" in result.output and "not found" in result.output
    assert seeded_app.store.head_position() == before


def test_anchor_prints_every_occurrence_in_code_points(seeded_runner: CliRunner) -> None:
    text = (STORY_FILE.parent / "herald-2025-03-03.txt").read_text(encoding="utf-8")
    seeded_runner.invoke(cli, ["stories", "load", str(STORY_FILE)])

    result = seeded_runner.invoke(cli, ["anchor", "herald-2025-03-03.txt", "the cost report"])
    missing = seeded_runner.invoke(cli, ["anchor", "herald-2025-03-03.txt", "no such words"])

    first = text.index("the cost report")
    second = text.index("the cost report", first + 1)
    assert result.exit_code == 0, result.output
    assert f"occurrence 1: code points {first}-{first + 15}" in result.output
    assert f"occurrence 2: code points {second}-{second + 15}" in result.output
    assert missing.exit_code == 1


def test_keys_generate_writes_a_private_key_file_and_prints_the_verifier_key(
    runner: CliRunner, tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    key_file = tmp_path / "keys" / "signing.key"
    made = runner.invoke(cli, ["keys", "generate", "--out", str(key_file), "--name", "x.test/log"])
    assert made.exit_code == 0, made.output
    assert key_file.stat().st_mode & 0o777 == 0o600
    signing = SigningKey.parse(key_file.read_text())
    assert made.stdout.strip() == signing.verifier.text
    again = runner.invoke(cli, ["keys", "generate", "--out", str(key_file)])
    assert again.exit_code == 2
    assert "exists" in again.output
    bad = runner.invoke(cli, ["keys", "generate", "--out", str(tmp_path / "k2"), "--name", "a b"])
    assert bad.exit_code == 2

    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(key_file))
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    signed = runner.invoke(cli, ["checkpoint", "sign"])
    assert signed.exit_code == 0, signed.output
    assert open_checkpoint(signed.stdout, signing.verifier).size == 0
    verified = runner.invoke(cli, ["verify"])
    assert "1 kept checkpoints match" in verified.output


def test_checkpoint_sign_without_a_key_says_how_to_make_one(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["checkpoint", "sign"])
    assert result.exit_code == 2
    assert "ledger keys generate" in result.output


def test_serve_in_production_refuses_to_start_without_a_signing_key(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_ENVIRONMENT", "production")
    result = runner.invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "LEDGER_SIGNING_KEY_FILE" in result.output


def test_serve_with_embed_origins_not_a_json_list_says_so_in_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LEDGER_EMBED_ORIGINS is a JSON list; a bare origin is bad input: a one-line error
    naming the setting and exit 2, not a traceback."""
    monkeypatch.setenv("LEDGER_EMBED_ORIGINS", "https://factcheck.example")
    result = runner.invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "LEDGER_EMBED_ORIGINS" in result.output
    assert "JSON list" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
