"""What the store reads and writes: new events in, recorded envelopes out, chained by hash."""

from __future__ import annotations

import hashlib
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
    """An event to append; ``event_id`` is generated unless the client supplies one."""

    type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


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


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of ``value``."""
    return rfc8785.dumps(value)


def format_instant(instant: datetime) -> str:
    """A UTC instant as ISO 8601 with microseconds and ``Z``: one spelling, so hashes are stable."""
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
    envelope = {
        "position": position,
        "event_id": str(event_id),
        "stream": stream,
        "version": version,
        "type": type,
        "data": data,
        "metadata": metadata,
        "recorded_at": format_instant(recorded_at),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(envelope)).hexdigest()


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
