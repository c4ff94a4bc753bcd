"""A statement the checks refuse, sent through the ledger, writes nothing on either backend."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.bootstrap import Wiring
from ledger.errors import InvalidEvent
from ledger.store import NewEvent
from ledger.seeding import SeedStory
from tests.support.factories import as_statement, changed, statement_json

PESKOV_DENIAL = "004-peskov-denies-regular-contact"


def test_a_valid_statement_is_recorded_on_its_claim_stream(
    seeded_app: Wiring, story: SeedStory
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
        ("source.quote.exact", "Peskow hat alles bestätigt", "source.quote.exact"),
        ("conduit", ["dan-tri", "ghost", "peskov"], "conduit[1]"),
    ],
)
def test_a_refused_statement_names_the_field_and_writes_nothing(
    seeded_app: Wiring, story: SeedStory, path: str, value: Any, field: str
) -> None:
    bad = as_statement(changed(statement_json(story, PESKOV_DENIAL), path, value))
    head = seeded_app.store.head_position()

    with pytest.raises(InvalidEvent) as refused:
        seeded_app.ledger.record_statement(bad)

    assert refused.value.field == field
    assert seeded_app.store.head_position() == head


def test_a_nul_character_is_refused_on_both_backends(app: Wiring) -> None:
    with pytest.raises(InvalidEvent, match="NUL"):
        app.store.append("notes:a", [NewEvent(type="NoteTaken", data={"quote": "a\x00b"})])
    assert app.store.head_position() == 0


def test_an_event_of_a_known_type_that_does_not_fit_it_is_refused(app: Wiring) -> None:
    with pytest.raises(InvalidEvent, match="not a valid StatementRecorded"):
        app.store.append("claim:a", [NewEvent(type="StatementRecorded", data={"quote": "x"})])
    assert app.store.head_position() == 0
