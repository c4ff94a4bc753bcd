"""schema.org ``Claim`` documents (https://schema.org/Claim), embeddable in a fact-check page.

Each statement version that stands, or that its source later corrected or withdrew, is an
``appearance`` of the claim (a corrected one names its ``correction``, a withdrawn one
``expires``): a ``Quotation``
whose ``text`` is the quote, verbatim, whose ``author`` (and ``spokenByCharacter``) is the
speaker, ``isPartOf`` the document that printed it, with the dates the ledger knows. The
ledger records who said what; it rates nothing, so it emits no ``ClaimReview``
(docs/http-api.md shows how a fact-checker wraps this export in their own). The claim's
``name`` and ``text`` are its proposition in the reader's language (``Context.languages``, else
its first language), each other language a ``workTranslation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.formats import Context, Scope
from ledger.projections.views import ClaimView, StatementEntry

SCHEMA_CONTEXT = "https://schema.org"
MEDIA_TYPE = 'application/ld+json; profile="https://schema.org"'
ACTOR_TYPES = {
    "person": "Person",
    "outlet": "NewsMediaOrganization",
    "organisation": "Organization",
}


def claims_document(
    scope: Scope,
    claims: Sequence[ClaimView],
    entries: Sequence[StatementEntry],
    context: Context,
) -> dict[str, Any]:
    """One ``Claim`` (a claim scope) or a ``@graph`` of every claim the scope's entries touch."""
    scoped = scope.entries(entries)
    appeared = [entry for entry in scoped if _appeared(entry)]
    by_claim: dict[str, list[StatementEntry]] = {}
    for entry in appeared:
        by_claim.setdefault(entry.claim, []).append(entry)
    chosen = [c for c in claims if scope.kind != "document" or c.key in by_claim]
    corrections = _corrections(entries)
    nodes = [claim(c, by_claim.get(c.key, []), context, corrections) for c in chosen]
    if scope.kind == "claim" and len(nodes) == 1:
        return {"@context": SCHEMA_CONTEXT, **nodes[0]}
    return {"@context": SCHEMA_CONTEXT, "@graph": nodes}


def _appeared(entry: StatementEntry) -> bool:
    """Whether the source printed this reading as the ledger knows it now: it stands, or its
    source later withdrew or corrected it (a ``source_changed`` end keeps its appearance)."""
    return entry.status == "standing" or entry.withdrawn_at is not None


def _corrections(entries: Sequence[StatementEntry]) -> dict[str, StatementEntry]:
    """The reading that replaced each corrected version, by the corrected version's id."""
    opened = {(e.statement_id, e.position): e for e in entries}
    replaced: dict[str, StatementEntry] = {}
    for entry in entries:
        successor = opened.get((entry.statement_id, entry.ended_position or -1))
        if entry.status == "corrected" and successor is not None:
            replaced[entry.version_id] = successor
    return replaced


def claim(
    view: ClaimView,
    entries: Sequence[StatementEntry],
    context: Context,
    corrections: dict[str, StatementEntry] | None = None,
) -> dict[str, Any]:
    links = context.links
    appearances = [appearance(entry, context, corrections) for entry in entries]
    language, text = context.proposition(view)
    translations = [
        {"@type": "Claim", "text": other, "inLanguage": tag}
        for tag, other in view.propositions.items()
        if tag != language
    ]
    node: dict[str, Any] = {
        "@type": "Claim",
        "@id": links.claim(view.key),
        "url": links.claim(view.key),
        "name": text,
        "text": text,
        "inLanguage": language,
        "workTranslation": translations or None,
        "author": [agent(key, context) for key in _speakers(entries)],
        "appearance": appearances,
        "dateCreated": view.first_said_at,
        "sdDatePublished": view.registered_at,
    }
    if appearances:
        first = min(entries, key=lambda entry: (entry.said_key, entry.position))
        node["firstAppearance"] = appearance(first, context, corrections)
    return {key: value for key, value in node.items() if value is not None}


def appearance(
    entry: StatementEntry,
    context: Context,
    corrections: dict[str, StatementEntry] | None = None,
) -> dict[str, Any]:
    """Where the claim appeared: the quote, who said it, in which document, when; a reading
    its source corrected keeps its appearance and names the correction, one its source took
    down ``expires`` when it did."""
    links = context.links
    source = entry.source
    document = context.documents.get(source.document)
    speaker = agent(entry.actor, context)
    node: dict[str, Any] = {
        "@type": "Quotation",
        "@id": links.version(entry),
        "text": source.quote.exact,
        "author": speaker,
        "spokenByCharacter": speaker,
        "keywords": entry.stance,
        "description": f"{context.actor_name(entry.actor)} {entry.stance} the claim",
        "isPartOf": {
            "@type": "NewsArticle",
            "@id": links.document(source.document),
            "url": links.document(source.document),
            "inLanguage": document.language if document else None,
            "datePublished": document.dated if document else None,
            "publisher": agent(document.publisher, context)
            if document and document.publisher
            else None,
        },
        "dateCreated": entry.said_at.value,
        "sdDatePublished": entry.recorded_at,
        "citation": links.statement(entry.statement_id),
    }
    node["isPartOf"] = {k: v for k, v in node["isPartOf"].items() if v is not None}
    replacement = (corrections or {}).get(entry.version_id)
    if replacement is not None and entry.withdrawn_at is not None:
        node["correction"] = correction(entry, replacement, context)
    elif entry.status == "retracted":
        node["expires"] = entry.withdrawn_at
    return {key: value for key, value in node.items() if value is not None}


def correction(
    entry: StatementEntry, replacement: StatementEntry, context: Context
) -> dict[str, Any]:
    """The source's correction of an appearance: a ``CorrectionComment`` dated when the source
    published it, then when the ledger recorded it, with the corrected reading."""
    links = context.links
    return {
        "@type": "CorrectionComment",
        "@id": links.version(replacement),
        "text": replacement.source.quote.exact,
        "keywords": replacement.stance,
        "description": f"{context.actor_name(replacement.actor)} {replacement.stance} the "
        "claim in a correction",
        "datePublished": entry.withdrawn_at,
        "sdDatePublished": entry.ended_at,
        "isPartOf": {"@id": links.document(replacement.source.document)},
        "citation": links.statement(replacement.statement_id),
    }


def agent(key: str, context: Context) -> dict[str, Any]:
    actor = context.actors.get(key)
    return {
        "@type": ACTOR_TYPES.get(str(actor.kind if actor else None), "Organization"),
        "@id": context.links.actor(key),
        "name": context.actor_name(key),
    }


def _speakers(entries: Sequence[StatementEntry]) -> list[str]:
    return sorted({entry.actor for entry in entries})
