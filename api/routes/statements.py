"""Statements: record, read, retract, correct."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.body import ParsedBodyRoute
from api.deps import (
    DOCUMENT_ID,
    KEY,
    GuardedWriteDep,
    LedgerDep,
    LogDep,
    PageDep,
    QueriesDep,
    ReadAccess,
    link_next,
)
from api.exports import JSON, STATEMENT_OFFERS, negotiated, statement_annotation
from api.problems import responses
from api.responses import trusted_json
from api.schemas import CorrectionIn, RetractionIn, StatementIn
from api.receipts import with_receipt
from api.views import StatementList, StatementView, WrittenEvent
from ledger.audit.log import TransparencyLog
from ledger.domain.model import Stance
from ledger.projections.queries import StatementFilter
from ledger.store import RecordedEvent

router = APIRouter(prefix="/v1/statements", tags=["statements"], route_class=ParsedBodyRoute)
WRITE_PROBLEMS = responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 503)


def written(
    response: Response, event: RecordedEvent, statement_id: object, log: TransparencyLog
) -> dict[str, Any]:
    """The stored envelope and its receipt, with ``Location`` naming the statement."""
    response.headers["Location"] = f"/v1/statements/{statement_id}"
    response.headers["X-Ledger-Position"] = str(event.position)  # for ?min_position= reads
    return with_receipt(event, log)


@router.post(
    "",
    status_code=201,
    response_model=WrittenEvent,
    responses=WRITE_PROBLEMS,
    response_description="The stored event (also for a retry of an Idempotency-Key)",
)
def record_statement(
    body: StatementIn,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    options: GuardedWriteDep,
) -> dict[str, Any]:
    """Record one statement on its claim; If-Match guards the claim's version.

    ``source.quote.exact`` alone is enough: the ledger finds it in the document (``occurrence``
    picks one when it occurs more than once) and stores the full anchor."""
    event = ledger.record_statement(
        body.statement(),
        options=replace(options, event_id=body.event_id),
    )
    return written(response, event, event.event_id, log)


@router.get(
    "",
    response_model=StatementList,
    responses=responses(400, 422),
    dependencies=[ReadAccess],
)
def list_statements(
    request: Request,
    response: Response,
    queries: QueriesDep,
    page: PageDep,
    actor: Annotated[str | None, Query(pattern=KEY, description="Only this speaker's.")] = None,
    document: Annotated[
        str | None, Query(pattern=DOCUMENT_ID, description="Only those read in this document.")
    ] = None,
    claim: Annotated[
        str | None, Query(pattern=KEY, description="Only those on this claim.")
    ] = None,
    stance: Annotated[Stance | None, Query(description="Only those taking this stance.")] = None,
    story: Annotated[str | None, Query(pattern=KEY, description="Only this story's.")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Quotes holding every word.")
    ] = None,
) -> Response:
    """A page of statements, each as its latest version (standing, retracted or withdrawn),
    in the order the ledger recorded those versions."""
    where = StatementFilter(actor=actor, document=document, claim=claim, stance=stance, story=story)
    found = queries.statements(where, page, q)
    next_cursor = link_next(request, response, found)
    return trusted_json({"statements": found.items, "next": next_cursor}, response)


@router.get(
    "/{statement_id}",
    response_model=StatementView,
    responses=responses(400, 404, 406, 422),
    dependencies=[ReadAccess],
)
def read_statement(
    statement_id: uuid.UUID, request: Request, response: Response, queries: QueriesDep
) -> Any:
    """One statement by its id or a version's id, with every version.

    By ``Accept``, its current version as a W3C Web Annotation instead.
    """
    chosen = negotiated(request, STATEMENT_OFFERS)
    view = queries.statement(statement_id)
    if chosen != JSON:
        return statement_annotation(request, queries, view, None)
    return trusted_json(view, response)


@router.post(
    "/{statement_id}/retractions",
    status_code=201,
    response_model=WrittenEvent,
    responses=WRITE_PROBLEMS,
)
def retract_statement(
    statement_id: uuid.UUID,
    body: RetractionIn,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    options: GuardedWriteDep,
) -> dict[str, Any]:
    """Stop counting a statement from now on; it stays in the log. ``source_changed``: the
    source withdrew it, at ``withdrawn_at`` (default now); on the said axis it stood until then."""
    event = ledger.retract_statement(
        statement_id,
        reason=body.reason,
        basis=body.basis,
        withdrawn_at=body.withdrawal_time(),
        options=replace(options, event_id=body.event_id),
    )
    return written(response, event, event.data["statement_id"], log)


@router.post(
    "/{statement_id}/corrections",
    status_code=201,
    response_model=WrittenEvent,
    responses=WRITE_PROBLEMS,
)
def correct_statement(
    statement_id: uuid.UUID,
    body: CorrectionIn,
    response: Response,
    ledger: LedgerDep,
    log: LogDep,
    options: GuardedWriteDep,
) -> dict[str, Any]:
    """Replace a statement's reading; the original stays in the log. ``source_changed``: the
    source published the changed text at ``corrected_at`` (default now); on the said axis the
    old reading stands until then. ``ledger_error``: the new reading replaces it from the start."""
    event = ledger.correct_statement(
        statement_id,
        body.statement,
        reason=body.reason,
        basis=body.basis,
        corrected_at=body.correction_time(),
        options=replace(options, event_id=body.event_id),
    )
    return written(response, event, event.data["statement_id"], log)
