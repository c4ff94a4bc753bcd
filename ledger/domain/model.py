"""The statement model: who took which stance on which claim, when, and where it was read."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from ledger.domain.text import (
    free_text_problem,
    invisible_characters,
    is_stored,
    matches_in_full,
    name_problem,
)

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
DOCUMENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def _identifier(pattern: re.Pattern[str], value: str, info: ValidationInfo) -> bool:
    """The whole value matches; a stored event's is read as it was accepted when written."""
    if is_stored(info.context):
        return pattern.match(value) is not None
    return matches_in_full(pattern, value)


def _key(value: str, info: ValidationInfo) -> str:
    if not _identifier(KEY_PATTERN, value, info):
        raise ValueError(
            "a key is 1-100 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )
    return value


def _document_id(value: str, info: ValidationInfo) -> str:
    if not _identifier(DOCUMENT_ID_PATTERN, value, info):
        raise ValueError("a document id is 1-200 of A-Z, a-z, 0-9, '.', '_' and '-'")
    return value


def _name(value: str, info: ValidationInfo) -> str:
    problem = None if is_stored(info.context) else name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _free_text(value: str, info: ValidationInfo) -> str:
    problem = None if is_stored(info.context) else free_text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Key = Annotated[str, AfterValidator(_key)]
DocumentId = Annotated[str, AfterValidator(_document_id)]
FreeText = Annotated[str, AfterValidator(_free_text)]
"""Notes, reasons, descriptions: any text, but a bidi control opened in it is closed in it."""
ShortText = Annotated[FreeText, Field(max_length=2000)]
Name = Annotated[str, AfterValidator(_name)]
"""Names and titles: shown as they are, so nothing invisible (docs/reliability.md)."""
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
LANGUAGE_TAG_MESSAGE = "is not a language tag: use BCP 47, like 'en', 'de' or 'pt-BR'"


def _language(value: str, info: ValidationInfo) -> str:
    if not _identifier(LANGUAGE_PATTERN, value, info):
        raise ValueError(f"{value!r} {LANGUAGE_TAG_MESSAGE}")
    return value


LanguageTag = Annotated[str, Field(min_length=2, max_length=8), AfterValidator(_language)]


def _propositions(value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
    for language, text in value.items():
        if not _identifier(LANGUAGE_PATTERN, language, info):
            raise ValueError(f"{language!r} {LANGUAGE_TAG_MESSAGE}")
        if not 1 <= len(text) <= 2000:
            raise ValueError(f"the {language!r} proposition is 1-2000 characters")
        problem = None if is_stored(info.context) else free_text_problem(text)
        if problem is not None:
            raise ValueError(f"the {language!r} proposition: {problem}")
    return dict(sorted(value.items()))


Propositions = Annotated[
    dict[str, str], Field(min_length=1, max_length=20), AfterValidator(_propositions)
]
"""A claim's proposition by language (BCP 47 tag), at least one, sorted by tag."""


class Frozen(BaseModel):
    """Immutable, strict about unknown fields: the base of every domain value."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class Stance(StrEnum):
    """What the speaker did with the claim. The ledger records it; it never judges it."""

    ASSERTS = "asserts"
    DENIES = "denies"
    REPORTS = "reports"  # relays another's statement without endorsing it
    DECLINES_TO_COMMENT = "declines_to_comment"
    QUESTIONS = "questions"


class Precision(StrEnum):
    INSTANT = "instant"
    DAY = "day"
    YEAR = "year"
    UNKNOWN = "unknown"


class ActorKind(StrEnum):
    OUTLET = "outlet"
    PERSON = "person"
    ORGANISATION = "organisation"
    GROUP = "group"


class SaidAt(Frozen):
    """When the statement was made, as its source says, at the precision the source allows."""

    precision: Precision
    value: str | None = Field(default=None, max_length=40)
    basis: ShortText | None = None

    @model_validator(mode="after")
    def _value_matches_precision(self) -> Self:
        if self.precision is Precision.UNKNOWN:
            if self.value is not None:
                raise ValueError("an unknown said_at has no value")
            return self
        if self.value is None:
            raise ValueError(f"a said_at of precision {self.precision} needs a value")
        try:
            self.start()
        except OverflowError:  # a real date whose UTC instant falls outside the calendar
            raise ValueError("the date is outside the range the ledger can place in time") from None
        return self

    def start(self) -> datetime | None:
        """The earliest instant the statement can have been made; None when unknown."""
        if self.value is None:
            return None
        if self.precision == Precision.DAY:
            return datetime.combine(date.fromisoformat(self.value), time(), tzinfo=UTC)
        if self.precision == Precision.YEAR:
            if not re.fullmatch(r"\d{4}", self.value):
                raise ValueError("a year is four digits")
            return datetime(int(self.value), 1, 1, tzinfo=UTC)
        instant = datetime.fromisoformat(self.value)
        if instant.tzinfo is None:
            raise ValueError("an instant needs a UTC offset")
        return instant.astimezone(UTC)


class TextQuoteSelector(Frozen):
    """W3C Web Annotation TextQuoteSelector: the quote and the text right around it."""

    exact: str = Field(min_length=1, max_length=5000)
    prefix: str = Field(default="", max_length=200)
    suffix: str = Field(default="", max_length=200)


class TextPositionSelector(Frozen):
    """W3C Web Annotation TextPositionSelector: offsets in code points into the document's text."""

    start: int = Field(ge=0)
    end: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


class SourceAnchor(Frozen):
    """Where the statement was read: a document and the quote's place in it."""

    document: DocumentId
    quote: TextQuoteSelector
    position: TextPositionSelector


class QuoteIn(Frozen):
    """The quote as a writer may give it: the exact text, with prefix and suffix if known."""

    exact: str = Field(min_length=1, max_length=5000)
    prefix: str | None = Field(default=None, max_length=200)
    suffix: str | None = Field(default=None, max_length=200)


class SourceAnchorIn(Frozen):
    """Where a writer read the statement. Without ``position`` the ledger finds the quote and
    stores the full anchor; ``occurrence`` (1-based) picks one when the text occurs more than
    once."""

    document: DocumentId
    quote: QuoteIn
    position: TextPositionSelector | None = None
    occurrence: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one_way_to_place(self) -> Self:
        if self.position is not None and self.occurrence is not None:
            raise ValueError("give position or occurrence, not both")
        return self


# Where a statement was read: the full anchor the ledger stores, or what a writer sends.
SourceT = TypeVar("SourceT", SourceAnchor, SourceAnchorIn)


class StatementFields(Frozen, Generic[SourceT]):
    """The fields of a statement, stored or as a writer sends it: they differ only in the
    anchor's form, so both are declared here once."""

    claim: Key
    actor: Key
    stance: Stance
    conduit: list[Key] = Field(min_length=1, max_length=20)
    said_at: SaidAt
    source: SourceT
    relays: Key | None = None
    note: ShortText | None = None


class Statement(StatementFields[SourceAnchor]):
    """One statement: the speaker's stance on a claim, as read in one document."""


AnchoredT = TypeVar("AnchoredT", bound=Statement)


class StatementDraftFields(StatementFields[SourceAnchorIn]):
    """The fields of a statement as a writer sends it: the draft's, and those of any request
    body carrying one (which adds its own fields, so it does not subclass the draft). Either is
    anchored as it is: a request body is not copied into a draft first."""

    def anchored(self, source: SourceAnchor, into: type[AnchoredT]) -> AnchoredT:
        """The statement with its full anchor, built once as ``into`` (``Statement``, or the
        event recording it, so that the event is not a second copy); every field is valid
        already, so none is validated again, and a body's own fields are left behind."""
        fields = {name: getattr(self, name) for name in Statement.model_fields if name != "source"}
        return into.model_construct(set(into.model_fields), **fields, source=source)


class StatementDraft(StatementDraftFields):
    """A statement as a writer sends it: its anchor may be the quote's exact text alone."""


class Extractor(Frozen):
    """The library that extracted a document's text from its original, and its version."""

    name: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=100)


class OriginalSource(Frozen):
    """The bytes a document's text was extracted from (an HTML page, a PDF): their media type,
    SHA-256 and length, and the bytes themselves (``content``, base64), kept so anyone can run
    the extraction again."""

    media_type: str = Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    length: int = Field(ge=1)
    content: str = Field(min_length=1, repr=False)

    @model_validator(mode="after")
    def _content_matches(self) -> Self:
        try:
            raw = base64.b64decode(self.content, validate=True)
        except ValueError:
            raise ValueError("content is not base64") from None
        if len(raw) != self.length or hashlib.sha256(raw).hexdigest() != self.sha256:
            raise ValueError("sha256 and length do not match the original's bytes")
        return self

    def summary(self) -> dict[str, Any]:
        """What views show of the original: everything but the bytes."""
        return {"media_type": self.media_type, "sha256": self.sha256, "length": self.length}


def _published(value: str) -> str:
    """A publication date (YYYY-MM-DD) or instant with its UTC offset, in ISO 8601."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        date.fromisoformat(value)
        return value
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("published is a date (YYYY-MM-DD) or an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise ValueError("a published instant needs a UTC offset")
    return value


Published = Annotated[str, Field(max_length=40), AfterValidator(_published)]
def _url(value: str, info: ValidationInfo) -> str:
    """A URL is shown as it is, so nothing in it may be invisible (an RLO reverses its end)."""
    found = [] if is_stored(info.context) else invisible_characters(value)
    if found:
        raise ValueError(f"a URL may not hold invisible or bidirectional control characters "
                         f"({', '.join(found)}): percent-encode them")
    return value


Url = Annotated[
    str, Field(max_length=2000, pattern=r"^https?://[^\s]+$"), AfterValidator(_url)
]


class Document(Frozen):
    """A source text entered the ledger; its text is kept whole so every quote can be checked.

    A document registered from an HTML page or a PDF also carries what the source says of
    itself (``title``, ``author``, ``published``), its ``url``, the ``original`` bytes and the
    ``extractor`` that made the text. Events written before these fields existed lack them.
    """

    document_id: DocumentId
    publisher: Key | None = None
    language: LanguageTag
    dated: date | None = None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    text: str = Field(min_length=1, max_length=1_000_000)
    note: ShortText | None = None
    title: str | None = Field(default=None, max_length=500)
    author: str | None = Field(default=None, max_length=500)
    published: Published | None = None
    url: Url | None = None
    original: OriginalSource | None = None
    extractor: Extractor | None = None

    @model_validator(mode="after")
    def _hash_matches_text(self) -> Self:
        if hashlib.sha256(self.text.encode("utf-8")).hexdigest() != self.sha256:
            raise ValueError("sha256 does not match the UTF-8 bytes of text")
        if (self.original is None) != (self.extractor is None):
            raise ValueError("an original and its extractor come together")
        return self


SOURCE_FIELDS = ("title", "author", "published", "url", "original", "extractor")
"""The document's fields added with HTML and PDF sources: left out of events when unset."""


class Actor(Frozen):
    """Someone who makes or relays statements: an outlet, a person, an organisation, a group."""

    key: Key
    name: Name = Field(min_length=1, max_length=200)
    kind: ActorKind
    note: ShortText | None = None
    aliases: list[Annotated[Name, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="Other names the texts use for the actor ('Peskow', 'Kremlsprecher'); "
        "statement drafts match speakers by name, surname and these.",
    )


class Story(Frozen):
    """A story: the claims a newsroom follows together, under a key and a title.

    ``claims`` gathers claims registered before the story (the seed's, written in the first
    shape of ClaimRegistered); claims registered later name their story themselves.
    """

    key: Key
    title: Name = Field(min_length=1, max_length=300)
    description: ShortText | None = None
    claims: list[Key] = Field(default_factory=list, max_length=10_000)


class Claim(Frozen):
    """A proposition the statements are about, stated neutrally, in one language or more.

    Events written before stories existed carry ``proposition_en`` and ``proposition_de``; they
    are read as the language map (stored data is never rewritten, only read anew).
    """

    key: Key
    propositions: Propositions
    story: Key | None = None
    note: ShortText | None = None

    @model_validator(mode="before")
    @classmethod
    def _first_shape(cls, data: Any) -> Any:
        """A writer may still send the first shape (the first API's fields)."""
        return propositions_by_language(data) if isinstance(data, dict) else data

    def first_shape(self) -> dict[str, Any] | None:
        """The data as the ledger first wrote claims, if this claim fits that shape, else None.

        The seed writes its claims this way so that its events stay byte-identical across
        versions and a seed re-run over an older ledger appends nothing.
        """
        if self.story is not None or set(self.propositions) != {"en", "de"}:
            return None
        return {
            "key": self.key,
            "proposition_en": self.propositions["en"],
            "proposition_de": self.propositions["de"],
            "note": self.note,
        }


def propositions_by_language(data: dict[str, Any]) -> dict[str, Any]:
    """A claim in the first shape, ``proposition_en`` and ``proposition_de``, as the language
    map; any other data unchanged (the upcaster of ``ClaimRegistered``'s first version)."""
    if "propositions" in data or not {"proposition_en", "proposition_de"} & data.keys():
        return data
    data = dict(data)
    by_language = {
        language: data.pop(f"proposition_{language}")
        for language in ("en", "de")
        if f"proposition_{language}" in data
    }
    return {**data, "propositions": by_language}


class RetractionBasis(StrEnum):
    """Whose change it is: the source withdrew or changed its text, or the ledger misread it."""

    SOURCE_CHANGED = "source_changed"
    LEDGER_ERROR = "ledger_error"


def _a_date_stays_a_date(value: Any) -> Any:
    """``2025-03-05`` is a date, not a naive midnight: it means that day."""
    if isinstance(value, str) and len(value) == 10:
        return date.fromisoformat(value)
    return value


SourceTime = Annotated[datetime | date, BeforeValidator(_a_date_stays_a_date)]
"""When a source withdrew or corrected its text, as the source says: an instant with an
offset, or a date meaning that day."""


def source_instant(value: datetime | date | None) -> datetime | None:
    """A ``SourceTime`` as an instant: a datetime as given, a date from its start in UTC."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)
