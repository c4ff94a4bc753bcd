"""The event envelope and its codec: new events in, recorded envelopes out, chained by hash.

``RecordedEvent`` is the one declaration of the envelope's fields; each field says what it is
in JSON (``JsonForm``), so the API's shape, the JSON form readers see, the archive's parsing
and the canonical text the hash covers all follow from it. ``Chain`` is the one hash-chain
check, shared by ``ledger verify`` and the archive's import.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import orjson
import rfc8785

GENESIS_HASH: Final = "0" * 64
INSTANT_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
INSTANT_EXPECTED: Final = "an instant like 2024-10-25T19:00:00.000000Z"

ExpectedVersion = int | Literal["any", "no_stream"]
ANY: Final = "any"
NO_STREAM: Final = "no_stream"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append; ``event_id`` is generated unless the client supplies one.

    ``payload`` is the typed domain event ``data`` was dumped from, when the writer built one:
    the live projection folds it as is instead of decoding ``data`` again. The store never
    reads it, and it takes no part in equality (a retry compares data and metadata).
    """

    type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    payload: Any = field(default=None, compare=False, repr=False)


@functools.lru_cache(maxsize=64)
@functools.lru_cache(maxsize=64)
def format_instant(instant: datetime) -> str:
    """A UTC instant as ISO 8601 with microseconds and ``Z``: one spelling, so hashes are stable.

    Cached: every event of an append shares one recorded_at, and each is formatted for the hash,
    the row and the answer. ``isoformat`` writes what ``INSTANT_FORMAT`` does, faster, for
    four-digit years; ``strftime`` keeps the spelling of any other.
    """
    utc = instant.astimezone(UTC)
    if utc.year < 1000:
        return utc.strftime(INSTANT_FORMAT)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True, slots=True)
class JsonForm:
    """What an envelope field is in JSON: its JSON type (for the API's schema), how a value is
    written, and how a JSON value is read back (``ValueError`` naming what would be right)."""

    json_type: Any
    write: Callable[[Any], Any]
    read: Callable[[Any], Any]
    expected: str


def _read_count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError
    return value


def _read_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError
    return value


def _read_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError
    return value


def _read_digest(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise ValueError
    return value


def _read_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(_read_name(value))


def parse_instant(value: Any) -> datetime:
    """An instant as ``format_instant`` writes it, as an aware UTC datetime; else ValueError."""
    if not isinstance(value, str):
        raise ValueError(INSTANT_EXPECTED)
    return datetime.strptime(value, INSTANT_FORMAT).replace(tzinfo=UTC)


_COUNT = JsonForm(int, int, _read_count, "a positive integer")
_UUID = JsonForm(str, str, _read_uuid, "a UUID")
_NAME = JsonForm(str, str, _read_name, "a non-empty string")
_OBJECT = JsonForm(dict[str, Any], dict, _read_object, "a JSON object")
_DIGEST = JsonForm(str, str, _read_digest, "64 hexadecimal digits")
_INSTANT = JsonForm(str, format_instant, parse_instant, INSTANT_EXPECTED)


def _in_json(form: JsonForm) -> Any:
    return field(metadata={"json": form})


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the ledger stored it: the envelope every reader sees."""

    position: int = _in_json(_COUNT)
    event_id: uuid.UUID = _in_json(_UUID)
    stream: str = _in_json(_NAME)
    version: int = _in_json(_COUNT)
    type: str = _in_json(_NAME)
    data: Mapping[str, Any] = _in_json(_OBJECT)
    metadata: Mapping[str, Any] = _in_json(_OBJECT)
    recorded_at: datetime = _in_json(_INSTANT)
    prev_hash: str = _in_json(_DIGEST)
    hash: str = _in_json(_DIGEST)

    def same_content_as(self, event: NewEvent, stream: str) -> bool:
        """Whether ``event`` appended to ``stream`` is a retry of this stored event."""
        return (
            self.stream == stream
            and self.type == event.type
            and canonical_json(self.data) == canonical_json(event.data)
            and canonical_json(self.metadata) == canonical_json(event.metadata)
        )

    def to_json(self) -> dict[str, Any]:
        """The envelope as plain JSON values, the form the API and the CLI show."""
        return {name: form.write(getattr(self, name)) for name, form in ENVELOPE_FIELDS.items()}

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> RecordedEvent:
        """The envelope ``to_json`` gave, read back; ``ValueError`` names the first bad field."""
        if record.keys() != ENVELOPE_FIELDS.keys():
            _refuse_keys(record)
        try:
            return cls(*[form.read(record[name]) for name, form in ENVELOPE_FIELDS.items()])
        except (ValueError, TypeError):
            for name, form in ENVELOPE_FIELDS.items():
                _read(name, form, record[name])
            raise

    def json_text(self) -> str:
        """``to_json`` as compact JSON in that order: the text a live feed sends."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    def canonical_line(self) -> str:
        """The RFC 8785 text of ``to_json()``: an archive's line."""
        return _canonical_envelope(self, None, None, self.hash)


ENVELOPE_FIELDS: Final[dict[str, JsonForm]] = {
    envelope_field.name: envelope_field.metadata["json"]
    for envelope_field in dataclasses.fields(RecordedEvent)
}
"""The envelope's fields in the order readers see them, each with its JSON form."""


def _refuse_keys(record: Mapping[str, Any]) -> None:
    missing = ENVELOPE_FIELDS.keys() - record.keys()
    if missing:
        raise ValueError(f"not an envelope: missing {', '.join(sorted(missing))}")
    extra = record.keys() - ENVELOPE_FIELDS.keys()
    raise ValueError(f"unknown fields {', '.join(sorted(extra))}")


def _read(name: str, form: JsonForm, value: Any) -> Any:
    try:
        return form.read(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name}: {form.expected}") from None


# Where a sorted, compact JSON encoder can differ from RFC 8785: a float (encoders and
# ECMAScript spell some differently; NaN and infinities are refused), an integer beyond 2**53
# (not exactly an IEEE double), a key with a character at or above U+E000 (RFC 8785 sorts keys by
# UTF-16 code units, encoders by code points), and what is not JSON at all. A value free of
# them (``_plain``: a statement's data always is) is written by orjson, whose escaping of
# strings is RFC 8785's; any other takes the exact path, the RFC 8785 library.
_MAX_EXACT_INTEGER: Final = 2**53 - 1  # RFC 8785's integers are IEEE doubles: safe ones
_HIGH_CHARACTER = re.compile("[\ue000-\U0010ffff]")


def canonical_text(value: Any) -> str:
    """RFC 8785 (JSON Canonicalization Scheme) text of ``value``."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except orjson.JSONEncodeError:
            pass  # a lone surrogate, or nesting deeper than orjson goes: the library decides
    return rfc8785.dumps(value).decode("utf-8")


def _plain(value: Any) -> bool:
    """``value`` is JSON without floats, integers beyond 2**53 - 1 or keys sorted differently by
    UTF-16 code units: every encoder that sorts keys writes it the same way."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or _low_characters(key)):
                    return False
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        elif kind is not int or not -_MAX_EXACT_INTEGER <= item <= _MAX_EXACT_INTEGER:
            return False
    return True


def _low_characters(key: str) -> bool:
    return _HIGH_CHARACTER.search(key) is None


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of ``value``."""
    return canonical_text(value).encode("utf-8")


def _canonical_envelope(
    event: Any, data_text: str | None, metadata_text: str | None, hash: str | None
) -> str:
    """The RFC 8785 text of an envelope, with ``hash`` or (for hashing it) without.

    Written out in RFC 8785 key order (data, event_id, hash, metadata, position, prev_hash,
    recorded_at, stream, type, version) so the canonical data text, needed anyway for storage,
    is not encoded twice, and so the generic encoder's exact path (which every envelope would
    take, since the ``recorded_at`` text looks like a number after a colon) is left to data and
    metadata. Tests check it against the RFC 8785 library byte for byte. ``event`` is anything
    with the envelope's attributes (the hash aside).
    """
    data = canonical_text(event.data) if data_text is None else data_text
    metadata = canonical_text(event.metadata) if metadata_text is None else metadata_text
    hashed = "" if hash is None else f'"hash":{_string(hash)},'
    return (
        f'{{"data":{data},"event_id":"{event.event_id}",{hashed}"metadata":{metadata},'
        f'"position":{event.position},"prev_hash":{_string(event.prev_hash)},'
        f'"recorded_at":"{format_instant(event.recorded_at)}","stream":{_string(event.stream)},'
        f'"type":{_string(event.type)},"version":{event.version}}}'
    )


@dataclass(frozen=True, slots=True)
class _Unhashed:
    """An envelope's fields before its hash exists."""

    position: int
    event_id: uuid.UUID
    stream: str
    version: int
    type: str
    data: Any
    metadata: Any
    recorded_at: datetime
    prev_hash: str


