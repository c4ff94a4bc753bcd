"""The checks every statement passes before it is appended, whoever sends it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from ledger.domain import anchoring
from ledger.domain.model import (
    SourceAnchor,
    Stance,
    Statement,
    StatementDraftFields,
    TextQuoteSelector,
)
from ledger.errors import InvalidEvent


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What validation needs to know of a registered document (and the live fold: its date
    and language)."""

    document_id: str
    publisher: str | None
    text: str
    dated: date | None = None
    language: str = "und"  # BCP 47's "undetermined", as the search index says when unknown


class Registry(Protocol):
    """The registered documents, actors and claims, as the writer's transaction sees them."""

    def document(self, document_id: str) -> DocumentFacts | None: ...

    def has_actor(self, key: str) -> bool: ...

    def has_claim(self, key: str) -> bool: ...


def anchored_statement(
    draft: Statement | StatementDraftFields,
    registry: Registry,
    *,
    field: str = "",
    into: type[Statement] = Statement,
) -> Statement:
    """The statement with its full anchor: a draft's quote is found in its document.

    A draft is anchored into an instance of ``into``: a writer recording the statement passes
    the event type, so the anchored statement is the event (``Event.of`` returns it as it is)
    and the statement is built once on its way to the log. A full statement, anchored
    already, is returned as given (``Event.of`` then builds the event from it, once)."""
    if isinstance(draft, Statement):
        return draft
    source = draft.source
    document = registry.document(source.document)
    _require(document is not None, f"{field}source.document", "no such document is registered")
    assert document is not None
    quote = source.quote
    if source.position is not None:
        given = TextQuoteSelector(
            exact=quote.exact, prefix=quote.prefix or "", suffix=quote.suffix or ""
        )
        return draft.anchored(
            SourceAnchor(document=source.document, quote=given, position=source.position), into
        )
    found = anchoring.resolve(
        document.text,
        quote.exact,
        prefix=quote.prefix,
        suffix=quote.suffix,
        occurrence=source.occurrence,
        field=f"{field}source.",
    )
    return draft.anchored(
        SourceAnchor(document=source.document, quote=found.quote, position=found.position), into
    )


SAID_AT_SLACK = timedelta(days=1)
"""How far a said time may run past a day it cannot be later than: time zones differ by up to
26 hours, and a day-precision date is read as its start in UTC."""


def validate_statement(
    statement: Statement,
    registry: Registry,
    *,
    field: str = "",
    recorded_at: datetime | None = None,
) -> None:
    """Raise InvalidEvent naming the first field that is wrong; return quietly otherwise.

    ``recorded_at``, when known, is when the ledger records it: nothing is said after that."""
    _require(registry.has_claim(statement.claim), f"{field}claim", "no such claim is registered")
    _require(registry.has_actor(statement.actor), f"{field}actor", "no such actor is registered")
    document = registry.document(statement.source.document)
    _require(document is not None, f"{field}source.document", "no such document is registered")
    assert document is not None
    _validate_conduit(statement, registry, document, field)
    _validate_relays(statement, registry, field)
    _validate_anchor(statement, document, field)
    _validate_said_at(statement, document, recorded_at, field)


def _validate_said_at(
    statement: Statement, document: DocumentFacts, recorded_at: datetime | None, field: str
) -> None:
    """A statement is not said after the text that reports it, nor after it is recorded."""
    said = statement.said_at.start()
    if said is None:
        return
    if document.dated is not None:
        day_after = datetime.combine(document.dated, time(), tzinfo=UTC) + timedelta(days=1)
        _require(
            said < day_after + SAID_AT_SLACK,
            f"{field}said_at.value",
            f"is after the document's own date ({document.dated.isoformat()}, a day of slack "
            "for time zones): a statement is said before the text that reports it",
        )
    if recorded_at is not None:
        _require(
            said <= recorded_at + SAID_AT_SLACK,
            f"{field}said_at.value",
            "is in the future: later than when the ledger records the statement",
        )


def _validate_conduit(
    statement: Statement, registry: Registry, document: DocumentFacts, field: str
) -> None:
    for index, hop in enumerate(statement.conduit):
        _require(registry.has_actor(hop), f"{field}conduit[{index}]", "no such actor is registered")
    _require(
        statement.conduit[-1] == statement.actor,
        f"{field}conduit",
        "the conduit ends with the speaker (the statement's actor)",
    )
    _require(
        document.publisher is None or statement.conduit[0] == document.publisher,
        f"{field}conduit",
        f"the conduit starts with the document's publisher {document.publisher!r}",
    )


def _validate_relays(statement: Statement, registry: Registry, field: str) -> None:
    if statement.stance is Stance.REPORTS:
        _require(statement.relays is not None, f"{field}relays", "a report names whom it relays")
        assert statement.relays is not None
        _require(registry.has_actor(statement.relays), f"{field}relays", "no such actor")
        _require(statement.relays != statement.actor, f"{field}relays", "an actor relays another")
    else:
        _require(statement.relays is None, f"{field}relays", "only a 'reports' stance relays")


def _validate_anchor(statement: Statement, document: DocumentFacts, field: str) -> None:
    text, quote, position = document.text, statement.source.quote, statement.source.position
    if position.end > len(text):
        found = anchoring.find_starts(text, quote.exact)
        where = f"; the quote is at code points {found.places()}" if found.starts else ""
        raise InvalidEvent(
            f"{field}source.position.end",
            f"past the end of the document ({len(text)} code points){where}",
        )
    _require(
        text[position.start : position.end] == quote.exact,
        f"{field}source.quote.exact",
        anchoring.misplaced_message(text, quote.exact, position.start, position.end),
    )
    _require(
        text[max(0, position.start - len(quote.prefix)) : position.start] == quote.prefix,
        f"{field}source.quote.prefix",
        "does not match the text right before the quote",
    )
    _require(
        text[position.end : position.end + len(quote.suffix)] == quote.suffix,
        f"{field}source.quote.suffix",
        "does not match the text right after the quote",
    )


def _require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise InvalidEvent(field, message)
