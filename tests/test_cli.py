"""The ``ledger`` command on a fresh database: migrate, verify, rebuild, and clear failures."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ledger.audit.note import SigningKey, open_checkpoint
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
    before = seeded_app.queries.claims()

    result = CliRunner().invoke(cli, ["projections", "rebuild"])

    assert result.exit_code == 0
    assert f"rebuilt from {seeded_app.store.head_position()} events" in result.output
    assert seeded_app.queries.claims() == before


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
