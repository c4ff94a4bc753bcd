"""Request bodies: the core's values (or their fields plus an optional event id), with
seed-story examples. No body is a domain event: a body carries what a writer asks; the ledger
makes the event."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import date, datetime
from typing import Any, Self, TypeVar, cast

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ledger.domain.anchoring import MAX_COUNTED, MAX_PAGE
from ledger.domain.model import (
    Actor,
    Claim,
    Document,
    DocumentId,
    FreeText,
    Frozen,
    Key,
    LanguageTag,
    RetractionBasis,
    ShortText,
    SourceTime,
    StatementDraft,
    StatementDraftFields,
    Story,
    Url,
    source_instant,
)
from ledger.errors import InvalidEvent
from ledger.sources import HTML, PDF, SourceFields, document_from_original

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


CONTENTS = ("text", "html", "pdf")


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A model's configuration naming example bodies for its OpenAPI schema."""
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


class DocumentRegistered(Frozen):
    """A document to register: its ``text`` with the SHA-256 of its UTF-8 bytes, or an HTML
    page (``html``) or a PDF (``pdf``, base64) from which the ledger extracts the article's
    text, title, author and publication time, keeping the original. For HTML and PDF,
    ``sha256`` is optional and, if given, is that of the bytes given (the page's UTF-8)."""

    model_config = examples(
        {
            "document_id": "herald-2025-03-03.html",
            "publisher": "coastal-herald",
            "language": "en",
            "url": "https://herald.example/2025/03/03/bridge",
            "html": "<html><head><title>Bridge costs double</title></head><body>"
            "<article><p>The repair will cost 40 million euros, the mayor said."
            "</p></article></body></html>",
        }
    )

    document_id: DocumentId
    publisher: Key | None = None
    language: LanguageTag
    dated: date | None = None
    note: ShortText | None = None
    url: Url | None = None
    text: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    html: str | None = Field(default=None, min_length=1, max_length=2_000_000)
    pdf: str | None = Field(default=None, min_length=1, description="The PDF's bytes, base64.")
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", validate_default=True
    )

    @field_validator("pdf")
    @classmethod
    def _base64(cls, pdf: str | None) -> str | None:
        if pdf is None:
            return None
        try:
            base64.b64decode(pdf, validate=True)
        except ValueError:
            raise ValueError("pdf is not base64") from None
        return pdf

    @field_validator("sha256")
    @classmethod
    def _digest_of_the_content(cls, sha256: str | None, info: ValidationInfo) -> str | None:
        """The digest is checked here, not on the whole body, so a refusal names ``sha256``."""
        given = {name: info.data[name] for name in CONTENTS if info.data.get(name) is not None}
        if len(given) != 1:
            return sha256  # none, several or an invalid one: ``_one_content`` says which
        (field, value), = given.items()
        if field == "text" and sha256 is None:
            raise ValueError("a text needs the SHA-256 of its UTF-8 bytes")
        content = base64.b64decode(value) if field == "pdf" else value.encode("utf-8")
        if sha256 is not None and hashlib.sha256(content).hexdigest() != sha256:
            raise ValueError(f"does not match the bytes of {field}")
        return sha256

    @model_validator(mode="after")
    def _one_content(self) -> Self:
        given = [name for name in CONTENTS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, html (a page) and pdf (base64)")
        return self

    def content(self) -> bytes:
        """The bytes given: the text's or the page's UTF-8, or the PDF's."""
        if self.pdf is not None:
            try:
                return base64.b64decode(self.pdf, validate=True)
            except ValueError:
                raise ValueError("pdf is not base64") from None
        return (self.text if self.text is not None else self.html or "").encode("utf-8")

    def document(self) -> Document:
        """The document to register: the text as given, or what the extractor read."""
        fields = SourceFields(
            self.document_id, self.language, self.publisher, self.dated, self.url, self.note
        )
        if self.text is None:
            media_type, field = (HTML, "html") if self.html is not None else (PDF, "pdf")
            return document_from_original(fields, media_type, self.content(), field=field)
        try:
            return Document(
                document_id=self.document_id,
                publisher=self.publisher,
                language=self.language,
                dated=self.dated,
                sha256=self.sha256 or "",
                text=self.text,
                note=self.note,
                url=self.url,
            )
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "text"
            raise InvalidEvent(field, first["msg"]) from None


DocumentBody = DocumentRegistered
StoryBody = registration_body(Story, "StoryRegistered")


class StatementIn(StatementDraftFields):
    """A statement to record; ``event_id`` optional (an Idempotency-Key derives one). The quote
    may be its exact text alone: the ledger anchors it in the document."""

    model_config = examples(PESKOV_DENIES_EXACT_ONLY, PESKOV_DENIES)

    event_id: uuid.UUID | None = None

    def statement(self) -> StatementDraftFields:
        """The draft this body carries: the body itself, valid already, and not copied (the
        ledger anchors it straight into the event it records, leaving ``event_id`` behind)."""
        return self


class AnchorRequest(Frozen):
    """The exact text of a quote, to find in a document."""

    model_config = examples({"exact": "so Peskow"})

    exact: str = Field(min_length=1, max_length=5000)
    after: int = Field(
        default=0, ge=0, le=MAX_COUNTED, description="Start after this occurrence (a `next`)."
    )
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE, description="At most this many.")


class StatementChange(Frozen):
    """A change to a recorded statement: why, and whose change it is."""

    reason: FreeText = Field(min_length=1, max_length=2000)
    basis: RetractionBasis


class RetractionIn(StatementChange):
    """Stop counting a statement from now on: why, and whose change it is."""

    model_config = examples(
        {"reason": "The quote was attributed to the wrong speaker.", "basis": "ledger_error"}
    )

    withdrawn_at: SourceTime | None = Field(
        default=None,
        description="source_changed only: when the source withdrew its text (default: now); "
        "an RFC 3339 instant with offset, or a date meaning that day (from its start, UTC).",
    )
    event_id: uuid.UUID | None = None

    def withdrawal_time(self) -> datetime | None:
        """``withdrawn_at`` as an instant: a date is that day from its start, in UTC."""
        return source_instant(self.withdrawn_at)


class CorrectionIn(StatementChange):
    """Replace a statement's reading from now on: why, whose change, and the corrected reading."""

    model_config = examples(
        {
            "reason": "Add the missing note on the date.",
            "basis": "ledger_error",
            "statement": {**PESKOV_DENIES, "note": "Corrected: still undated in 000."},
        }
    )

    statement: StatementDraft
    corrected_at: SourceTime | None = Field(
        default=None,
        description="source_changed only: when the source published the changed text, as the "
        "source says; an RFC 3339 instant with offset, or a date meaning that day (from its "
        "start, UTC). Default: when the ledger records the correction. On the said axis the "
        "old reading stands until then and the new one from then on.",
    )
    event_id: uuid.UUID | None = None

    def correction_time(self) -> datetime | None:
        """``corrected_at`` as an instant: a date is that day from its start, in UTC."""
        return source_instant(self.corrected_at)


__all__ = ["PESKOV_DENIES", "CorrectionIn", "RetractionIn", "ShortText", "StatementIn"]
