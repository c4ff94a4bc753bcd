"""The FastAPI application factory: ``uvicorn --factory api.app:create_app``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api import problems
from api.conditional import ConditionalReads
from api.cors import ProblemCORS
from api.deps import KnownQuery
from api.feed import FeedSlots, LogWaker
from api.edge import HttpEdge, Wrapper
from api.health import WriteFaults, ledger_state
from api.metrics import LedgerMetrics
from api.openapi import operation_id, optional_read_security, unknown_query_refused
from api.ratelimit import RateLimit, parse_rate_limit
from api.routes import (
    actors,
    apidocs,
    audit,
    claims,
    documents,
    events,
    exports,
    health,
    metrics,
    pages,
    registry,
    replay,
    statements,
    stories,
)
from api.settings import ApiSettings
from ledger.audit.log import TransparencyLog
from ledger.bootstrap import Wiring, open_app
from ledger.errors import LedgerError
from ledger.settings import Settings
from ledger.store.notify import LogListener

DESCRIPTION = """\
An event-sourced ledger of who said what about which claim, when, and where it was read.

Reads are open unless `LEDGER_READS_REQUIRE_TOKEN` is set; writes need a bearer token with the
`write` scope. Every error is `application/problem+json` (RFC 9457).
"""
ROUTERS = (
    health,
    metrics,
    statements,
    events,
    stories,
    claims,
    actors,
    documents,
    registry,
    replay,
    audit,
    exports,
    pages,
    apidocs,
)


def create_app(
    settings: Settings | None = None, api_settings: ApiSettings | None = None
) -> FastAPI:
    """A new application; the ledger's database is opened in the lifespan, not here."""
    api_settings = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger_settings = settings or Settings()
        require_signing_key(ledger_settings, api_settings)
        metrics, waker = app.state.metrics, app.state.log_waker
        ledger_app = open_app(
            ledger_settings,
            commit_listeners=[metrics.count_commit, waker.wake],
            write_timers=[metrics.time_write],
        )
        app.state.ledger = ledger_app
        waker.attach(asyncio.get_running_loop())
        listener = _listen_for_appends(ledger_app, app.state.log_waker)
        ledger_app.log.witness_newest()  # a checkpoint signed while no server ran, say
        signer = asyncio.create_task(
            sign_checkpoints(ledger_app.log, ledger_settings.checkpoint_interval_seconds)
        )
        try:
            yield
        finally:
            signer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await signer
            if listener is not None:
                listener.stop()
            ledger_app.close()

    app = FastAPI(
        title="Claims ledger",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=problems.responses(422, 500),
        generate_unique_id_function=operation_id,
        dependencies=[KnownQuery],
        docs_url=None,  # /docs and /openapi.json are api/routes/apidocs.py's: no CDN, read access
        redoc_url=None,
        openapi_url=None,  # every route refuses query parameters it does not declare
    )
    app.state.api_settings = api_settings
    problems.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.state.write_faults = WriteFaults()
    app.state.log_waker = LogWaker()
    app.state.feed_slots = FeedSlots(api_settings.feed_max_per_client)
    app.state.metrics = LedgerMetrics()
    app.state.metrics.add_state(lambda: ledger_state(getattr(app.state, "ledger", None)))
    _add_middleware(app, api_settings)
    _document_problems(app)
    return app


def _listen_for_appends(ledger_app: Wiring, waker: LogWaker) -> LogListener | None:
    """On PostgreSQL, wake the live feed for appends other processes commit (LISTEN)."""
    if ledger_app.store.backend.name != "postgresql":
        return None
    url = ledger_app.store.engine.url.render_as_string(hide_password=False)
    return LogListener(url, waker.wake).start()


def require_signing_key(settings: Settings, api_settings: ApiSettings) -> None:
    """Production signs its checkpoints: refuse to start without a signing key."""
    if api_settings.environment == "production" and settings.signing_key_file is None:
        raise RuntimeError(
            "LEDGER_ENVIRONMENT=production needs LEDGER_SIGNING_KEY_FILE "
            "(create one with `ledger keys generate`)"
        )


async def sign_checkpoints(log: TransparencyLog, interval: float) -> None:
    """Sign a checkpoint whenever the log has grown, every ``interval`` seconds (0: never).

    Off the append path: a thread of its own signs while requests go on. A failure (the
    database refusing writes, say) is logged and tried again at the next tick.
    """
    if log.key is None or interval <= 0:
        return
    while True:
        try:
            await run_in_threadpool(log.sign_if_grown)
        except LedgerError as error:
            logging.getLogger("ledger.api").warning("checkpoint not signed: %s", error)
        await asyncio.sleep(interval)


def _add_middleware(app: FastAPI, api_settings: ApiSettings) -> None:
    """One middleware, the edge (api/edge.py): around everything the request id, metrics, the
    access log and ``nosniff``; just before the route the token and body checks. Between them,
    innermost first: conditional reads, then rate limits, then CORS, so its headers reach the
    browser on every answer, a 429 or 413 included."""
    around: list[Wrapper] = [ConditionalReads]
    limits = parse_rate_limit(api_settings.rate_limit)
    if limits:
        around.append(partial(RateLimit, limits=limits, tokens=api_settings.tokens))
    if api_settings.cors_origins:
        around.append(partial(ProblemCORS, origins=api_settings.cors_origins))
    app.add_middleware(
        HttpEdge,
        router=app.router,
        metrics=app.state.metrics,
        settings=api_settings,
        around=around,
    )


def _document_problems(app: FastAPI) -> None:
    """The generated OpenAPI document, with error bodies under ``application/problem+json``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            documented = optional_read_security(problems.problem_media_types(generate()))
            app.openapi_schema = unknown_query_refused(documented)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
