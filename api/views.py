"""Response shapes, for the OpenAPI document and for checking what the API sends.

Every view allows fields beyond those listed, so a field the core adds is passed on, not dropped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.model import SaidAt, SourceAnchor, TextPositionSelector, TextQuoteSelector


class View(BaseModel):
    model_config = ConfigDict(extra="allow")


class EventEnvelope(View):
    """A stored event as every reader sees it: position, stream version, hash chain link."""

    position: int
    event_id: str
    stream: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: str
    prev_hash: str
    hash: str


class Receipt(View):
    """What proves the ledger accepted an event: a signed checkpoint and the inclusion proof."""

    position: int
    event_hash: str
    tree_size: int
    leaf_hash: str
    proof: list[str]
    checkpoint: str = Field(description="A C2SP signed checkpoint whose tree holds the event")


class WrittenEvent(EventEnvelope):
    """The stored event, with the receipt that proves the ledger accepted it."""

    receipt: Receipt | None = Field(
        description="null when the ledger has no signing key or could not sign just now"
    )


class EventPage(View):
    """A page of the global log; pass ``next`` as ``after`` for the following page."""

    events: list[EventEnvelope]
    after: int
    next: int = Field(description="The cursor to read on from: the last position on this page.")
    has_more: bool


class PointInTimeView(View):
    as_of: str | None
    known_at: str | None


class StanceView(View):
    """An actor's standing stance, with its conduit chain and the quote it rests on."""

    actor: str
    stance: str
    statement_id: str
    version_id: str
    said_at: SaidAt
    said_key: str
    said_key_basis: str
    conduit: list[str]
    relays: str | None
    relayed_by: list[str]
    source: SourceAnchor
    note: str | None
    position: int
    recorded_at: str
    corrected: bool


class ClaimView(View):
    """A claim's state (asserted, denied, contested, ...) and every actor's stance on it."""

    key: str
    propositions: dict[str, str] = Field(description="The proposition by language (BCP 47).")
    proposition_en: str | None = Field(description="propositions.en (the first API's field).")
    proposition_de: str | None = Field(description="propositions.de (the first API's field).")
    story: str | None
    note: str | None
    registered_at: str
    state: str
    asserted_by: list[str]
    denied_by: list[str]
    declined_by: list[str]
    questioned_by: list[str]
    reported_by: list[str]
    relayed_by: dict[str, list[str]]
    statements: int
    first_said_at: str | None
    first_recorded_at: str | None
    last_changed_position: int | None
    stances: list[StanceView]
    point_in_time: PointInTimeView


NEXT = Field(
    description="The cursor of the next page (pass it as `cursor`), null on the last page; "
    'also in the `Link: <...>; rel="next"` header.'
)


class ClaimList(View):
    point_in_time: PointInTimeView
    claims: list[ClaimView]
    next: str | None = NEXT


class StatementEntry(View):
    """One version of a statement and whether it still stands."""

    statement_id: str
    version_id: str
    claim: str
    actor: str
    stance: str
    relays: str | None
    conduit: list[str]
    said_at: SaidAt
    said_key: str
    source: SourceAnchor
    note: str | None
    position: int
    recorded_at: str
    status: str
    ended_position: int | None
    withdrawn_at: str | None = Field(
        default=None, description="When the source withdrew it (a source_changed retraction)."
    )


class StatementList(View):
    statements: list[StatementEntry]
    next: str | None = NEXT


class ClaimHistory(View):
    claim: str
    statements: list[StatementEntry]


class StatementView(View):
    """A statement with every version, oldest first."""

    statement_id: str
    status: str
    current: StatementEntry
    versions: list[StatementEntry]


class ActorSummary(View):
    key: str
    name: str
    kind: str
    note: str | None
    registered_at: str
    statements: int


class ActorList(View):
    actors: list[ActorSummary]
    next: str | None = NEXT


class ActorView(View):
    """An actor and everything it said, about which claims."""

    key: str
    name: str
    kind: str
    note: str | None
    registered_at: str
    claims: list[str]
    statements: list[StatementEntry]


class DocumentSummary(View):
    document_id: str
    publisher: str | None
    language: str
    dated: str | None
    sha256: str
    note: str | None
    registered_at: str
    statements: int


class DocumentList(View):
    documents: list[DocumentSummary]
    next: str | None = NEXT


class Selectors(View):
    quote: TextQuoteSelector
    position: TextPositionSelector


class AnchorOccurrence(Selectors):
    """One occurrence: its number (1-based, text order) and its W3C selectors."""

    occurrence: int
    selectors: list[dict[str, Any]]


class AnchorAnswer(View):
    """Every occurrence of the exact text in the document."""

    document: str
    exact: str
    context: int = Field(description="Code points of prefix and suffix, fewer at the edges.")
    occurrences: list[AnchorOccurrence]


class StorySummary(View):
    key: str
    title: str
    description: str | None
    registered_at: str
    claims: int


class StoryList(View):
    stories: list[StorySummary]
    next: str | None = NEXT


class Span(View):
    from_: str = Field(alias="from")
    to: str


class StoryExtent(View):
    said: Span | None
    recorded: Span | None


class StoryActor(View):
    key: str
    name: str
    kind: str
    speaker: bool


class StoryView(View):
    """A story: its claims now, the actors and documents of their statements, its extent."""

    key: str
    title: str
    description: str | None
    registered_at: str
    claims: list[ClaimView]
    actors: list[StoryActor]
    documents: list[dict[str, Any]]
    extent: StoryExtent


class DocumentView(View):
    """A document's text and hash, and every quote anchor into it."""

    document_id: str
    publisher: str | None
    language: str
    dated: str | None
    sha256: str
    note: str | None
    registered_at: str
    text: str
    anchors: list[StatementEntry]


class ClaimStateChange(View):
    claim: str
    before: str
    after: str
    changed: bool


class ActorStanceChange(View):
    actor: str
    before: str | None
    after: str | None


class ReplayStep(View):
    step: int
    at: str
    type: str
    position: int
    event_id: str
    statement: StatementEntry
    claim_state: ClaimStateChange
    actor_stance: ActorStanceChange


class Replay(View):
    """The story between two instants, step by step, on the said or the recorded axis."""

    axis: str
    from_: str = Field(alias="from")
    to: str
    claim: str | None
    steps: list[ReplayStep]


class VerificationView(View):
    """The integrity walk: chain, Merkle nodes and kept checkpoints' roots; the first fault."""

    ok: bool
    checked: int
    first_bad_position: int | None
    reason: str | None
    tree_size: int = Field(description="leaves walked; 0 when the walk stopped at a fault")
    root: str = Field(description="the tree's root over every event walked (base64)")
    checkpoints_checked: int = Field(description="kept checkpoints whose roots the events give")


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
