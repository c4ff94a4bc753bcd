"""Registering what statements refer to: stories, actors, claims and documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Response

from api.body import ParsedBodyRoute
from api.deps import LedgerDep, LogDep, WriteOptionsDep
from api.problems import responses
from api.responses import written_json
from api.schemas import ActorBody, ClaimBody, DocumentBody, StoryBody
from api.views import WrittenEvent
from ledger.domain.model import Actor, Claim, Story
from ledger.service import Ledger
from ledger.store import RecordedEvent

router = APIRouter(prefix="/v1", tags=["registry"], route_class=ParsedBodyRoute)
REGISTER_PROBLEMS = responses(400, 401, 403, 409, 413, 415, 422, 503)
Registration = TypeVar("Registration", Actor, Claim, DocumentBody, Story)


def registration_route(
    name: str,
    path: str,
    body_type: type[Registration],
    write: Callable[[Ledger, Registration, Any], RecordedEvent],
    location: Callable[[Registration], str],
    doc: str,
) -> None:
    """Add ``POST path``: write one registration; a retry with its Idempotency-Key returns the
    stored event."""

    def register(
        body: Any,  # the body's type is set below: annotations here are strings
        response: Response,
        ledger: LedgerDep,
        log: LogDep,
        options: WriteOptionsDep,
    ) -> Response:
        event = write(ledger, body, options)
        response.headers["Location"] = location(body)
        response.headers["X-Ledger-Position"] = str(event.position)  # for ?min_position= reads
        return written_json(event, log, response)

    register.__annotations__["body"] = body_type
    register.__doc__ = doc
    register.__name__ = register.__qualname__ = name  # the operation id names it
    router.post(path, status_code=201, response_model=WrittenEvent, responses=REGISTER_PROBLEMS)(
        register
    )


registration_route(
    "register_actor",
    "/actors",
    ActorBody,
    lambda ledger, body, options: ledger.register_actor(body, options=options),
    lambda body: f"/v1/actors/{body.key}",
    "Register an actor (409 if its key is taken).",
)
registration_route(
    "register_claim",
    "/claims",
    ClaimBody,
    lambda ledger, body, options: ledger.register_claim(body, options=options),
    lambda body: f"/v1/claims/{body.key}",
    "Register a claim, stated neutrally in one language or more (``propositions``), in the\n"
    "    story it names if any (409 if its key is taken).",
)
registration_route(
    "register_document",
    "/documents",
    DocumentBody,
    lambda ledger, body, options: ledger.register_document(body.document(), options=options),
    lambda body: f"/v1/documents/{body.document_id}",
    "Register a source (409 if its id is taken): a plain ``text`` with the SHA-256 of its\n"
    "    UTF-8 bytes, or an ``html`` page or a ``pdf`` (base64), whose article text, title,\n"
    "    author and publication time the ledger extracts (trafilatura, pdfminer.six), keeping\n"
    "    the original (GET /v1/documents/{id}/original) and the extractor's name and version.",
)
registration_route(
    "register_story",
    "/stories",
    StoryBody,
    lambda ledger, body, options: ledger.register_story(body, options=options),
    lambda body: f"/v1/stories/{body.key}",
    "Register a story: a key, a title and a description (409 if its key is taken). Claims\n"
    "    join it by naming it (``story`` on POST /v1/claims).",
)
