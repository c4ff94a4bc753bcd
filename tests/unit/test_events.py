"""Domain events: built once from a command, versioned, older shapes read through upcasters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ledger.domain.events import (
    UPCASTERS,
    ActorRegistered,
    ClaimRegistered,
    StatementCorrected,
    StatementRetracted,
    decode,
    upcast,
)
from ledger.domain.model import Actor, RetractionBasis
from ledger.store import NewEvent

FIRST_SHAPE = {
    "key": "k", "proposition_en": "It rains.", "proposition_de": "Es regnet.", "note": None
}


def test_a_claim_of_version_1_is_read_as_the_language_map() -> None:
    assert ClaimRegistered.version() == 2
    assert [upcaster.from_version for upcaster in UPCASTERS["ClaimRegistered"]] == [1]
    stored = NewEvent(type="ClaimRegistered", data=FIRST_SHAPE)
    claim = decode(stored)
    assert isinstance(claim, ClaimRegistered)
    assert claim.propositions == {"de": "Es regnet.", "en": "It rains."}
    assert claim.first_shape() == FIRST_SHAPE  # and written back in it, byte for byte
    assert upcast("ClaimRegistered", claim.data()) == claim.data()  # the current shape stays


def test_an_event_is_built_once_from_its_command_and_leaves_out_unset_additions() -> None:
    actor = Actor(key="peskov", name="Dmitry Peskov", kind="person")
    event = ActorRegistered.of(actor)
    assert isinstance(event, ActorRegistered) and ActorRegistered.of(event) is event
    shown = {"key": "peskov", "name": "Dmitry Peskov", "kind": "person", "note": None}
    assert event.data() == shown  # no aliases: the shape of version 1
    with_aliases = ActorRegistered.of(actor.model_copy(update={"aliases": ["Peskow"]}))
    assert with_aliases.data()["aliases"] == ["Peskow"]


def test_a_retraction_keeps_its_first_shape_until_it_names_a_withdrawal() -> None:
    fields = {"statement_id": uuid.UUID(int=1), "reason": "withdrawn", "basis": "source_changed"}
    assert set(StatementRetracted(**fields).data()) == {"statement_id", "reason", "basis"}
    at = datetime(2024, 10, 26, tzinfo=UTC)
    withdrawn = StatementRetracted(**fields, withdrawn_at=at)
    assert withdrawn.data()["withdrawn_at"] == "2024-10-26T00:00:00Z"


@pytest.mark.parametrize(
    ("event_type", "field", "kind"),
    [
        (StatementRetracted, "withdrawn_at", "retraction"),
        (StatementCorrected, "corrected_at", "correction"),
    ],
)
def test_a_source_time_is_for_a_source_change_only_and_needs_an_offset(
    event_type: type[StatementRetracted | StatementCorrected], field: str, kind: str
) -> None:
    fields: dict[str, object] = {
        "statement_id": uuid.UUID(int=1), "reason": "r", "basis": RetractionBasis.LEDGER_ERROR
    }
    if event_type is StatementCorrected:
        fields["statement"] = {
            "claim": "c", "actor": "a", "stance": "asserts", "conduit": ["a"],
            "said_at": {"precision": "unknown"},
            "source": {"document": "d", "quote": {"exact": "x", "prefix": "", "suffix": ""},
                       "position": {"start": 0, "end": 1}},
        }
    with pytest.raises(ValidationError, match=f"{field} is only for a source_changed {kind}"):
        event_type(**fields, **{field: datetime(2024, 10, 26, tzinfo=UTC)})
    fields["basis"] = RetractionBasis.SOURCE_CHANGED
    with pytest.raises(ValidationError, match=f"{field} needs a UTC offset"):
        event_type(**fields, **{field: datetime(2024, 10, 26)})
