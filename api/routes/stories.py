"""Stories: the claims a newsroom follows together, with their actors, documents and extent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.deps import KEY, KnownQuery, PageDep, QueriesDep, ReadAccess, link_next
from api.problems import responses
from api.views import StoryList, StoryView

router = APIRouter(prefix="/v1/stories", tags=["stories"], dependencies=[ReadAccess, KnownQuery])


@router.get("", response_model=StoryList, responses=responses(400, 422))
def list_stories(
    request: Request, response: Response, queries: QueriesDep, page: PageDep
) -> dict[str, Any]:
    """A page of stories by key, with how many claims each gathers."""
    found = queries.stories(page)
    return {"stories": found.items, "next": link_next(request, response, found)}


@router.get("/{key}", response_model=StoryView, responses=responses(400, 404, 422))
def read_story(
    key: Annotated[str, Path(pattern=KEY, examples=["musk-putin-contacts"])], queries: QueriesDep
) -> dict[str, Any]:
    """A story: its claims now, the actors and documents of their statements, and its first and
    last instants on the said and the recorded axis."""
    return queries.story(key)
