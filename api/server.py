"""The HTTP server's own edge, below the application: what uvicorn answers by itself.

uvicorn answers a request it cannot parse (a bad ``Content-Length``, bytes that are not HTTP)
with a plain-text 400, and waits for a request's headers as long as the client likes (a
connection that sends nothing, or a header line a minute, is held open). ``LedgerHttp`` is
uvicorn's httptools protocol with both changed: the 400 is ``application/problem+json``, and a
request whose headers have not all arrived ``header_timeout`` seconds after its first byte (or
after the connection opened) gets a 408 problem and the connection is closed.

What uvicorn still answers itself, in its own words: a request line or headers too large for
httptools' parser arrive here as that same 400; nothing else reaches a client unhandled.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.access_log import configure_json_logging
from api.app import create_app
from api.problems import PROBLEM_BASE
from api.settings import ApiSettings

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]


def problem_bytes(status: int, reason: str, slug: str, detail: str) -> bytes:
    """A whole HTTP/1.1 answer carrying an RFC 9457 problem, closing the connection."""
    body = json.dumps(
        {"type": PROBLEM_BASE + slug, "title": reason, "status": status, "detail": detail}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/problem+json\r\n"
        "x-content-type-options: nosniff\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class LedgerHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with problem+json 400s and a deadline for headers
    (``LEDGER_HEADER_TIMEOUT_SECONDS``). Named by its import path, so each server process of
    ``ledger serve --workers N`` loads it itself."""

    header_deadline: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = configured_header_timeout()

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        detail = "the request is not HTTP/1.1 this server can read: " + msg.rstrip(".")
        self.transport.write(problem_bytes(400, "Bad Request", "malformed-request", detail))
        self.transport.close()

    def _arm(self) -> None:
        if self.header_deadline is None:
            self.header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _too_slow(self) -> None:
        self.header_deadline = None
        if self.transport.is_closing() or (self.cycle and not self.cycle.response_complete):
            return
        detail = f"the request's headers did not arrive within {self.header_timeout:g} seconds"
        self.transport.write(problem_bytes(408, "Request Timeout", "request-timeout", detail))
        self.transport.close()


@functools.cache
def configured_header_timeout() -> float:
    """The header deadline from the environment, read once per server process."""
    return ApiSettings().header_timeout_seconds


def served_app() -> FastAPI:
    """The application as ``ledger serve`` runs it, built in each of its server processes:
    the ledger's loggers as JSON lines on stderr, the access log unless it is turned off."""
    api_settings = ApiSettings()
    configure_json_logging()
    if not api_settings.access_log:
        logging.getLogger("ledger.access").setLevel(logging.WARNING)
    app = create_app(api_settings=api_settings)
    app.router.lifespan_context = frozen_after_start(app.router.lifespan_context)
    return app


def frozen_after_start(lifespan: Lifespan) -> Lifespan:
    """``lifespan`` followed by freezing what the start left on the heap (``gc.freeze``).

    The start builds what lives as long as the process (modules, routes, the ledger's caches,
    pools and keys); frozen, the collector never walks it again. Without it every full
    collection walked all of it while a request waited: measured with wrk on POST and GET at
    16 connections (bench helpers), p99 fell from about 105 ms to 60-75 ms. Only the server
    process does this: a test process starts many apps, and what a frozen heap holds is
    never collected.
    """

    @contextlib.asynccontextmanager
    async def started_then_frozen(app: Any) -> AsyncIterator[None]:
        async with lifespan(app):
            gc.collect()
            gc.freeze()
            yield

    return started_then_frozen


def serve(host: str, port: int, workers: int) -> None:
    """Run uvicorn: ``workers`` processes sharing one listening socket and one database.

    The application and the protocol are given by import path, so each process builds its
    own (uvicorn's workers are spawned processes: nothing is inherited but the environment).
    """
    uvicorn.run(
        "api.server:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        access_log=False,  # the ledger's own JSON line per request replaces uvicorn's
        loop="uvloop",  # pinned dependencies, chosen for speed (bench: HTTP cases)
        http="api.server:LedgerHttp",  # httptools, problem+json 400s, a header deadline
    )
