"""A document's drafts as a story file for a person to edit (``ledger drafts --story-file``).

Each draft becomes a statement entry with everything the drafter proposed; the person picks
each one's claim (and registers any speaker the ledger does not know), deletes what is wrong,
and loads the file with ``ledger stories load``. The document and the actors the drafts name
are listed as the ledger holds them, so loading over this ledger registers nothing twice.
"""

from __future__ import annotations

from typing import Any

import yaml

from ledger.drafting import Draft
from ledger.service import LedgerQueries

HEADER = """\
# Statement drafts for {document}: proposals, not readings. For each statement, choose its
# claim (add it under `claims:` first), check actor, stance and quote, fix `said_at`, and delete
# drafts that are wrong. Then: ledger stories load {name}
"""


def story_file(queries: LedgerQueries, document_id: str, drafts: list[Draft], name: str) -> str:
    """The YAML of a story file holding ``drafts`` of the document."""
    view = queries.document(document_id)
    keys = sorted({draft.actor for draft in drafts if draft.actor is not None})
    actors = [_actor(queries, key) for key in keys]
    publisher = view.publisher
    if publisher is not None and publisher not in keys:
        actors.insert(0, _actor(queries, publisher))
    document: dict[str, Any] = {
        "id": document_id,
        "publisher": publisher,
        "language": view.language,
        "dated": view.dated,
        "note": view.note,
    }
    if view.url:
        document["url"] = view.url
    stem = document_id.rsplit(".", 1)[0].lower().replace("_", "-")[:60]
    data = {
        "documents": [document],
        "actors": actors,
        "claims": [],
        "statements": [
            _statement(f"{stem}-draft-{number}", document_id, publisher, draft)
            for number, draft in enumerate(drafts, start=1)
        ],
    }
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return HEADER.format(document=document_id, name=name) + body


def _actor(queries: LedgerQueries, key: str) -> dict[str, Any]:
    actor = queries.actor(key)
    entry: dict[str, Any] = {"key": actor.key, "name": actor.name, "kind": actor.kind}
    if actor.note is not None:
        entry["note"] = actor.note
    if actor.aliases:
        entry["aliases"] = list(actor.aliases)
    return entry


def _statement(key: str, document: str, publisher: str | None, draft: Draft) -> dict[str, Any]:
    actor = draft.actor
    conduit = [hop for hop in (publisher, actor) if hop is not None]
    entry: dict[str, Any] = {
        "key": key,
        "document": document,
        "actor": actor,
        "claim": None,
        "stance": draft.stance,
        "conduit": list(dict.fromkeys(conduit)),
        "said_at": {"precision": "unknown"},
        "quote": {"exact": draft.exact, "prefix": draft.prefix, "suffix": draft.suffix},
        "position": {"start": draft.start, "end": draft.end},
    }
    if draft.relays is not None:
        entry["relays"] = draft.relays
    speaker = f"speaker '{draft.speaker}'" + ("" if actor else " (not a registered actor)")
    entry["note"] = f"Drafted: {speaker}, {draft.kind} cue '{draft.cue}', confidence {draft.confidence}."
    return entry
