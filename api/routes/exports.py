"""The standard formats by explicit URL: Web Annotation, schema.org, PROV (Turtle, JSON-LD).

``/v1/claims/{key}/export/{format}``, ``/v1/documents/{id}/export/{format}``,
``/v1/stories/{key}/export/{format}`` (one story alone) and ``/v1/export/{format}`` (the whole
ledger) serve each format;
``/v1/statements/{id}/annotation`` one statement version. The resources' own URLs offer the
same documents by ``Accept`` (see api/exports.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import ClaimKey, DocumentIdPath, QueriesDep, ReadAccess, StoryKey
from api.exports import Format, export, statement_annotation
from api.problems import responses
from ledger.formats import claim_scope, document_scope, ledger_scope, story_scope
from ledger.formats import Scope as ExportScope
from ledger.service import LedgerQueries

router = APIRouter(tags=["exports"], dependencies=[ReadAccess])
PROBLEMS = responses(404, 406, 422)
Page = Annotated[
    int | None,
    Query(ge=0, le=10**6, description="An AnnotationPage of the collection (annotations only)."),
]
FORMAT_DOC = {
    "description": "The export in the format named by the URL",
    "content": {
        "application/ld+json": {"schema": {"type": "object", "additionalProperties": True}},
        "text/turtle": {"schema": {"type": "string"}},
    },
}
# Every export route answers in its format, not JSON, and documents the same problems.
EXPORTED: dict[str, Any] = {"response_class": Response, "responses": {200: FORMAT_DOC, **PROBLEMS}}


@router.get("/v1/statements/{statement_id}/annotation", **EXPORTED)
def get_statement_annotation(
    statement_id: uuid.UUID,
    request: Request,
    queries: QueriesDep,
    version: Annotated[
        uuid.UUID | None, Query(description="A version id (default: current).")
    ] = None,
) -> Response:
    """A statement version as a W3C Web Annotation (JSON-LD)."""
    view = queries.statement(statement_id)
    return statement_annotation(request, queries, view, None if version is None else str(version))


class Exporter:
    """What every export by URL takes: the format the URL names, an AnnotationPage if any."""

    def __init__(self, request: Request, queries: LedgerQueries, fmt: Format, page: int | None):
        self.request, self.queries, self.format, self.page = request, queries, fmt, page

    def answer(self, scope: ExportScope) -> Response:
        return export(self.request, self.queries, scope, self.format, self.page)


async def exporter(
    format: Format, request: Request, queries: QueriesDep, page: Page = None
) -> Exporter:
    return Exporter(request, queries, format, page)


ExporterDep = Annotated[Exporter, Depends(exporter)]


@router.get("/v1/claims/{key}/export/{format}", **EXPORTED)
def export_claim(key: ClaimKey, exported: ExporterDep) -> Response:
    """One claim as schema.org, PROV (Turtle or JSON-LD) or an AnnotationCollection."""
    exported.queries.claim(key)  # 404 for an unknown claim
    return exported.answer(claim_scope(key))


@router.get("/v1/documents/{document_id}/export/{format}", **EXPORTED)
def export_document(document_id: DocumentIdPath, exported: ExporterDep) -> Response:
    """Every statement quoted from one document, in one format."""
    exported.queries.document(document_id)  # 404 for an unknown document
    return exported.answer(document_scope(document_id))


@router.get("/v1/stories/{key}/export/{format}", **EXPORTED)
def export_story(key: StoryKey, exported: ExporterDep) -> Response:
    """One story alone (its claims and every statement on them), in one format."""
    story = exported.queries.story(key)  # 404 for an unknown story
    return exported.answer(story_scope(key, [claim.key for claim in story.claims]))


@router.get("/v1/export/{format}", **EXPORTED)
def export_ledger(exported: ExporterDep) -> Response:
    """The whole ledger, every story, in one format."""
    return exported.answer(ledger_scope())
