"""Stories: the claims a newsroom follows together, with their actors, documents and extent."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import PagingDep, QueriesDep, ReadAccess, StoryKey
from api.language import Preferences, localized_all, say_language
from api.problems import responses
from api.responses import trusted_json
from api.views import StoryList, StoryView

router = APIRouter(prefix="/v1/stories", tags=["stories"], dependencies=[ReadAccess])


@router.get("", response_model=StoryList, responses=responses(400, 422))
def list_stories(queries: QueriesDep, paging: PagingDep) -> Response:
    """A page of stories by key, with how many claims each gathers."""
    return paging.answer("stories", queries.stories(paging.page))


@router.get("/{key}", response_model=StoryView, responses=responses(400, 404, 422))
def read_story(
    key: StoryKey,
    queries: QueriesDep,
    response: Response,
    languages: Preferences = [],  # noqa: B006 (a dependency: Accept-Language)
) -> Response:
    """A story: its claims now, the actors and documents of their statements, and its first and
    last instants on the said and the recorded axis. Propositions as Accept-Language asks."""
    story = queries.story(key)
    claims = localized_all(story.claims, languages)
    say_language(response, claims)
    return trusted_json(story.model_copy(update={"claims": claims}), response)
