"""The Lindenau water-price story (docs/examples/lindenau-wasserpreis/): its story file's
entries written over HTTP, one request each, the way a newsroom without the CLI writes them.

The file is parsed by the ledger's own story-file reader; what goes over the wire is ordinary
JSON, and every answer must be 201.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.seeding import SeedStory, corrected_reading, load_story
from tests.support.server import LedgerServer, run_ledger
from tests.support.story_writing import Poster

STORY_FILE = Path(__file__).resolve().parents[2] / "docs/examples/lindenau-wasserpreis/story.yaml"
STORY = "lindenau-wasserpreis"
EIGHTEEN = "wasserpreis-18-prozent"


@dataclass
class Written:
    """The statement ids by the file's keys, and the answers of the corrections."""

    ids: dict[str, str] = field(default_factory=dict)
    amendments: list[Any] = field(default_factory=list)


@contextmanager
def served_from_the_file(folder: Path) -> Iterator[tuple[str, httpx.Client]]:
    """A real server on a fresh database in ``folder`` that ``ledger stories load`` filled
    with the story file; its base URL and a client to it."""
    server = LedgerServer(f"sqlite:///{folder / 'ledger.db'}", folder)
    run_ledger(server.env, "db", "upgrade")
    run_ledger(server.env, "stories", "load", str(STORY_FILE))
    with server, httpx.Client(base_url=server.base, timeout=10) as http:
        yield server.base, http


def story_file() -> SeedStory:
    return load_story(STORY_FILE)


def write_registrations_and_statements(client: Poster, headers: dict[str, str]) -> Written:
    """Everything but the corrections and retractions."""
    story = story_file()
    data = story.data
    written = Written()
    post = _poster(client, headers)
    assert data.story is not None
    post("/v1/stories", data.story.model_dump(exclude_none=True))
    for actor in data.actors:
        post("/v1/actors", actor.model_dump(exclude_none=True))
    for claim in data.claims:
        post("/v1/claims", {**claim.model_dump(exclude_none=True), "story": data.story.key})
    for document in data.documents:
        raw = story.texts[document.id]
        post(
            "/v1/documents",
            {
                "document_id": document.id,
                "publisher": document.publisher,
                "language": document.language,
                "dated": str(document.dated),
                "sha256": hashlib.sha256(raw).hexdigest(),
                "text": raw.decode("utf-8"),
            },
        )
    for entry in data.statements:
        body = entry.statement().model_dump(mode="json", exclude_none=True)
        written.ids[entry.key] = post("/v1/statements", body).json()["event_id"]
    return written


def write_amendments(client: Poster, headers: dict[str, str], written: Written) -> None:
    """The file's corrections, then its retractions, each one POST naming the statement's id."""
    story = story_file()
    post = _poster(client, headers)
    for correction in story.data.corrections:
        reading = corrected_reading(story, correction, correction.key)
        body = {
            "reason": correction.reason,
            "basis": correction.basis.value,
            "statement": reading.statement().model_dump(mode="json", exclude_none=True),
        }
        if correction.corrected_at is not None:
            body["corrected_at"] = correction.corrected_at.isoformat()
        url = f"/v1/statements/{written.ids[correction.corrects]}/corrections"
        written.amendments.append(post(url, body))
    for retraction in story.data.retractions:
        body = {"reason": retraction.reason, "basis": retraction.basis.value}
        url = f"/v1/statements/{written.ids[retraction.retracts]}/retractions"
        written.amendments.append(post(url, body))


def _poster(client: Poster, headers: dict[str, str]) -> Any:
    def post(url: str, body: dict[str, Any]) -> Any:
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == 201, f"{url}: {answer.status_code} {answer.text}"
        return answer

    return post
