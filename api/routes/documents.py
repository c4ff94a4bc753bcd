"""Documents: the source texts, their hashes and the quote anchors into them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.deps import DOCUMENT_ID, QueriesDep, ReadAccess
from api.exports import EXPORT_OFFERS, FORMAT_OF, JSON, export, negotiated
from api.problems import responses
from ledger.formats import document_scope
from api.views import DocumentList, DocumentView

router = APIRouter(prefix="/v1/documents", tags=["documents"], dependencies=[ReadAccess])


@router.get("", response_model=DocumentList)
def list_documents(queries: QueriesDep) -> dict[str, Any]:
    """Every registered document (without its text), with how many statements quote it."""
    return {"documents": queries.documents()}


@router.get("/{document_id}", response_model=DocumentView, responses=responses(404, 406, 422))
def read_document(
    document_id: Annotated[str, Path(pattern=DOCUMENT_ID, examples=["000_439eb0cae6d670e2.txt"])],
    request: Request,
    queries: QueriesDep,
) -> Any:
    """A document's text, its SHA-256, and every quote anchor into it.

    By ``Accept``, its export instead (schema.org, Web Annotation collection, PROV).
    """
    chosen = negotiated(request, EXPORT_OFFERS)
    view = queries.document(document_id)
    if chosen != JSON:
        return export(request, queries, document_scope(document_id), FORMAT_OF[chosen])
    return view
