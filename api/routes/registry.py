"""Registering what statements refer to: stories, actors, claims and documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from api.deps import IdempotencyKeyDep, LedgerDep, LogDep, Writer
from api.problems import responses
from api.receipts import with_receipt
from api.views import WrittenEvent
from ledger.audit.log import TransparencyLog
from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    StoryRegistered,
)
from ledger.service import event_id_for
from ledger.store import RecordedEvent

router = APIRouter(prefix="/v1", tags=["registry"])
REGISTER_PROBLEMS = responses(400, 401, 403, 409, 413, 415, 422, 503)


def register(
    write: Callable[..., RecordedEvent],
    payload: Any,
    location: str,
    response: Response,
    writer: Writer,
    key: str | None,
    log: TransparencyLog,
) -> dict[str, Any]:
    """Write one registration; a retry with its Idempotency-Key returns the stored event."""
    event = write(
        payload, event_id=event_id_for(key, None), metadata={"via": "http", "token": writer.name}
    )
    response.headers["Location"] = location
    response.headers["X-Ledger-Position"] = str(event.position)  # for ?min_position= reads
    return with_receipt(event, log)


@router.post("/actors", status_code=201, response_model=WrittenEvent, responses=REGISTER_PROBLEMS)
def register_actor(
    body: ActorRegistered,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    writer: Writer,
    idempotency_key: IdempotencyKeyDep,
) -> dict[str, Any]:
    """Register an actor (409 if its key is taken)."""
    location = f"/v1/actors/{body.key}"
    return register(
        ledger.register_actor, body, location, response, writer, idempotency_key, log
    )


@router.post("/claims", status_code=201, response_model=WrittenEvent, responses=REGISTER_PROBLEMS)
def register_claim(
    body: ClaimRegistered,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    writer: Writer,
    idempotency_key: IdempotencyKeyDep,
) -> dict[str, Any]:
    """Register a claim, stated neutrally in one language or more (``propositions``), in the
    story it names if any (409 if its key is taken)."""
    location = f"/v1/claims/{body.key}"
    return register(
        ledger.register_claim, body, location, response, writer, idempotency_key, log
    )


@router.post(
    "/documents", status_code=201, response_model=WrittenEvent, responses=REGISTER_PROBLEMS
)
def register_document(
    body: DocumentRegistered,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    writer: Writer,
    idempotency_key: IdempotencyKeyDep,
) -> dict[str, Any]:
    """Register a source text with the SHA-256 of its UTF-8 bytes (409 if its id is taken)."""
    location = f"/v1/documents/{body.document_id}"
    return register(
        ledger.register_document, body, location, response, writer, idempotency_key, log
    )


@router.post("/stories", status_code=201, response_model=WrittenEvent, responses=REGISTER_PROBLEMS)
def register_story(
    body: StoryRegistered,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    writer: Writer,
    idempotency_key: IdempotencyKeyDep,
) -> dict[str, Any]:
    """Register a story: a key, a title and a description (409 if its key is taken). Claims
    join it by naming it (``story`` on POST /v1/claims)."""
    location = f"/v1/stories/{body.key}"
    return register(
        ledger.register_story, body, location, response, writer, idempotency_key, log
    )
