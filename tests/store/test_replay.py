"""The story from 24 to 26 October, step by step, on both time axes."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from ledger.bootstrap import Wiring
from ledger.domain.model import RetractionBasis
from ledger.errors import InvalidEvent
from ledger.projections.replay import Axis, parse_instant, to_json_text
from ledger.projections.views import Replay
from ledger.seeding import SEED_NAMESPACE
from ledger.settings import Settings
from ledger_cli.main import app as cli
from tests.support.factories import CENTRAL_CLAIM

START = parse_instant("2024-10-24", field="from")
END = parse_instant("2024-10-26", field="to", end_of_day=True)


def steps_of(replay: Replay) -> list[dict]:  # type: ignore[type-arg]
    """The steps as the API sends them (JSON, only the fields a step has)."""
    return json.loads(to_json_text(replay))["steps"]  # type: ignore[no-any-return]


def central_steps(app: Wiring, axis: Axis) -> list[dict]:  # type: ignore[type-arg]
    return steps_of(app.queries.replay(start=START, end=END, axis=axis, claim=CENTRAL_CLAIM))


def first_change_to(steps: list[dict], state: str) -> dict:  # type: ignore[type-arg]
    return next(
        s for s in steps if s["claim_state"]["changed"] and s["claim_state"]["after"] == state
    )


def test_on_the_said_axis_wsj_reports_on_the_24th_and_peskov_denies_on_the_25th(
    seeded_app: Wiring,
) -> None:
    steps = central_steps(seeded_app, Axis.SAID)

    opening = steps[0]
    assert opening["at"].startswith("2024-10-24")
    assert (opening["statement"]["actor"], opening["statement"]["stance"]) == ("wsj", "asserts")
    assert opening["claim_state"] == {
        "claim": CENTRAL_CLAIM,
        "before": "unstated",
        "after": "asserted",
        "changed": True,
    }
    contested = first_change_to(steps, "contested")
    assert contested["at"].startswith("2024-10-25")
    assert (contested["statement"]["actor"], contested["statement"]["stance"]) == (
        "peskov",
        "denies",
    )
    assert {s["statement"]["actor"] for s in steps if s["at"].startswith("2024-10-25")} >= {
        "t-online",
        "peskov",
    }
    last = steps[-1]
    assert last["at"].startswith("2024-10-26")
    assert (last["statement"]["actor"], last["statement"]["relays"]) == ("dan-tri", "peskov")
    assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)


def test_on_the_recorded_axis_nothing_is_known_until_the_ledger_reads_on_the_25th(
    seeded_app: Wiring,
) -> None:
    steps = central_steps(seeded_app, Axis.RECORDED)

    assert not any(s["at"].startswith("2024-10-24") for s in steps)
    assert first_change_to(steps, "asserted")["at"].startswith("2024-10-25")
    assert first_change_to(steps, "contested")["at"].startswith("2024-10-25T19:00")
    assert {s["statement"]["actor"] for s in steps if s["at"].startswith("2024-10-26")} == {
        "dan-tri",
        "wsj",
        "peskov",
    }
    assert [s["position"] for s in steps] == sorted(s["position"] for s in steps)


def test_every_step_names_the_event_the_speaker_the_quote_and_the_source(seeded_app: Wiring) -> None:
    for step in central_steps(seeded_app, Axis.RECORDED):
        statement = step["statement"]
        assert step["type"] == "StatementRecorded"
        assert statement["claim"] == CENTRAL_CLAIM
        assert statement["conduit"][-1] == statement["actor"]
        assert statement["source"]["quote"]["exact"] and statement["source"]["document"].endswith(
            ".txt"
        )
        assert uuid.UUID(step["event_id"])


def test_a_retraction_is_a_step_on_the_recorded_axis_only(seeded_app: Wiring) -> None:
    denial = uuid.uuid5(SEED_NAMESPACE, "statements:000-peskov-denies-regular-contact")
    event = seeded_app.ledger.retract_statement(
        denial, reason="test", basis=RetractionBasis.LEDGER_ERROR
    )
    window = {"start": START, "end": event.recorded_at}

    recorded = steps_of(seeded_app.queries.replay(**window, axis=Axis.RECORDED, claim=CENTRAL_CLAIM))
    said = steps_of(seeded_app.queries.replay(**window, axis=Axis.SAID, claim=CENTRAL_CLAIM))

    assert recorded[-1]["type"] == "StatementRetracted"
    assert recorded[-1]["reason"] == "test"
    assert recorded[-1]["statement"]["statement_id"] == str(denial)
    assert recorded[-1]["actor_stance"]["actor"] == "peskov"
    assert str(denial) not in {s["statement"]["statement_id"] for s in said}


def test_replays_are_byte_identical(seeded_app: Wiring) -> None:
    for axis in Axis:
        first = to_json_text(seeded_app.queries.replay(start=START, end=END, axis=axis))
        second = to_json_text(seeded_app.queries.replay(start=START, end=END, axis=axis))
        assert first == second
        assert json.loads(first)["steps"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2024-10-26", "2024-10-24", "to"),
        ("2024-02-30", "2024-10-26", "from"),
        ("yesterday", "2024-10-26", "from"),
    ],
)
def test_a_bad_window_is_refused(seeded_app: Wiring, start: str, end: str, field: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        seeded_app.queries.replay(
            start=parse_instant(start, field="from"),
            end=parse_instant(end, field="to", end_of_day=True),
            axis=Axis.SAID,
        )
    assert refused.value.field == field


def test_the_replay_command_prints_text_and_identical_json(
    seeded_app: Wiring, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    args = ["replay", "--from", "2024-10-24", "--to", "2024-10-26", "--claim", CENTRAL_CLAIM]

    text = runner.invoke(cli, args)
    first, second = (runner.invoke(cli, [*args, "--axis", "recorded", "--json"]) for _ in range(2))

    assert text.exit_code == 0, text.output
    assert "peskov denies" in text.output and "asserted -> contested" in text.output
    assert first.exit_code == 0 and first.output == second.output
    assert json.loads(first.output)["axis"] == "recorded"


def test_the_replay_command_refuses_a_bad_date_with_a_message(
    seeded_app: Wiring, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["replay", "--from", "2024-10-32", "--to", "2024-10-26"])
    assert result.exit_code == 2
    assert "--from" in result.output
