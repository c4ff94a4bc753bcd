"""The fold core without a database: what a retraction, a correction and a registration change,
read from the typed payload a writer built or decoded from the stored data, alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ledger.domain.events import (
    StatementCorrected,
    StatementRetracted,
    StoryRegistered,
    event_data,
)
from ledger.domain.model import RetractionBasis
from ledger.projections.fold import Ended, Opened, Registered, changes
from ledger.projections.rebuild import LogRow
from ledger.projections.schema import stories
from ledger.store import RecordedEvent
from ledger.store.schema import events

RECORDED_AT = datetime(2024, 10, 26, 9, 30, tzinfo=UTC)
STATEMENT_ID = uuid.UUID("8e69ba4d-f5be-578d-8a30-0256318fb8bf")
QUOTE = {"exact": "dementierte", "prefix": "", "suffix": ""}
SOURCE = {
    "document": "004_b1e9ed358f7a1a99.txt",
    "quote": QUOTE,
    "position": {"start": 0, "end": 11},
}
BODY = dict(
    claim="musk-putin-regular-contact-since-2022",
    actor="peskov",
    stance="denies",
    conduit=["dan-tri", "peskov"],
    said_at={"precision": "day", "value": "2024-10-25"},
    source=SOURCE,
)


def recorded(payload: Any) -> RecordedEvent:
    return RecordedEvent(
        position=7,
        event_id=uuid.uuid4(),
        stream="claim:musk-putin-regular-contact-since-2022",
        version=3,
        type=type(payload).__name__,
        data=event_data(payload),
        metadata={},
        recorded_at=RECORDED_AT,
        prev_hash="0" * 64,
        hash="1" * 64,
    )


def test_a_source_withdrawal_ends_the_version_when_the_source_withdrew_it() -> None:
    withdrawn = datetime(2024, 10, 25, 18, 0, tzinfo=UTC)
    payload = StatementRetracted(
        statement_id=STATEMENT_ID,
        reason="r",
        basis=RetractionBasis.SOURCE_CHANGED,
        withdrawn_at=withdrawn,
    )
    event = recorded(payload)

    assert (
        changes(event, payload)
        == changes(event)
        == (Ended(STATEMENT_ID, 7, RECORDED_AT, "retracted", withdrawn),)
    )


def test_a_withdrawal_without_its_time_stands_until_it_was_recorded_and_an_error_not_at_all() -> (
    None
):
    by_source = StatementRetracted(
        statement_id=STATEMENT_ID, reason="r", basis=RetractionBasis.SOURCE_CHANGED
    )
    by_ledger = StatementRetracted(
        statement_id=STATEMENT_ID, reason="r", basis=RetractionBasis.LEDGER_ERROR
    )

    (source_end,) = changes(recorded(by_source), by_source)
    (ledger_end,) = changes(recorded(by_ledger), by_ledger)

    assert isinstance(source_end, Ended) and source_end.withdrawn_at == RECORDED_AT
    assert isinstance(ledger_end, Ended) and ledger_end.withdrawn_at is None


def test_a_correction_ends_the_old_reading_and_opens_the_new_one_from_when_the_source_changed() -> (
    None
):
    corrected_at = datetime(2024, 10, 26, 8, 0, tzinfo=UTC)
    payload = StatementCorrected.model_validate(
        {
            "statement_id": str(STATEMENT_ID),
            "reason": "printed correction",
            "basis": "source_changed",
            "statement": BODY,
            "corrected_at": corrected_at.isoformat(),
        }
    )
    event = recorded(payload)

    ended, opened = changes(event, payload)

    assert changes(event) == (ended, opened)
    assert ended == Ended(STATEMENT_ID, 7, RECORDED_AT, "corrected", corrected_at)
    assert isinstance(opened, Opened)
    assert (opened.version_id, opened.statement_id) == (event.event_id, STATEMENT_ID)
    assert opened.corrected_at == corrected_at and opened.body == event.data["statement"]
    version = opened.version(document_dated=None)
    assert (version.said_key, version.said_key_basis) == (corrected_at, "corrected_at")


def test_a_story_registration_is_its_row_and_the_claims_it_gathers() -> None:
    payload = StoryRegistered(key="musk-putin", title="Musk and Putin", claims=["a-claim"])

    (change,) = changes(recorded(payload), payload)

    assert isinstance(change, Registered) and change.table is stories
    assert change.row == {
        "key": "musk-putin",
        "title": "Musk and Putin",
        "description": None,
        "position": 7,
        "recorded_at": RECORDED_AT,
    }
    assert list(change.story_claims) == ["a-claim"]


def test_the_rebuild_reads_every_column_of_the_log_by_name_in_the_tables_order() -> None:
    """The codec decodes a log row in the table's column order: the rebuild's named row keeps it."""
    assert LogRow._fields == tuple(events.c.keys())
