"""The ``ledger`` command on a fresh database: migrate, verify, rebuild, and clear failures."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ledger.bootstrap import App
from ledger_cli.main import app as cli
from tests.tampering import overwrite_event_data


@pytest.fixture
def runner(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LEDGER_DATABASE_URL", empty_database_url)
    return CliRunner()


def test_upgrade_then_verify_on_a_fresh_database(runner: CliRunner) -> None:
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    verified = runner.invoke(cli, ["verify"])

    assert upgraded.exit_code == 0, upgraded.output
    assert verified.exit_code == 0
    assert "ok: 0 events checked" in verified.output


def test_verify_names_the_tampered_position_and_exits_non_zero(
    seeded_app: App, settings, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    overwrite_event_data(seeded_app.store.engine, 77, {"claim": "rewritten"})

    result = CliRunner().invoke(cli, ["verify"])

    assert result.exit_code == 1
    assert "BROKEN at position 77" in result.output


def test_rebuild_reports_how_many_events_it_folded(
    seeded_app: App, settings, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    before = seeded_app.queries.claims().items

    result = CliRunner().invoke(cli, ["projections", "rebuild"])

    assert result.exit_code == 0
    assert f"rebuilt from {seeded_app.store.head_position()} events" in result.output
    assert seeded_app.queries.claims().items == before


def test_every_command_has_help_text() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    for command in ("db", "verify", "seed", "replay", "projections"):
        assert command in top.output
    for path in (["db", "upgrade"], ["verify"], ["seed"], ["replay"], ["projections", "rebuild"]):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and len(result.output.strip().splitlines()) > 3, path


@pytest.mark.parametrize("command", [["verify"], ["seed"], ["projections", "rebuild"]])
def test_a_database_that_is_not_migrated_gets_a_message_not_a_traceback(
    runner: CliRunner, command: list[str]
) -> None:
    result = runner.invoke(cli, command)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "run `ledger db upgrade` first" in result.output
