"""The ledger's views in the ecosystem's formats, as plain dicts and rdflib graphs.

Each builder takes the projections' views (the same frozen view types the JSON API answers with) and a
``base`` IRI (the server's own URL, so every node is an absolute IRI a client can fetch).
Nothing here knows HTTP: ``api/`` only negotiates and serializes.

- :mod:`ledger.formats.annotation`: W3C Web Annotations (statement versions, collections).
- :mod:`ledger.formats.schema_org`: schema.org ``Claim`` documents.
- :mod:`ledger.formats.prov`: W3C PROV-O graphs of conduits, corrections and retractions.

A :class:`Scope` says which part of the ledger an export covers: one claim, one document, one
story (its claims), or the whole ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ledger.languages import choose
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

    kind: str  # "claim", "document", "story" or "ledger"
    key: str | None
    label: str
    path: str
    keep: Callable[[StatementEntry], bool] = field(default=lambda entry: True)
    claims: frozenset[str] | None = None
    """The claims a claim or story scope covers (None: every claim)."""

    def entries(self, entries: Sequence[StatementEntry]) -> list[StatementEntry]:
        return [entry for entry in entries if self.keep(entry)]

    def covers_claim(self, claim: ClaimView) -> bool:
        return self.claims is None or claim.key in self.claims


def claim_scope(key: str) -> Scope:
    return Scope(
        "claim",
        key,
        f"Statements on the claim {key}",
        f"/v1/claims/{key}",
        lambda entry: entry.claim == key,
        frozenset({key}),
    )


def story_scope(key: str, claims: Iterable[str]) -> Scope:
    """Every statement on the story's claims, and those claims (even ones nobody stated yet)."""
    keys = frozenset(claims)
    return Scope(
        "story",
        key,
        f"Statements on the claims of the story {key}",
        f"/v1/stories/{key}",
        lambda entry: entry.claim in keys,
        keys,
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
    languages: Sequence[str] = ()
    """The reader's language preferences, best first (from Accept-Language)."""

    def proposition(self, view: ClaimView) -> tuple[str | None, str | None]:
        """The claim's proposition in the reader's language (else its first): language, text."""
        language = choose(view.propositions, self.languages)
        return language, view.propositions.get(language) if language else None

    def actor_name(self, key: str) -> str:
        actor = self.actors.get(key)
        return str(actor.name) if actor else key