def event_hash(**fields: Any) -> str:
    """SHA-256 over the canonical JSON of the whole envelope, including the previous hash
    (the envelope's fields but ``hash``, by name)."""
    return _sha256(_canonical_envelope(_Unhashed(**fields), None, None, None))


def envelope_hash(*, data_text: str, metadata_text: str, **fields: Any) -> str:
    """``event_hash`` from data and metadata already in canonical text."""
    unhashed = _Unhashed(**fields, data=None, metadata=None)
    return _sha256(_canonical_envelope(unhashed, data_text, metadata_text, None))


def expected_hash(
    event: RecordedEvent, data_text: str | None = None, metadata_text: str | None = None
) -> str:
    """The hash ``event`` must carry, recomputed from its stored fields."""
    return _sha256(_canonical_envelope(event, data_text, metadata_text, None))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _string(value: str) -> str:
    """A JSON string: for strings (keys aside), Python's escaping is RFC 8785's. The encoder
    ``json.dumps(value, ensure_ascii=False)`` uses, without building a JSONEncoder per call."""
    return _encode_string(value)


_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


class Chain:
    """The hash chain walked from the genesis: each event must follow the last one taken.

    The one check of the chain's links, used by ``ledger verify`` and by an archive's import.
    """

    def __init__(self) -> None:
        self.position = 0
        self.hash = GENESIS_HASH

    def fault(
        self,
        event: RecordedEvent,
        data_text: str | None = None,
        metadata_text: str | None = None,
        *,
        also: Callable[[RecordedEvent], str | None] | None = None,
    ) -> str | None:
        """What is wrong with ``event`` as the chain's next link, or None.

        ``also`` runs a caller's own checks after the links and before the hash is recomputed
        (the costliest check, so last)."""
        if event.position != self.position + 1:
            return (
                f"follows position {self.position}: a gap, a removed or repeated event, "
                "or a reordering"
            )
        if event.prev_hash != self.hash:
            return "its prev_hash does not link to the event before it"
        fault = None if also is None else also(event)
        if fault is None and expected_hash(event, data_text, metadata_text) != event.hash:
            fault = "its hash does not match its content"
        return fault

    def take(self, event: RecordedEvent) -> None:
        """``event`` is the chain's new tail."""
        self.position, self.hash = event.position, event.hash
