"""W3C Web Annotations (https://www.w3.org/TR/annotation-model/) of statement versions.

An annotation's target is the quoted document with both selectors the ledger keeps (the
``TextQuoteSelector`` and the ``TextPositionSelector``); its body says, in words and as links,
who speaks, with which stance, on which claim. Terms the Web Annotation vocabulary lacks
(speaker, stance, claim, conduit, ...) come from a small second context, so a JSON-LD
processor expands every key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.formats import LEDGER_VOCAB, Context, Scope
from ledger.projections.views import StatementEntry

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
PAGE_SIZE = 20
LEDGER_TERMS: dict[str, Any] = {
    "ledger": LEDGER_VOCAB,
    "speaker": {"@id": "ledger:speaker", "@type": "@id"},
    "stance": {"@id": "ledger:stance", "@type": "@vocab"},
    "claim": {"@id": "ledger:claim", "@type": "@id"},
    "relays": {"@id": "ledger:relays", "@type": "@id"},
    "conduit": {"@id": "ledger:conduit", "@type": "@id", "@container": "@list"},
    "statement": {"@id": "ledger:statement", "@type": "@id"},
    "status": "ledger:status",
    "saidAt": "ledger:saidAt",
    "saidPrecision": "ledger:saidPrecision",
    "asserts": "ledger:asserts",
    "denies": "ledger:denies",
    "reports": "ledger:reports",
    "declines_to_comment": "ledger:declines_to_comment",
    "questions": "ledger:questions",
}
CONTEXT: list[Any] = [ANNO_CONTEXT, LEDGER_TERMS]
STANCE_WORDS = {
    "asserts": "asserts",
    "denies": "denies",
    "reports": "reports",
    "declines_to_comment": "declines to comment on",
    "questions": "questions",
}


def annotation(entry: StatementEntry, context: Context, *, embedded: bool = False) -> dict:
    """One statement version as a Web Annotation (without ``@context`` when ``embedded``)."""
    links = context.links
    source = entry.source
    document = context.documents.get(source.document)
    quote = source.quote
    body = {
        "@context": CONTEXT,
        "id": links.annotation(entry),
        "type": "Annotation",
        "motivation": "classifying",
        "created": entry.recorded_at,
        "generated": entry.recorded_at,
        "creator": {"id": links.ledger(), "type": "Software", "name": "Claims ledger"},
        "canonical": links.annotation(entry),
        "body": [
            {
                "type": "TextualBody",
                "purpose": "describing",
                "format": "text/plain",
                "language": "en",
                "value": describe(entry, context),
            },
            {"id": links.claim(entry.claim), "type": "Dataset"},
        ],
        "target": {
            "type": "SpecificResource",
            "source": {
                "id": links.document(source.document),
                "type": "Text",
                "format": "text/plain",
                "language": document.language if document else "und",
            },
            "selector": [
                {"type": "TextQuoteSelector", **quote.model_dump()},
                {"type": "TextPositionSelector", **source.position.model_dump()},
            ],
        },
        "speaker": links.actor(entry.actor),
        "stance": entry.stance,
        "claim": links.claim(entry.claim),
        "conduit": [links.actor(hop) for hop in entry.conduit],
        "statement": links.statement(entry.statement_id),
        "status": entry.status,
        "saidPrecision": entry.said_at.precision.value,
    }
    if entry.said_at.value is not None:
        body["saidAt"] = entry.said_at.value
    if entry.relays:
        body["relays"] = links.actor(entry.relays)
    if embedded:
        del body["@context"]
    return body


def describe(entry: StatementEntry, context: Context) -> str:
    """The statement in one English sentence: speaker, stance, claim (and whom it relays)."""
    claim = context.claims.get(entry.claim)
    proposition = context.proposition(claim)[1] if claim else entry.claim
    speaker = context.actor_name(entry.actor)
    stance = STANCE_WORDS.get(entry.stance, entry.stance)
    relayed = f" (relaying {context.actor_name(entry.relays)})" if entry.relays else ""
    return f"{speaker}{relayed} {stance}: “{proposition}”"


def collection(scope: Scope, entries: Sequence[StatementEntry], context: Context) -> dict:
    """An ``AnnotationCollection`` of the scope's statement versions, paged by IRI."""
    total = len(entries)
    pages = page_count(total)
    body: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": collection_iri(scope, context),
        "type": "AnnotationCollection",
        "label": scope.label,
        "total": total,
    }
    if total:
        body["first"] = page_iri(scope, context, 0)
        body["last"] = page_iri(scope, context, pages - 1)
    return body


def page(
    scope: Scope, entries: Sequence[StatementEntry], context: Context, number: int
) -> dict | None:
    """Page ``number`` (from 0) of the collection, or None if there is no such page."""
    total = len(entries)
    pages = page_count(total)
    if number >= max(pages, 1):
        return None
    start = number * PAGE_SIZE
    items = entries[start : start + PAGE_SIZE]
    body: dict[str, Any] = {
        "@context": CONTEXT,
        "id": page_iri(scope, context, number),
        "type": "AnnotationPage",
        "partOf": collection_iri(scope, context),
        "startIndex": start,
        "items": [annotation(entry, context, embedded=True) for entry in items],
    }
    if number + 1 < pages:
        body["next"] = page_iri(scope, context, number + 1)
    if number > 0:
        body["prev"] = page_iri(scope, context, number - 1)
    return body


def page_count(total: int) -> int:
    return (total + PAGE_SIZE - 1) // PAGE_SIZE


def collection_iri(scope: Scope, context: Context) -> str:
    return f"{context.links.base}{scope.path}/export/annotations"


def page_iri(scope: Scope, context: Context, number: int) -> str:
    return f"{collection_iri(scope, context)}?page={number}"
