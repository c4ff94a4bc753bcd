"""Request bodies: the core's values (or their fields plus an optional event id), with
seed-story examples. No body is a domain event: a body carries what a writer asks; the ledger
makes the event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar, cast

from pydantic import ConfigDict, Field

from ledger.domain.anchoring import MAX_COUNTED, MAX_PAGE
from ledger.domain.model import (
    Actor,
    Claim,
    Document,
    FreeText,
    Frozen,
    RetractionBasis,
    ShortText,
    StatementDraft,
    StatementDraftFields,
    Story,
)

Value = TypeVar("Value", Actor, Claim, Document, Story)

PESKOV_DENIES: dict[str, Any] = {
    "claim": "musk-putin-regular-contact-since-2022",
    "actor": "peskov",
    "stance": "denies",
    "conduit": ["outlet-000", "peskov"],
    "said_at": {"precision": "unknown"},
    "source": {
        "document": "000_439eb0cae6d670e2.txt",
        "quote": {
            "exact": "Regelmäßige Gespräche zwischen Musk und Kremlbeamten fände jedoch nicht "
            "statt, so Peskow.",
            "prefix": "ftige Technologien” gesprochen. ",
            "suffix": "\n\nMehr zum Thema – Als Alternati",
        },
        "position": {"start": 2345, "end": 2434},
    },
    "note": "Peskov denies the central claim; 000 gives no date.",
}


PESKOV_DENIES_EXACT_ONLY: dict[str, Any] = {
    **PESKOV_DENIES,
    "source": {
        "document": "000_439eb0cae6d670e2.txt",
        "quote": {"exact": PESKOV_DENIES["source"]["quote"]["exact"]},
    },
}


def registration_body(value: type[Value], component: str) -> type[Value]:
    """The body registering a ``value``: the value itself, named ``component`` in the OpenAPI
    document (the name clients have always known it by: the event it becomes)."""
    body = type(component, (value,), {"__doc__": value.__doc__, "__module__": __name__})
    return cast(type[Value], body)


ActorBody = registration_body(Actor, "ActorRegistered")
ClaimBody = registration_body(Claim, "ClaimRegistered")
DocumentBody = registration_body(Document, "DocumentRegistered")
StoryBody = registration_body(Story, "StoryRegistered")


class StatementIn(StatementDraftFields):
    """A statement to record; ``event_id`` optional (an Idempotency-Key derives one). The quote
    may be its exact text alone: the ledger anchors it in the document."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [PESKOV_DENIES_EXACT_ONLY, PESKOV_DENIES]}
    )

    event_id: uuid.UUID | None = None

    def statement(self) -> StatementDraft:
        """The draft this body carries; its fields are valid already, so none is validated again."""
        fields = {name: getattr(self, name) for name in StatementDraft.model_fields}
        return StatementDraft.model_construct(set(StatementDraft.model_fields), **fields)


class AnchorRequest(Frozen):
    """The exact text of a quote, to find in a document."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"exact": "so Peskow"}]}
    )

    exact: str = Field(min_length=1, max_length=5000)
    after: int = Field(
        default=0, ge=0, le=MAX_COUNTED, description="Start after this occurrence (a `next`)."
    )
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE, description="At most this many.")


class RetractionIn(Frozen):
    """Stop counting a statement from now on: why, and whose change it is."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "The quote was attributed to the wrong speaker.",
                    "basis": "ledger_error",
                }
            ]
        }
    )

    reason: FreeText = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    withdrawn_at: datetime | None = Field(
        default=None,
        description="source_changed only: when the source withdrew its text (default: now).",
    )
    event_id: uuid.UUID | None = None


class CorrectionIn(Frozen):
    """Replace a statement's reading from now on: why, whose change, and the corrected reading."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "Add the missing note on the date.",
                    "basis": "ledger_error",
                    "statement": {**PESKOV_DENIES, "note": "Corrected: still undated in 000."},
                }
            ]
        }
    )

    reason: FreeText = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    statement: StatementDraft
    event_id: uuid.UUID | None = None


__all__ = ["PESKOV_DENIES", "CorrectionIn", "RetractionIn", "ShortText", "StatementIn"]
