"""What the write path asks of the registry, a cache of its registrations, and a memory one.

Registrations (documents, actors, claims, stories) are never changed or removed, so a check
that found one registered may keep that answer for good: ``CachedRegistry`` answers from
``Registrations`` first and reads the database only on a miss (once: a positive answer is kept).
What depends on a stream's state (a statement's standing version, a claim's story) is never
cached; it is read as the caller's connection sees it.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ledger.domain.validation import DocumentFacts


@dataclass(frozen=True, slots=True)
class StatementFacts:
    """What a retraction or correction needs of a statement's newest version."""

    statement_id: uuid.UUID
    claim: str
    ended_by: str | None


class Registry(Protocol):
    """The registered documents, actors, claims and stories, and the statements' versions."""

    def document(self, document_id: str) -> DocumentFacts | None: ...

    def has_actor(self, key: str) -> bool: ...

    def has_claim(self, key: str) -> bool: ...

    def has_story(self, key: str) -> bool: ...

    def story_of(self, claim: str) -> str | None: ...

    def latest_version(self, statement_id: uuid.UUID) -> StatementFacts | None: ...

    def said_start(self, root: uuid.UUID) -> datetime | None: ...


DOCUMENTS_KEPT = 256  # their texts can be long: the most recently read are kept


class Registrations:
    """The registrations this process has seen, shared by every check (thread-safe)."""

    def __init__(self, documents_kept: int = DOCUMENTS_KEPT) -> None:
        self._keys: dict[str, set[str]] = {"actor": set(), "claim": set(), "story": set()}
        self._documents: OrderedDict[str, DocumentFacts] = OrderedDict()
        self._documents_kept = documents_kept
        self._lock = threading.Lock()

    def has(self, kind: str, key: str) -> bool:
        return key in self._keys[kind]

    def add(self, kind: str, key: str) -> None:
        with self._lock:
            self._keys[kind].add(key)

    def document(self, document_id: str) -> DocumentFacts | None:
        return self._documents.get(document_id)

    def add_document(self, facts: DocumentFacts) -> None:
        """Keep ``facts``; beyond ``documents_kept``, the document kept longest is let go."""
        with self._lock:
            self._documents[facts.document_id] = facts
            self._documents.move_to_end(facts.document_id)
            while len(self._documents) > self._documents_kept:
                self._documents.popitem(last=False)


class CachedRegistry:
    """A ``Registry`` answering registrations from ``known`` and the rest from ``source``.

    ``source`` is called at most once, on the first question the cache cannot answer (so a
    check answered from memory opens no connection at all).
    """

    def __init__(self, known: Registrations, source: Callable[[], Registry]) -> None:
        self.known = known
        self._open = source
        self._source: Registry | None = None

    @property
    def source(self) -> Registry:
        if self._source is None:
            self._source = self._open()
        return self._source

    def document(self, document_id: str) -> DocumentFacts | None:
        facts = self.known.document(document_id)
        if facts is None:
            facts = self.source.document(document_id)
            if facts is not None:
                self.known.add_document(facts)
        return facts

    def _has(self, kind: str, key: str, read: Callable[[str], bool]) -> bool:
        if self.known.has(kind, key):
            return True
        found = read(key)
        if found:
            self.known.add(kind, key)
        return found

    def has_actor(self, key: str) -> bool:
        return self._has("actor", key, lambda k: self.source.has_actor(k))

    def has_claim(self, key: str) -> bool:
        return self._has("claim", key, lambda k: self.source.has_claim(k))

    def has_story(self, key: str) -> bool:
        return self._has("story", key, lambda k: self.source.has_story(k))

    def story_of(self, claim: str) -> str | None:
        """Never cached: a story registered later may list the claim."""
        return self.source.story_of(claim)

    def latest_version(self, statement_id: uuid.UUID) -> StatementFacts | None:
        """Never cached: a correction or retraction makes another version the newest."""
        return self.source.latest_version(statement_id)

    def said_start(self, root: uuid.UUID) -> datetime | None:
        return self.source.said_start(root)


@dataclass
class MemoryRegistry:
    """A ``Registry`` held in dictionaries: the fake the service's unit tests write through."""

    documents: dict[str, DocumentFacts] = field(default_factory=dict)
    actors: set[str] = field(default_factory=set)
    claims: dict[str, str | None] = field(default_factory=dict)  # claim -> its story
    stories: set[str] = field(default_factory=set)
    versions: dict[uuid.UUID, StatementFacts] = field(default_factory=dict)  # any id -> newest
    said: dict[uuid.UUID, datetime] = field(default_factory=dict)

    def document(self, document_id: str) -> DocumentFacts | None:
        return self.documents.get(document_id)

    def has_actor(self, key: str) -> bool:
        return key in self.actors

    def has_claim(self, key: str) -> bool:
        return key in self.claims

    def has_story(self, key: str) -> bool:
        return key in self.stories

    def story_of(self, claim: str) -> str | None:
        """The story the claim names, or the story that listed it since."""
        return self.claims.get(claim)

    def latest_version(self, statement_id: uuid.UUID) -> StatementFacts | None:
        """By the statement's root id or any of its versions' ids: its newest version."""
        return self.versions.get(statement_id)

    def said_start(self, root: uuid.UUID) -> datetime | None:
        """Only a said time the statement's reading gives itself (not its document's date)."""
        return self.said.get(root)
