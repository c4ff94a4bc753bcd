"""No request body is a domain event: a body carries what a writer asks, the ledger makes the
event (issue 13). The app's own routes are walked, so a route added later is checked too."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from api.app import create_app
from ledger.domain.events import EVENT_TYPES


def body_annotations(dependant: Dependant) -> Iterator[object]:
    """The types of a route's body parameters, its dependencies' included."""
    for field in dependant.body_params:
        yield field.field_info.annotation
    for dependency in dependant.dependencies:
        yield from body_annotations(dependency)


def body_models() -> dict[str, type[BaseModel]]:
    """Every request body model of the app's routes, by "METHOD path"."""
    bodies: dict[str, type[BaseModel]] = {}
    for context in iter_route_contexts(create_app().routes):  # the included routers' too
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        for annotation in body_annotations(route.dependant):
            assert isinstance(annotation, type) and issubclass(annotation, BaseModel), (
                route.path,
                annotation,
            )
            for method in sorted(route.methods):
                bodies[f"{method} {route.path}"] = annotation
    return bodies


def test_the_walk_finds_the_write_bodies() -> None:
    bodies = body_models()
    assert {
        "POST /v1/actors": "ActorRegistered",
        "POST /v1/claims": "ClaimRegistered",
        "POST /v1/documents": "DocumentRegistered",
        "POST /v1/stories": "StoryRegistered",
        "POST /v1/statements": "StatementIn",
    }.items() <= {operation: body.__name__ for operation, body in bodies.items()}.items()


def test_no_request_body_is_a_domain_event() -> None:
    events = tuple(EVENT_TYPES.values())
    offenders = {
        operation: body.__qualname__
        for operation, body in body_models().items()
        if issubclass(body, events)
    }
    assert offenders == {}


def test_no_request_body_subclasses_the_statement_draft() -> None:
    from ledger.domain.model import StatementDraft

    bodies = body_models()
    assert not issubclass(bodies["POST /v1/statements"], StatementDraft)
