"""Statements: record, read, retract, correct."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.body import ParsedBodyRoute
from api.deps import (
    DOCUMENT_ID,
    GuardedWriteDep,
    LedgerDep,
    LogDep,
    PagingDep,
    QueriesDep,
    ReadAccess,
    key_filter,
)
from api.exports import JSON, STATEMENT_OFFERS, negotiated, statement_annotation
from api.problems import responses
from api.responses import trusted_json, written_json
from api.schemas import CorrectionIn, RetractionIn, StatementIn
from api.views import StatementList, StatementView, WrittenEvent
from ledger.audit.log import TransparencyLog
from ledger.domain.model import Stance
from ledger.projections.queries import StatementFilter
from ledger.service import Ledger, WriteOptions
from ledger.store import RecordedEvent

router = APIRouter(prefix="/v1/statements", tags=["statements"], route_class=ParsedBodyRoute)
WRITE_PROBLEMS = responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 503)


@dataclass(frozen=True, slots=True)
class StatementWrite:
    """What a write to a statement takes (the ledger, the guarded options) and how it answers."""

    ledger: Ledger
    log: TransparencyLog
    response: Response
    options: WriteOptions

    def with_event_id(self, event_id: uuid.UUID | None) -> WriteOptions:
        """The options with the body's own ``event_id``, if it gave one."""
        return replace(self.options, event_id=event_id)

    def answer(self, event: RecordedEvent, statement_id: object) -> Response:
        """The stored envelope and its receipt, with ``Location`` naming the statement."""
        self.response.headers["Location"] = f"/v1/statements/{statement_id}"
        self.response.headers["X-Ledger-Position"] = str(event.position)  # ?min_position=
        return written_json(event, self.log, self.response)


async def statement_write(
    response: Response, ledger: LedgerDep, log: LogDep, options: GuardedWriteDep
) -> StatementWrite:
    return StatementWrite(ledger, log, response, options)


StatementWriteDep = Annotated[StatementWrite, Depends(statement_write)]
WRITTEN: dict[str, Any] = {
    "status_code": 201,
    "response_model": WrittenEvent,
    "responses": WRITE_PROBLEMS,
}


@router.post(
    "", **WRITTEN, response_description="The stored event (also for a retry of an Idempotency-Key)"
)
def record_statement(body: StatementIn, write: StatementWriteDep) -> Response:
    """Record one statement on its claim; If-Match guards the claim's version.

    ``source.quote.exact`` alone is enough: the ledger finds it in the document (``occurrence``
    picks one when it occurs more than once) and stores the full anchor."""
    event = write.ledger.record_statement(
        body.statement(), options=write.with_event_id(body.event_id)
    )
    return write.answer(event, event.event_id)


@router.get(
    "",
    response_model=StatementList,
    responses=responses(400, 422),
    dependencies=[ReadAccess],
)
def list_statements(
    queries: QueriesDep,
    paging: PagingDep,
    actor: Annotated[str | None, key_filter("Only this speaker's.")] = None,
    document: Annotated[
        str | None, Query(pattern=DOCUMENT_ID, description="Only those read in this document.")
    ] = None,
    claim: Annotated[str | None, key_filter("Only those on this claim.")] = None,
    stance: Annotated[Stance | None, Query(description="Only those taking this stance.")] = None,
    story: Annotated[str | None, key_filter("Only this story's.")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Quotes holding every word.")
    ] = None,
) -> Response:
    """A page of statements, each as its latest version (standing, retracted or withdrawn),
    in the order the ledger recorded those versions."""
    where = StatementFilter(actor=actor, document=document, claim=claim, stance=stance, story=story)
    return paging.answer("statements", queries.statements(where, paging.page, q))


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


@router.post("/{statement_id}/retractions", **WRITTEN)
def retract_statement(
    statement_id: uuid.UUID, body: RetractionIn, write: StatementWriteDep
) -> Response:
    """Stop counting a statement from now on; it stays in the log. ``source_changed``: the
    source withdrew it, at ``withdrawn_at`` (default now); on the said axis it stood until then."""
    event = write.ledger.retract_statement(
        statement_id,
        reason=body.reason,
        basis=body.basis,
        withdrawn_at=body.withdrawal_time(),
        options=write.with_event_id(body.event_id),
    )
    return write.answer(event, event.data["statement_id"])


@router.post("/{statement_id}/corrections", **WRITTEN)
def correct_statement(
    statement_id: uuid.UUID, body: CorrectionIn, write: StatementWriteDep
) -> Response:
    """Replace a statement's reading; the original stays in the log. ``source_changed``: the
    source published the changed text at ``corrected_at`` (default now); on the said axis the
    old reading stands until then. ``ledger_error``: the new reading replaces it from the start."""
    event = write.ledger.correct_statement(
        statement_id,
        body.statement,
        reason=body.reason,
        basis=body.basis,
        corrected_at=body.correction_time(),
        options=write.with_event_id(body.event_id),
    )
    return write.answer(event, event.data["statement_id"])
