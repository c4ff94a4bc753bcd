"""Claims: their state and stances now or at any earlier point, and their history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import AtDep, ClaimKey, PagingDep, QueriesDep, ReadAccess, etag, key_filter
from api.exports import EXPORT_OFFERS, FORMAT_OF, JSON, export, negotiated
from api.language import Preferences, localized, localized_all, say_language
from api.problems import responses
from api.responses import trusted_json
from api.views import ClaimList
from ledger.projections.views import ClaimHistory, ClaimView
from ledger.formats import claim_scope, ledger_scope
from ledger.projections.queries import ClaimFilter

router = APIRouter(prefix="/v1/claims", tags=["claims"], dependencies=[ReadAccess])
ClaimState = Literal[
    "asserted", "denied", "contested", "unanswered", "questioned", "reported", "unstated"
]
SEARCH_TEXT = Query(min_length=1, max_length=200, description="Full-text search: every word.")


@router.get("", response_model=ClaimList, responses=responses(400, 406, 422))
def list_claims(
    queries: QueriesDep,
    at: AtDep,
    paging: PagingDep,
    story: Annotated[str | None, key_filter("Only this story's claims.")] = None,
    actor: Annotated[str | None, key_filter("Only claims this actor made statements on.")] = None,
    state: Annotated[ClaimState | None, Query(description="Only claims in this state.")] = None,
    q: Annotated[str | None, SEARCH_TEXT] = None,
    languages: Preferences = [],  # noqa: B006 (a dependency: Accept-Language)
) -> Any:
    """A page of claims by key with state and stances (as_of: said-time, known_at: recorded);
    ``q`` finds claims whose propositions or quotes hold every word.

    By ``Accept``, the whole ledger's current export instead (schema.org, Web Annotation, PROV).
    """
    chosen = negotiated(paging.request, EXPORT_OFFERS)
    if chosen != JSON:
        return export(paging.request, queries, ledger_scope(), FORMAT_OF[chosen])
    found = queries.claims(at, ClaimFilter(story=story, actor=actor, state=state), paging.page, q)
    claims = localized_all(found.items, languages)
    say_language(paging.response, claims)
    return paging.answer("claims", found, claims, point_in_time=at.to_json())


@router.get("/{key}", response_model=ClaimView, responses=responses(400, 404, 406, 422))
def read_claim(
    key: ClaimKey,
    request: Request,
    queries: QueriesDep,
    at: AtDep,
    response: Response,
    languages: Preferences = [],  # noqa: B006 (a dependency: Accept-Language)
) -> Any:
    """One claim's state, stances, conduits and quotes; ETag is its stream version (current view).

    By ``Accept``, its current export instead (schema.org, Web Annotation, PROV).
    """
    chosen = negotiated(request, EXPORT_OFFERS)
    if not at.is_now:
        view = queries.claim(key, at)
    else:
        view, version = queries.claim_and_version(key)
        response.headers["ETag"] = etag(version)
    if chosen != JSON:
        return export(request, queries, claim_scope(key), FORMAT_OF[chosen])
    view = localized(view, languages)
    say_language(response, [view])
    return trusted_json(view, response)


@router.get("/{key}/history", response_model=ClaimHistory, responses=responses(400, 404, 422))
def claim_history(key: ClaimKey, queries: QueriesDep, response: Response) -> Response:
    """Every statement version on the claim in the order the ledger recorded them."""
    return trusted_json({"claim": key, "statements": queries.claim_history(key)}, response)
