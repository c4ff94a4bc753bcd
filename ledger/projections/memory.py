"""The projections as a pure in-memory fold: the reference the database tables must equal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    StoryRegistered,
    decode,
)
from ledger.projections.derive import (
    StatementVersion,
    derive_claim,
)
from ledger.projections.fold import Opened, actor_row, document_row
from ledger.projections.snapshot import Snapshot, normalize
from ledger.store import RecordedEvent


class InMemoryProjection:
    """Folds events into plain dictionaries, with the same derivations as the SQL projector."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.actors: dict[str, dict[str, Any]] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        self.stories: dict[str, dict[str, Any]] = {}
        self.versions: dict[uuid.UUID, StatementVersion] = {}
        self.last_position = 0

    def apply_all(self, events: Iterable[RecordedEvent]) -> InMemoryProjection:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: RecordedEvent) -> None:
        payload = decode(event)
        registered = {
            "note": getattr(payload, "note", None),
            "position": event.position,
            "recorded_at": event.recorded_at,
        }
        match payload:
            case DocumentRegistered():
                self.documents[payload.document_id] = document_row(payload, event)
            case ActorRegistered():
                self.actors[payload.key] = actor_row(payload, event)
            case ClaimRegistered():
                self.claims[payload.key] = {**payload.model_dump(exclude={"note"}), **registered}
                self._refresh(payload.key, None)
            case StoryRegistered():
                self.stories[payload.key] = {
                    **payload.model_dump(exclude={"claims"}),
                    "position": event.position,
                    "recorded_at": event.recorded_at,
                }
                for key in payload.claims:
                    self.claims[key]["story"] = payload.key
            case StatementRecorded():
                self._open(event.event_id, event.event_id, event.data, event)
            case StatementRetracted():
                self._end(payload.statement_id, event, "retracted")
            case StatementCorrected():
                self._end(payload.statement_id, event, "corrected")
                self._open(event.event_id, payload.statement_id, event.data["statement"], event)
        self.last_position = event.position

    def _open(
        self, version_id: uuid.UUID, root: uuid.UUID, body: Mapping[str, Any], event: RecordedEvent
    ) -> None:
        opened = Opened(
            version_id, root, body, event.position, event.recorded_at, correction_time(event)
        )
        dated: date | None = self.documents[opened.document]["dated"]
        self.versions[version_id] = opened.version(dated)
        self._refresh(body["claim"], event.position)

    def _end(self, root: uuid.UUID, event: RecordedEvent, ended_by: str) -> None:
        for version_id, version in self.versions.items():
            if version.statement_id == root and version.ended_position is None:
                self.versions[version_id] = replace(
                    version,
                    ended_position=event.position,
                    ended_at=event.recorded_at,
                    ended_by=ended_by,
                    withdrawn_at=withdrawal_time(event),
                )
                self._refresh(version.claim, event.position)

    def _refresh(self, claim: str, position: int | None) -> None:
        standing = [
            v for v in self.versions.values() if v.claim == claim and v.ended_position is None
        ]
        derivation = derive_claim(standing)
        self.claims[claim].update(
            state=derivation.state,
            summary=derivation.summary,
            stances=derivation.stances,
            last_changed_position=position,
        )

    def snapshot(self) -> Snapshot:
        """The same shape ``ledger.projections.snapshot.sql_snapshot`` reads from the tables."""
        return normalize(
            documents=[{k: v for k, v in doc.items()} for doc in self.documents.values()],
            actors=list(self.actors.values()),
            stories=list(self.stories.values()),
            claims=[
                {k: v for k, v in claim.items() if k != "stances"} for claim in self.claims.values()
            ],
            statement_versions=[_version_row(v) for v in self.versions.values()],
            stances=[
                {
                    "claim": key,
                    "actor": actor,
                    "stance": view["stance"],
                    "version_id": view["version_id"],
                    "view": view,
                }
                for key, claim in self.claims.items()
                for actor, view in claim["stances"].items()
            ],
            position=self.last_position,
        )


def _version_row(version: StatementVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in StatementVersion.__slots__}  # type: ignore[attr-defined]


def withdrawal_time(event: Any) -> datetime | None:
    """Until when, on the said axis, the version a retraction or correction ends still stood:
    when its source withdrew or changed the text (None: the ledger's own error).

    Read from the stored data, apart from the fold core's reading of the typed payload, so the
    property test compares two readings of the same events.
    """
    if event.data.get("basis") != "source_changed":
        return None
    if event.type == "StatementRetracted":
        given = event.data.get("withdrawn_at")
        return event.recorded_at if given is None else parse_withdrawn(given)
    return correction_time(event)


def correction_time(event: Any) -> datetime | None:
    """When the source changed the text a correction corrects; None when the correction
    replaces the old reading from the start (``ledger_error``, and every correction stored
    before ``corrected_at`` existed, which keeps reading as it always did)."""
    if event.type != "StatementCorrected" or event.data.get("basis") != "source_changed":
        return None
    given = event.data.get("corrected_at")
    return None if given is None else parse_withdrawn(given)


def parse_withdrawn(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
