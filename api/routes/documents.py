"""Documents: the source texts, their hashes, the quote anchors into them, and anchoring."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.body import ParsedBodyRoute
from api.deps import DocumentIdPath, PagingDep, QueriesDep, ReadAccess
from api.exports import EXPORT_OFFERS, FORMAT_OF, JSON, export, negotiated
from api.problems import responses
from api.responses import trusted_json
from api.schemas import AnchorRequest
from api.views import AnchorAnswer, DocumentList, DocumentView, DraftList
from ledger.formats import document_scope
from ledger.sources import PDF

router = APIRouter(
    prefix="/v1/documents",
    tags=["documents"],
    dependencies=[ReadAccess],
    route_class=ParsedBodyRoute,
)


@router.get("", response_model=DocumentList, responses=responses(400, 422))
def list_documents(queries: QueriesDep, paging: PagingDep) -> Response:
    """A page of registered documents (without their text) in registration order."""
    return paging.answer("documents", queries.documents(paging.page))


@router.get("/{document_id}", response_model=DocumentView, responses=responses(400, 404, 406, 422))
def read_document(
    document_id: DocumentIdPath, request: Request, response: Response, queries: QueriesDep
) -> Any:
    """A document's text, its SHA-256, and every quote anchor into it.

    By ``Accept``, its export instead (schema.org, Web Annotation collection, PROV).
    """
    chosen = negotiated(request, EXPORT_OFFERS)
    view = queries.document(document_id)
    if chosen != JSON:
        return export(request, queries, document_scope(document_id), FORMAT_OF[chosen])
    return trusted_json(view, response)


@router.post(
    "/{document_id}/anchors",
    response_model=AnchorAnswer,
    responses=responses(400, 404, 413, 415, 422),
)
def find_anchors(
    document_id: DocumentIdPath, body: AnchorRequest, queries: QueriesDep, response: Response
) -> Response:
    """The occurrences of the exact text in the document, as a TextQuoteSelector (prefix and
    suffix of up to ``context`` code points) and a TextPositionSelector in code points: at most
    ``limit`` (100) an answer, ``after`` pages on, ``total`` counts them (up to 10,000;
    fewer for long quotes: ``total_complete`` says when there are more).
    Writes nothing: a statement may give ``quote.exact`` alone and the ledger anchors it."""
    found = queries.anchors(document_id, body.exact, after=body.after, limit=body.limit)
    return trusted_json(found, response)


ORIGINAL_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'"}
"""A writer's page served from the ledger's origin runs nothing there: no script, no form, no
request, its origin opaque (the page's token stays out of its reach); its bytes stay as given.
A PDF is shown by the browser's own viewer, which runs apart from the origin."""


@router.get(
    "/{document_id}/original",
    response_class=Response,
    responses={
        **responses(400, 404),
        200: {
            "description": "The original's bytes, with their media type.",
            "content": {"text/html": {}, "application/pdf": {}, "text/plain": {}},
        },
    },
)
def read_original(document_id: DocumentIdPath, queries: QueriesDep) -> Response:
    """The bytes the document's text was extracted from (the HTML page or the PDF), served
    with their media type, so anyone can run the extraction again and compare; a document
    registered as plain text answers its text."""
    media_type, content = queries.original(document_id)
    headers = {} if media_type == PDF else ORIGINAL_HEADERS  # PDF viewers refuse a sandbox
    return Response(content=content, media_type=media_type, headers=headers)


@router.get("/{document_id}/drafts", response_model=DraftList, responses=responses(400, 404))
def read_drafts(document_id: DocumentIdPath, queries: QueriesDep, response: Response) -> Response:
    """The statements the text appears to make, proposed for a person to confirm: each with
    the registered actor its speaker matches (or null), the words naming the speaker, a
    proposed stance, the quote's W3C selectors in code points, the cue that made it a
    statement, whom it relays, and a confidence. Rule-based, offline and deterministic; writes
    nothing (record one through POST /v1/statements with the claim you choose)."""
    drafts = queries.drafts(document_id)
    return trusted_json({"drafts": [draft.to_json() for draft in drafts]}, response)
