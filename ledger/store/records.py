"""What the store reads and writes: new events in, recorded envelopes out, chained by hash."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import rfc8785

GENESIS_HASH: Final = "0" * 64

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


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the ledger stored it: the envelope every reader sees."""

    position: int
    event_id: uuid.UUID
    stream: str
    version: int
    type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]
    recorded_at: datetime
    prev_hash: str
    hash: str

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
        return {
            "position": self.position,
            "event_id": str(self.event_id),
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "data": dict(self.data),
            "metadata": dict(self.metadata),
            "recorded_at": format_instant(self.recorded_at),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


# Where Python's sorted, compact json.dumps can differ from RFC 8785: a float (Python and
# ECMAScript spell some differently), an integer beyond 2**53 (not an IEEE double), and a
# character at or above U+E000 (RFC 8785 sorts keys by UTF-16 code units, Python by code
# points). In compact JSON a number inside a value follows ':', ',' or '['; a bare number takes
# the exact path. The patterns over-match (a ":1.5" inside a string, say): that only costs the
# slow path, never a wrong byte.
_FLOAT_OR_BIG_INT = re.compile(r"[:,\[]-?\d(?:\d*[.eE]|\d{15})")
_NUMBER_START = frozenset("-0123456789")
_HIGH_CHARACTER = re.compile("[\ue000-\U0010ffff]")


_COMPACT_SORTED = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def canonical_text(value: Any) -> str:
    """RFC 8785 (JSON Canonicalization Scheme) text of ``value``."""
    text = _COMPACT_SORTED.encode(value)
    if (
        text[:1] not in _NUMBER_START
        and _FLOAT_OR_BIG_INT.search(text) is None
        and (text.isascii() or _HIGH_CHARACTER.search(text) is None)
    ):
        return text
    return rfc8785.dumps(value).decode("utf-8")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of ``value``."""
    return canonical_text(value).encode("utf-8")


@functools.lru_cache(maxsize=64)
def format_instant(instant: datetime) -> str:
    """A UTC instant as ISO 8601 with microseconds and ``Z``: one spelling, so hashes are stable.

    Cached: every event of an append shares one recorded_at, and each is formatted for the hash,
    the row and the answer.
    """
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    position: int,
    event_id: uuid.UUID,
    stream: str,
    version: int,
    type: str,
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
    recorded_at: datetime,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of the whole envelope, including the previous hash."""
    return envelope_hash(
        position=position,
        event_id=event_id,
        stream=stream,
        version=version,
        type=type,
        data_text=canonical_text(data),
        metadata_text=canonical_text(metadata),
        recorded_at=recorded_at,
        prev_hash=prev_hash,
    )


def envelope_hash(
    *,
    position: int,
    event_id: uuid.UUID,
    stream: str,
    version: int,
    type: str,
    data_text: str,
    metadata_text: str,
    recorded_at: datetime,
    prev_hash: str,
) -> str:
    """``event_hash`` from data and metadata already in canonical text.

    The envelope is written out in RFC 8785 key order (data, event_id, metadata, position,
    prev_hash, recorded_at, stream, type, version) so the canonical data text, needed anyway for
    storage, is not encoded twice. A test checks it against the RFC 8785 library byte for byte.
    """
    text = (
        f'{{"data":{data_text},"event_id":"{event_id}","metadata":{metadata_text},'
        f'"position":{position},"prev_hash":{_string(prev_hash)},'
        f'"recorded_at":"{format_instant(recorded_at)}","stream":{_string(stream)},'
        f'"type":{_string(type)},"version":{version}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _string(value: str) -> str:
    """A JSON string: for strings (keys aside), Python's escaping is RFC 8785's. The encoder
    ``json.dumps(value, ensure_ascii=False)`` uses, without building a JSONEncoder per call."""
    return _encode_string(value)


_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


def expected_hash(event: RecordedEvent) -> str:
    """The hash ``event`` must carry, recomputed from its stored fields."""
    return event_hash(
        position=event.position,
        event_id=event.event_id,
        stream=event.stream,
        version=event.version,
        type=event.type,
        data=event.data,
        metadata=event.metadata,
        recorded_at=event.recorded_at,
        prev_hash=event.prev_hash,
    )
