"""A story file with its whole history: corrections and retractions naming earlier entries,
loaded by ``ledger stories load`` and replayed by ``ledger replay --story`` (issue 23)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from ledger.bootstrap import Wiring
from ledger_cli.main import app as cli
from tests.api.test_api_corrections import AS_OF_EACH_DAY, SAID_STEPS, said_steps
from tests.support import water_story
from tests.support.api_fixtures import api_settings

STORY = water_story.STORY
EIGHTEEN = water_story.EIGHTEEN


@pytest.fixture
def loaded(
    seeded_app: Wiring,
    settings,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> Wiring:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["stories", "load", str(water_story.STORY_FILE)])
    assert result.exit_code == 0, result.output
    assert "1 corrections, 1 retractions" in result.output
    return seeded_app


def test_a_second_load_appends_nothing(loaded: Wiring) -> None:
    head = loaded.store.head_position()
    again = CliRunner().invoke(cli, ["stories", "load", str(water_story.STORY_FILE)])
    assert again.exit_code == 0 and "nothing appended" in again.output
    assert loaded.store.head_position() == head


def test_the_file_replays_as_the_sources_told_it(loaded: Wiring, settings) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["replay", "--story", STORY, "--claim", EIGHTEEN, "--json"])
    assert result.exit_code == 0, result.output
    assert said_steps(json.loads(result.output)) == SAID_STEPS
    with TestClient(create_app(settings, api_settings())) as client:
        for day, state, asserted, denied in AS_OF_EACH_DAY:
            view = client.get(f"/v1/claims/{EIGHTEEN}?as_of={day}").json()
            assert (view["state"], view["asserted_by"], view["denied_by"]) == (
                state,
                asserted,
                denied,
            ), day
        misread = client.get("/v1/statements?actor=petra-kuehn&claim=" + EIGHTEEN).json()
        assert [s["status"] for s in misread["statements"]] == ["retracted"]


def test_the_text_replay_gives_the_old_reading_and_both_dates(loaded: Wiring) -> None:
    result = CliRunner().invoke(cli, ["replay", "--story", STORY, "--claim", EIGHTEEN])
    assert result.exit_code == 0, result.output
    assert "axis, 2026-11-16T00:00:00.000000Z to 2026-11-18T00:00:00.000000Z" in result.output
    assert "was: asserts “Die Stadtwerke Lindenau haben den Wasserpreis" in result.output
    assert "corrected by the source 2026-11-18T00:00:00.000000Z; recorded by the ledger" in (
        result.output
    )


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("corrects: tageblatt-18-prozent", "corrects: no-such-entry", "corrects"),
        ("corrected_at: '2026-11-18'", "corrected_at: '2026-11-15'", "corrected_at"),
        # After the 18% report was said, but before the paper printed the corrected reading.
        ("corrected_at: '2026-11-18'", "corrected_at: '2026-11-17'", "corrected_at"),
        (
            "basis: source_changed\n    corrected_at",
            "basis: ledger_error\n    corrected_at",
            "corrected_at",
        ),
        ("retracts: kuehn-18-prozent", "retracts: kuehn-99", "retracts"),
        # A source's time in the future is found before anything is written, as over HTTP.
        ("corrected_at: '2026-11-18'", "corrected_at: '2999-11-18'", "corrected_at"),
        (
            "basis: ledger_error\n",
            "basis: source_changed\n    withdrawn_at: '2999-11-18T10:00:00+01:00'\n",
            "withdrawn_at",
        ),
        (
            "retractions:\n",
            "retractions:\n  - {key: tageblatt-korrektur, retracts: brandt-8-prozent, reason: r,"
            " basis: ledger_error}\n  - {key: tageblatt-korrektur, retracts: brandt-18-prozent,"
            " reason: r, basis: ledger_error}\n",
            "key",
        ),
        (
            "      quote: {exact: 'Der Wasserpreis steigt um 8 Prozent, nicht um 18 Prozent.'}\n",
            "      quote: {exact: 'Der Wasserpreis steigt um 9 Prozent'}\n",
            "quote.exact",
        ),
    ],
)
def test_a_wrong_correction_or_retraction_names_its_entry_and_writes_nothing(
    seeded_app: Wiring,
    settings,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    old: str,
    new: str,
    where: str,
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    for text in water_story.STORY_FILE.parent.glob("*.txt"):
        shutil.copy(text, tmp_path / text.name)
    original = water_story.STORY_FILE.read_text(encoding="utf-8")
    assert old in original
    (tmp_path / "story.yaml").write_text(original.replace(old, new), encoding="utf-8")
    before = seeded_app.store.head_position()

    result = CliRunner().invoke(cli, ["stories", "load", str(tmp_path / "story.yaml")])

    assert result.exit_code == 2, result.output
    assert "corrections[0] (tageblatt-korrektur)" in result.output or (
        "retractions[" in result.output
    )
    assert f".{where}" in result.output
    assert seeded_app.store.head_position() == before


@pytest.mark.parametrize(
    ("reference", "corrected_at", "where", "message"),
    [
        ("00000000-0000-4000-8000-000000000000", "2026-11-18", "corrects", "no statement"),
        # Before the statement was said and before the Korrektur's reading: either is refused.
        ("TAGEBLATT", "2026-11-10", "corrected_at", "is before the"),
    ],
)
def test_a_correction_naming_a_statement_id_is_checked_before_anything_is_written(
    loaded: Wiring,
    settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    reference: str,
    corrected_at: str,
    where: str,
    message: str,
) -> None:
    """A file that corrects a statement of the ledger by its id (not a key of the file) is
    refused, naming the entry, before its other entries (here an actor) are written."""
    if reference == "TAGEBLATT":
        with TestClient(create_app(settings, api_settings())) as client:
            found = client.get(f"/v1/statements?actor=tageblatt&claim={EIGHTEEN}").json()
        reference = found["statements"][0]["statement_id"]
    (tmp_path / "story.yaml").write_text(
        "actors:\n  - {key: neue-person, name: Neue Person, kind: person}\n"
        "claims: []\ndocuments: []\nstatements: []\n"
        "corrections:\n"
        f"  - key: nach-id\n    corrects: {reference}\n    reason: r\n"
        f"    basis: source_changed\n    corrected_at: '{corrected_at}'\n"
        "    statement:\n      claim: wasserpreis-18-prozent\n      actor: tageblatt\n"
        "      stance: questions\n      conduit: [tageblatt]\n"
        "      said_at: {precision: day, value: '2026-11-16'}\n"
        "      document: tageblatt-2026-11-16.txt\n"
        "      quote: {exact: Die Stadtwerke Lindenau haben den Wasserpreis zum 1. November"
        " um 18 Prozent erhöht.}\n",
        encoding="utf-8",
    )
    before = loaded.store.head_position()

    result = CliRunner().invoke(cli, ["stories", "load", str(tmp_path / "story.yaml")])

    assert result.exit_code == 2, result.output
    assert f"corrections[0] (nach-id).{where}" in result.output
    assert message in result.output
    assert loaded.store.head_position() == before
