"""The ledger's views in the ecosystem's formats, as plain dicts and rdflib graphs.

Each builder takes the projections' views (the same frozen view types the JSON API answers with) and a
``base`` IRI (the server's own URL, so every node is an absolute IRI a client can fetch).
Nothing here knows HTTP: ``api/`` only negotiates and serializes.

- :mod:`ledger.formats.annotation`: W3C Web Annotations (statement versions, collections).
- :mod:`ledger.formats.schema_org`: schema.org ``Claim`` documents.
- :mod:`ledger.formats.prov`: W3C PROV-O graphs of conduits, corrections and retractions.

A :class:`Scope` says which part of the ledger an export covers: one claim, one document, or
the whole ledger (which stands in for "the story" until stories exist; a story scope filters
the same entries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from ledger.projections.views import ActorSummary, ClaimView, DocumentSummary, StatementEntry

LEDGER_VOCAB = "urn:claims-ledger:vocab#"


@dataclass(frozen=True)
class Links:
    """The IRIs of the ledger's resources under one base URL."""

    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def claim(self, key: str) -> str:
        return f"{self.base}/v1/claims/{key}"

    def actor(self, key: str) -> str:
        return f"{self.base}/v1/actors/{key}"

    def document(self, document_id: str) -> str:
        return f"{self.base}/v1/documents/{document_id}"

    def statement(self, statement_id: str) -> str:
        return f"{self.base}/v1/statements/{statement_id}"

    def version(self, entry: StatementEntry) -> str:
        """A statement version: its statement's IRI with the version's id as a fragment."""
        return f"{self.statement(entry.statement_id)}#version-{entry.version_id}"

    def annotation(self, entry: StatementEntry) -> str:
        return f"{self.statement(entry.statement_id)}/annotation?version={entry.version_id}"

    def event(self, position: int) -> str:
        return f"{self.base}/v1/events?after={position - 1}&limit=1"

    def ledger(self) -> str:
        return f"{self.base}/"


@dataclass(frozen=True)
class Scope:
    """Which statements an export covers, and where it lives (``path`` under the base)."""

    kind: str  # "claim", "document" or "ledger" (later: "story")
    key: str | None
    label: str
    path: str
    keep: Callable[[StatementEntry], bool] = field(default=lambda entry: True)

    def entries(self, entries: Sequence[StatementEntry]) -> list[StatementEntry]:
        return [entry for entry in entries if self.keep(entry)]


def claim_scope(key: str) -> Scope:
    return Scope(
        "claim",
        key,
        f"Statements on the claim {key}",
        f"/v1/claims/{key}",
        lambda entry: entry.claim == key,
    )


def document_scope(document_id: str) -> Scope:
    return Scope(
        "document",
        document_id,
        f"Statements quoted from {document_id}",
        f"/v1/documents/{document_id}",
        lambda entry: entry.source.document == document_id,
    )


def ledger_scope() -> Scope:
    return Scope("ledger", None, "Every statement in the ledger", "/v1")


@dataclass(frozen=True)
class Context:
    """What the builders look up besides the entries: actors, documents and claims by key."""

    links: Links
    actors: Mapping[str, ActorSummary]
    documents: Mapping[str, DocumentSummary]
    claims: Mapping[str, ClaimView]

    def actor_name(self, key: str) -> str:
        actor = self.actors.get(key)
        return str(actor.name) if actor else key
