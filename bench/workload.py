"""Realistic events: statements shaped like the seed data, 100 per claim stream."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from ledger.domain.events import ActorRegistered, ClaimRegistered, DocumentRegistered
from ledger.domain.model import (
    SaidAt,
    SourceAnchor,
    Statement,
    TextPositionSelector,
    TextQuoteSelector,
)
from ledger.service import Ledger
from ledger.store import NewEvent

EVENTS_PER_STREAM = 100
WORDS = (
    "Kreml-Sprecher Dmitri Peskow stellte klar dass es nur eine Kommunikation zwischen Musk und Putin "
    "gegeben habe Das Wall Street Journal berichtet von regelmäßigem Austausch seit Ende 2022 Musk "
    "äußerte sich nach Veröffentlichung des Artikels zunächst nicht Starlink Taiwan Xi Jinping"
).split()
ACTORS = ("outlet", "wsj", "peskov", "musk", "dan-tri")
STANCES = ("asserts", "denies", "declines_to_comment", "questions")


def document_text(seed: int = 7, words: int = 4000) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


TEXT = document_text()
DOCUMENT = DocumentRegistered(
    document_id="bench.txt",
    publisher="outlet",
    language="de",
    dated=None,
    sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
    text=TEXT,
)


def claim_key(n: int) -> str:
    return f"bench-claim-{n:06d}"


def statement(n: int, rng: random.Random) -> Statement:
    """The n-th statement: a quote of 150-350 characters, so its JSON is 400-700 bytes."""
    start = rng.randrange(0, len(TEXT) - 400)
    end = start + rng.randrange(150, 350)
    actor = ACTORS[1 + n % (len(ACTORS) - 1)]
    return Statement(
        claim=claim_key(n // EVENTS_PER_STREAM),
        actor=actor,
        stance=STANCES[n % len(STANCES)],
        conduit=["outlet", actor],
        said_at=SaidAt(precision="day", value=f"2024-10-{24 + n % 3}"),
        source=SourceAnchor(
            document="bench.txt",
            quote=TextQuoteSelector(
                exact=TEXT[start:end], prefix=TEXT[start - 32 : start], suffix=TEXT[end : end + 32]
            ),
            position=TextPositionSelector(start=start, end=end),
        ),
    )


@dataclass(frozen=True)
class StoreEvent:
    """One statement-shaped event for the bare store, and its stream."""

    stream: str
    event: NewEvent


def store_events(end: int, start: int = 0, seed: int = 1) -> Iterator[StoreEvent]:
    """Events ``start`` to ``end``; each depends only on its number, so any range streams."""
    for n in range(start, end):
        rng = random.Random(seed * 1_000_003 + n)
        body = statement(n, rng).model_dump(mode="json")
        event = NewEvent(
            type="StatementRecorded",
            data=body,
            metadata={"source": "bench"},
            event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        yield StoreEvent(f"claim:{body['claim']}", event)


def register_world(ledger: Ledger, claims: range, *, with_actors: bool = True) -> None:
    """The actors, the one document, and the claims the bench statements need."""
    if with_actors:
        for key in ACTORS:
            ledger.register_actor(ActorRegistered(key=key, name=key, kind="outlet"))
        ledger.register_document(DOCUMENT)
    for n in claims:
        ledger.register_claim(
            ClaimRegistered(
                key=claim_key(n), proposition_en=f"claim {n}", proposition_de=f"Behauptung {n}"
            )
        )
