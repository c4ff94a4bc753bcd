"""The FastAPI application factory: ``uvicorn --factory api.app:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import problems
from api.body import BodyGuard
from api.routes import (
    actors,
    audit,
    claims,
    documents,
    events,
    health,
    registry,
    replay,
    statements,
)
from api.settings import ApiSettings
from ledger.bootstrap import open_app
from ledger.settings import Settings

DESCRIPTION = """\
An event-sourced ledger of who said what about which claim, when, and where it was read.

Reads are open unless `LEDGER_READS_REQUIRE_TOKEN` is set; writes need a bearer token with the
`write` scope. Every error is `application/problem+json` (RFC 9457).
"""
ROUTERS = (health, statements, events, claims, actors, documents, registry, replay, audit)


def create_app(
    settings: Settings | None = None, api_settings: ApiSettings | None = None
) -> FastAPI:
    """A new application; the ledger's database is opened in the lifespan, not here."""
    api_settings = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger_app = open_app(settings or Settings())
        app.state.ledger = ledger_app
        try:
            yield
        finally:
            ledger_app.close()

    app = FastAPI(
        title="Claims ledger",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=problems.responses(422, 500),
    )
    app.state.api_settings = api_settings
    problems.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(BodyGuard, max_bytes=api_settings.max_body_bytes)
    if api_settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api_settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "Last-Event-ID",
            ],
            expose_headers=["ETag", "Location", "Link"],
        )
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """The generated OpenAPI document, with error bodies under ``application/problem+json``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.problem_media_types(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
