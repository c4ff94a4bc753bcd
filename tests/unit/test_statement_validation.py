"""Every statement is checked at append time, whoever sends it; a refusal names the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ledger.bootstrap import App
from ledger.errors import InvalidEvent
from ledger.store import NewEvent
from ledger.seeding import SeedStory
from tests.support.factories import as_statement, changed, statement_json

PESKOV_DENIAL = "004-peskov-denies-regular-contact"


def test_a_valid_statement_is_recorded_on_its_claim_stream(
    seeded_app: App, story: SeedStory
) -> None:
    data = statement_json(story, PESKOV_DENIAL)
    before = seeded_app.store.stream_version(f"claim:{data['claim']}")

    recorded = seeded_app.ledger.record_statement(as_statement(data))

    assert recorded.stream == f"claim:{data['claim']}"
    assert recorded.version == (before or 0) + 1
    assert recorded.type == "StatementRecorded"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("claim", "no-such-claim", "claim"),
        ("actor", "no-such-actor", "actor"),
        ("source.document", "999_missing.txt", "source.document"),
        ("source.quote.exact", "Peskow hat alles bestätigt", "source.quote.exact"),
        ("source.position.start", 10, "source.quote.exact"),
        ("source.position.end", 99_999, "source.position.end"),
        ("source.quote.prefix", "ganz anderer Text", "source.quote.prefix"),
        ("source.quote.suffix", "ganz anderer Text", "source.quote.suffix"),
        ("conduit", ["dan-tri", "wsj"], "conduit"),
        ("conduit", ["outlet-000", "peskov"], "conduit"),
        ("conduit", ["dan-tri", "ghost", "peskov"], "conduit[1]"),
        ("relays", "wsj", "relays"),
    ],
)
def test_a_wrong_statement_is_refused_naming_the_field_and_writes_nothing(
    seeded_app: App, story: SeedStory, path: str, value: Any, field: str
) -> None:
    bad = as_statement(changed(statement_json(story, PESKOV_DENIAL), path, value))
    head = seeded_app.store.head_position()

    with pytest.raises(InvalidEvent) as refused:
        seeded_app.ledger.record_statement(bad)

    assert refused.value.field == field
    assert seeded_app.store.head_position() == head


def test_a_report_must_name_whom_it_relays(seeded_app: App, story: SeedStory) -> None:
    report = changed(statement_json(story, "004-dan-tri-reports-peskov-denial"), "relays", None)
    with pytest.raises(InvalidEvent, match="relays"):
        seeded_app.ledger.record_statement(as_statement(report))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("stance", "endorses"),
        ("said_at", {"precision": "day", "value": "2024-02-30"}),
        ("said_at", {"precision": "instant", "value": "2024-10-25T10:00:00"}),
        ("said_at", {"precision": "unknown", "value": "2024-10-25"}),
        ("said_at", {"precision": "year", "value": "zwei Jahre"}),
        ("source.position.end", 0),
        ("conduit", []),
        ("actor", "Peskov Dmitri"),
        ("unexpected", "field"),
    ],
)
def test_malformed_statements_are_refused_by_the_model(
    story: SeedStory, path: str, value: Any
) -> None:
    with pytest.raises(ValidationError):
        as_statement(changed(statement_json(story, PESKOV_DENIAL), path, value))


def test_a_date_at_the_edge_of_the_calendar_is_refused_not_crashed(story: SeedStory) -> None:
    edge = {"precision": "instant", "value": "0001-01-01T00:00:00+01:00"}
    with pytest.raises(ValidationError):
        as_statement(changed(statement_json(story, PESKOV_DENIAL), "said_at", edge))


def test_a_nul_character_is_refused_on_both_backends(app: App) -> None:
    with pytest.raises(InvalidEvent, match="NUL"):
        app.store.append("notes:a", [NewEvent(type="NoteTaken", data={"quote": "a\x00b"})])
    assert app.store.head_position() == 0


def test_an_event_of_a_known_type_that_does_not_fit_it_is_refused(app: App) -> None:
    with pytest.raises(InvalidEvent, match="not a valid StatementRecorded"):
        app.store.append("claim:a", [NewEvent(type="StatementRecorded", data={"quote": "x"})])
    assert app.store.head_position() == 0
