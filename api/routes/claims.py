"""Claims: their state and stances now or at any earlier point, and their history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.deps import KEY, AtDep, QueriesDep, ReadAccess, StoreDep, etag
from api.exports import EXPORT_OFFERS, FORMAT_OF, JSON, export, negotiated
from api.problems import responses
from api.views import ClaimHistory, ClaimList, ClaimView
from ledger.domain.events import claim_stream
from ledger.formats import claim_scope, ledger_scope

router = APIRouter(prefix="/v1/claims", tags=["claims"], dependencies=[ReadAccess])
ClaimKey = Annotated[str, Path(pattern=KEY, examples=["musk-putin-regular-contact-since-2022"])]


@router.get("", response_model=ClaimList, responses=responses(406, 422))
def list_claims(request: Request, queries: QueriesDep, at: AtDep) -> Any:
    """Every claim with its state and each actor's stance (as_of: said-time, known_at: recorded).

    By ``Accept``, the whole ledger's current export instead (schema.org, Web Annotation, PROV).
    """
    chosen = negotiated(request, EXPORT_OFFERS)
    if chosen != JSON:
        return export(request, queries, ledger_scope(), FORMAT_OF[chosen])
    return {"point_in_time": at.to_json(), "claims": queries.claims(at)}


@router.get("/{key}", response_model=ClaimView, responses=responses(404, 406, 422))
def read_claim(
    key: ClaimKey,
    request: Request,
    queries: QueriesDep,
    store: StoreDep,
    at: AtDep,
    response: Response,
) -> Any:
    """One claim's state, stances, conduits and quotes; ETag is its stream version (current view).

    By ``Accept``, its current export instead (schema.org, Web Annotation, PROV).
    """
    chosen = negotiated(request, EXPORT_OFFERS)
    view = queries.claim(key, at)
    if chosen != JSON:
        return export(request, queries, claim_scope(key), FORMAT_OF[chosen])
    if at.is_now:
        response.headers["ETag"] = etag(store.stream_version(claim_stream(key)))
    return view


@router.get("/{key}/history", response_model=ClaimHistory, responses=responses(404, 422))
def claim_history(key: ClaimKey, queries: QueriesDep) -> dict[str, Any]:
    """Every statement version on the claim in the order the ledger recorded them."""
    return {"claim": key, "statements": queries.claim_history(key)}
