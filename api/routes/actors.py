"""Actors: who makes or relays statements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import KEY, QueriesDep, ReadAccess
from api.problems import responses
from api.views import ActorList, ActorView

router = APIRouter(prefix="/v1/actors", tags=["actors"], dependencies=[ReadAccess])


@router.get("", response_model=ActorList)
def list_actors(queries: QueriesDep) -> dict[str, Any]:
    """Every registered actor, with how many statements it made."""
    return {"actors": queries.actors()}


@router.get("/{key}", response_model=ActorView, responses=responses(404, 422))
def read_actor(
    key: Annotated[str, Path(pattern=KEY, examples=["peskov"])], queries: QueriesDep
) -> dict[str, Any]:
    """An actor and everything it said, about which claims."""
    return queries.actor(key)
