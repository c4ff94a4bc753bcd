"""The service's checks and write path on the in-memory store and registry: no database.

``ledger.eventstore.MemoryEventStore`` keeps the store's promises (versions, chaining, retries)
and ``MemoryRegistry`` folds what it appends, as the projections do for ``SqlEventStore``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from ledger.domain.model import Actor, RetractionBasis
from ledger.errors import ConcurrencyError, EventIdConflict, InvalidEvent, StateConflict
from ledger.eventstore import MemoryEventStore, registry_fold
from ledger.registry import MemoryRegistry
from ledger.seeding import SeedClock, SeedStory, seed
from ledger.service import Ledger, WriteOptions
from ledger.store.records import GENESIS_HASH
from tests.support.factories import as_statement, changed, statement_json

PESKOV_DENIAL = "004-peskov-denies-regular-contact"


@pytest.fixture
def registry() -> MemoryRegistry:
    return MemoryRegistry()


@pytest.fixture
def store(registry: MemoryRegistry) -> MemoryEventStore:
    return MemoryEventStore(folds=[registry_fold(registry)])


@pytest.fixture
def ledger(store: MemoryEventStore, registry: MemoryRegistry, story: SeedStory) -> Ledger:
    """The seed story's registrations and statements, written through the service."""
    written = Ledger(store, lambda _connection: registry)
    seed(written, story, SeedClock())
    return written


def a_new_statement(story: SeedStory, **changes: object):  # type: ignore[no-untyped-def]
    data = statement_json(story, PESKOV_DENIAL)
    for path, value in changes.items():
        data = changed(data, path.replace("__", "."), value)
    return as_statement(data)


def test_the_seed_writes_a_hash_chain_through_the_service(
    ledger: Ledger, store: MemoryEventStore, story: SeedStory
) -> None:
    assert len(store.events) > len(story.data.statements)
    assert store.events[0].prev_hash == GENESIS_HASH
    for before, after in zip(store.events, store.events[1:]):
        assert after.prev_hash == before.hash
        assert after.position == before.position + 1
        assert after.recorded_at >= before.recorded_at


def test_a_statement_is_appended_to_its_claims_stream_at_the_next_version(
    ledger: Ledger, store: MemoryEventStore, story: SeedStory
) -> None:
    statement = a_new_statement(story, said_at={"precision": "day", "value": "2024-10-26"})
    stream = f"claim:{statement.claim}"
    version = store.read_stream(stream)[-1].version
    event = ledger.record_statement(statement, options=WriteOptions(expected_version=version))
    assert (event.stream, event.version, event.type) == (stream, version + 1, "StatementRecorded")


def test_a_stale_expected_version_is_refused_and_writes_nothing(
    ledger: Ledger, store: MemoryEventStore, story: SeedStory
) -> None:
    head = len(store.events)
    with pytest.raises(ConcurrencyError):
        ledger.record_statement(a_new_statement(story), options=WriteOptions(expected_version=1))
    assert len(store.events) == head


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("claim", "no-such-claim", "claim"),
        ("actor", "no-such-actor", "actor"),
        ("source__document", "999_missing.txt", "source.document"),
        ("conduit", ["dan-tri", "ghost", "peskov"], "conduit[1]"),
    ],
)
def test_a_statement_naming_what_is_not_registered_is_refused_naming_the_field(
    ledger: Ledger, store: MemoryEventStore, story: SeedStory, path: str, value: object, field: str
) -> None:
    head = len(store.events)
    with pytest.raises(InvalidEvent) as refused:
        ledger.record_statement(a_new_statement(story, **{path: value}))
    assert refused.value.field == field
    assert len(store.events) == head


def test_a_registration_twice_is_a_state_conflict(ledger: Ledger, story: SeedStory) -> None:
    actor = story.data.actors[0]
    with pytest.raises(StateConflict, match="already registered"):
        ledger.register_actor(Actor(**actor.model_dump()))


def test_a_retry_with_the_same_idempotency_key_returns_the_stored_event(
    ledger: Ledger, store: MemoryEventStore, story: SeedStory
) -> None:
    options = WriteOptions(idempotency_key="once")
    first = ledger.record_statement(a_new_statement(story), options=options)
    again = ledger.record_statement(a_new_statement(story), options=options)
    assert again == first
    assert store.events[-1] == first
    other = a_new_statement(story, stance="asserts")
    with pytest.raises(EventIdConflict):
        ledger.record_statement(other, options=options)


def test_a_retracted_statement_cannot_be_retracted_again_nor_corrected(
    ledger: Ledger, story: SeedStory
) -> None:
    event = ledger.record_statement(a_new_statement(story))
    retraction = ledger.retract_statement(
        event.event_id, reason="misread", basis=RetractionBasis.LEDGER_ERROR
    )
    assert retraction.data["statement_id"] == str(event.event_id)
    with pytest.raises(StateConflict, match="already retracted"):
        ledger.retract_statement(event.event_id, reason="again", basis=RetractionBasis.LEDGER_ERROR)
    with pytest.raises(StateConflict, match="already retracted"):
        ledger.correct_statement(
            event.event_id,
            a_new_statement(story),
            reason="r",
            basis=RetractionBasis.LEDGER_ERROR,
        )


def test_a_correction_stays_on_its_claim_and_a_withdrawal_is_not_in_the_future(
    ledger: Ledger, story: SeedStory, registry: MemoryRegistry
) -> None:
    event = ledger.record_statement(a_new_statement(story))
    elsewhere = a_new_statement(
        story, claim=next(c for c in registry.claims if c != event.data["claim"])
    )
    with pytest.raises(InvalidEvent) as refused:
        ledger.correct_statement(
            event.event_id, elsewhere, reason="r", basis=RetractionBasis.LEDGER_ERROR
        )
    assert refused.value.field == "statement.claim"
    with pytest.raises(InvalidEvent) as future:
        ledger.retract_statement(
            event.event_id,
            reason="r",
            basis=RetractionBasis.SOURCE_CHANGED,
            withdrawn_at=datetime(2999, 1, 1, tzinfo=UTC),
        )
    assert future.value.field == "withdrawn_at"


def test_a_correction_becomes_the_statements_newest_version(
    ledger: Ledger, story: SeedStory, registry: MemoryRegistry
) -> None:
    event = ledger.record_statement(a_new_statement(story))
    correction = ledger.correct_statement(
        event.event_id,
        a_new_statement(story, stance="declines_to_comment"),
        reason="the stance was misread",
        basis=RetractionBasis.LEDGER_ERROR,
    )
    newest = registry.latest_version(correction.event_id)
    assert newest is not None and newest.statement_id == event.event_id
    assert registry.latest_version(uuid.UUID(str(event.event_id))) == newest
