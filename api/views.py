"""The HTTP layer's own response shapes: stored events, receipts, pages, proofs and health.

The read models (claims, statements, actors, documents, stories, replays) are declared once,
in ``ledger.projections.views``; the names below are re-exported for the routes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from ledger.projections.views import (
    PointInTimeView,
    StanceView,
    ClaimView,
    StatementEntry,
    ClaimHistory,
    StatementView,
    ActorSummary,
    ActorView,
    DocumentSummary,
    Selectors,
    AnchorOccurrence,
    AnchorAnswer,
    StorySummary,
    Span,
    StoryExtent,
    StoryActor,
    StoryView,
    DocumentView,
    ClaimStateChange,
    ActorStanceChange,
    ReplayStep,
    Replay,
)
from ledger.store.records import ENVELOPE_FIELDS


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


_ENVELOPE: dict[str, Any] = {name: (form.json_type, ...) for name, form in ENVELOPE_FIELDS.items()}
EventEnvelope = create_model(
    "EventEnvelope",
    __base__=View,
    __doc__="A stored event as every reader sees it: position, stream version, hash chain link.",
    __module__=__name__,
    **_ENVELOPE,
)
"""The envelope's shape, from its one declaration (``RecordedEvent``)."""


class Receipt(View):
    """What proves the ledger accepted an event: a signed checkpoint and the inclusion proof."""

    position: int
    event_hash: str
    tree_size: int
    leaf_hash: str
    proof: list[str]
    checkpoint: str = Field(description="A C2SP signed checkpoint whose tree holds the event")


class WrittenEvent(EventEnvelope):  # type: ignore[misc,valid-type]
    """The stored event, with the receipt that proves the ledger accepted it."""

    receipt: Receipt | None = Field(
        description="null when the ledger has no signing key or could not sign just now"
    )


class EventPage(View):
    """A page of the global log; pass ``next`` as ``after`` for the following page."""

    events: list[EventEnvelope]  # type: ignore[valid-type]
    after: int
    next: int = Field(description="The cursor to read on from: the last position on this page.")
    has_more: bool


NEXT = Field(
    description="The cursor of the next page (pass it as `cursor`), null on the last page; "
    'also in the `Link: <...>; rel="next"` header.'
)


def page_of(name: str, items: str, item: type[BaseModel], **before: Any) -> type[View]:
    """A list's page: ``before`` (name to type), the ``items`` and the next page's cursor."""
    fields: dict[str, Any] = {key: (kind, ...) for key, kind in before.items()}
    fields[items] = (list[item], ...)  # type: ignore[valid-type]
    fields["next"] = (str | None, NEXT)
    return create_model(name, __base__=View, __module__=__name__, **fields)


ClaimList = page_of("ClaimList", "claims", ClaimView, point_in_time=PointInTimeView)
StatementList = page_of("StatementList", "statements", StatementEntry)
ActorList = page_of("ActorList", "actors", ActorSummary)
DocumentList = page_of("DocumentList", "documents", DocumentSummary)
StoryList = page_of("StoryList", "stories", StorySummary)


class VerificationView(View):
    """The integrity walk: chain, Merkle nodes and kept checkpoints' roots; the first fault."""

    ok: bool | None = Field(description="null when no walk has run yet")
    checked: int
    first_bad_position: int | None
    reason: str | None
    tree_size: int = Field(description="leaves walked; 0 when the walk stopped at a fault")
    root: str = Field(description="the tree's root over every event walked (base64)")
    checkpoints_checked: int = Field(description="kept checkpoints whose roots the events give")
    verified_at: datetime | None = Field(
        description="when this walk ran (an anonymous caller gets the last one kept)"
    )


class CheckpointView(View):
    """A kept checkpoint: its size, root (base64), when it was signed and the signed note."""

    size: int
    root: str
    signed_at: str
    note: str


class InclusionProofView(View):
    """RFC 9162 inclusion proof: leaf ``position - 1`` of the tree of ``tree_size``."""

    position: int
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || the event's 32-byte hash), base64")
    proof: list[str] = Field(description="base64 hashes, from the leaf up")


class ConsistencyProofView(View):
    """RFC 9162 consistency proof from the tree of size ``from`` to the tree of size ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    first: int = Field(alias="from")
    second: int = Field(alias="to")
    proof: list[str]


class Health(View):
    status: str


class Check(View):
    ok: bool
    detail: str


class Readiness(View):
    """Whether the database is reachable, migrated to head and writable."""

    status: str
    checks: dict[str, Check]
    replicas: list[dict[str, Any]] | None = Field(
        default=None,
        description="Each read replica's head and lag (events, seconds); an unreachable one "
        "does not make the service unready: its reads go to the primary.",
    )


__all__ = [
    "PointInTimeView",
    "StanceView",
    "ClaimView",
    "StatementEntry",
    "ClaimHistory",
    "StatementView",
    "ActorSummary",
    "ActorView",
    "DocumentSummary",
    "Selectors",
    "AnchorOccurrence",
    "AnchorAnswer",
    "StorySummary",
    "Span",
    "StoryExtent",
    "StoryActor",
    "StoryView",
    "DocumentView",
    "ClaimStateChange",
    "ActorStanceChange",
    "ReplayStep",
    "Replay",
    "EventEnvelope",
    "Receipt",
    "WrittenEvent",
    "EventPage",
    "ClaimList",
    "StatementList",
    "ActorList",
    "DocumentList",
    "StoryList",
    "VerificationView",
    "CheckpointView",
    "InclusionProofView",
    "ConsistencyProofView",
    "Health",
    "Check",
    "Readiness",
]


class DraftQuote(View):
    exact: str
    prefix: str
    suffix: str


class DraftPosition(View):
    start: int = Field(description="Code points from the start of the document's text.")
    end: int


class DraftView(View):
    """A statement the text appears to make, proposed for a person to confirm."""

    actor: str | None = Field(description="The registered actor the speaker matches, or null.")
    speaker: str | None = Field(description="The words in the text naming the speaker.")
    stance: str = Field(description="Proposed: asserts, denies, reports, declines_to_comment, questions.")
    quote: DraftQuote
    position: DraftPosition
    cue: str = Field(description="The verb or marker that made it a statement.")
    kind: str = Field(
        description="quote, reported, attribution, report, relayed, refusal, publisher, "
        "headline or carried (reported speech going on in the subjunctive)."
    )
    relays: str | None = Field(description="Whose words it passes on, when the text says.")
    confidence: float


class DraftList(View):
    drafts: list[DraftView]
