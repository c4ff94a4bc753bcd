"""Writing a test story over HTTP as a new user would: the bodies and the requests, once.

The stories (``german_story``, ``second_story``) hold their data; this module builds their
documents' and statements' bodies and posts them, each answer required to be 201.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Poster(Protocol):
    def post(self, url: str, *, json: Any, headers: Any) -> Any: ...


@dataclass
class Written:
    """What writing the story answered, and how many requests it took."""

    requests: int = 0
    statement_ids: list[str] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)


def document_body(
    document_id: str, text: tuple[str, str, str], language: str
) -> dict[str, Any]:
    """A document's registration body from (publisher, dated, text), with the text's hash."""
    publisher, dated, content = text
    return {
        "document_id": document_id,
        "publisher": publisher,
        "language": language,
        "dated": dated,
        "sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(),
        "text": content,
    }


def statement(
    claim: str, actor: str, stance: str, conduit: list[str], day: str, doc: str, exact: str,
    **extra: Any,
) -> dict[str, Any]:
    """A statement said on ``day``, quoted exactly from ``doc``."""
    return {
        "claim": claim,
        "actor": actor,
        "stance": stance,
        "conduit": conduit,
        "said_at": {"precision": "day", "value": day},
        "source": {"document": doc, "quote": {"exact": exact}},
        **extra,
    }


class StoryWriter:
    """Posts one story's registrations and statements; every answer must be 201."""

    def __init__(self, client: Poster, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.written = Written()

    def post(self, url: str, body: Mapping[str, Any]) -> Any:
        answer = self.client.post(url, json=body, headers=self.headers)
        self.written.requests += 1
        self.written.answers.append(answer)
        assert answer.status_code == 201, f"{url}: {answer.status_code} {answer.text}"
        return answer

    def register(
        self,
        story: Mapping[str, Any],
        actors: Iterable[Mapping[str, Any]],
        claims: Iterable[Mapping[str, Any]],
        documents: Iterable[Mapping[str, Any]],
    ) -> None:
        """The story, then its actors, claims and documents."""
        self.post("/v1/stories", story)
        for url, bodies in (("/v1/actors", actors), ("/v1/claims", claims)):
            for body in bodies:
                self.post(url, body)
        for document in documents:
            self.post("/v1/documents", document)

    def record(self, statements: Iterable[Mapping[str, Any]]) -> list[str]:
        """Each statement in turn; their event ids, also kept in ``written``."""
        for body in statements:
            self.written.statement_ids.append(self.post("/v1/statements", body).json()["event_id"])
        return self.written.statement_ids
