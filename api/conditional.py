"""Conditional reads for every route: ETag, If-None-Match → 304, Cache-Control, HEAD.

One middleware serves every read route, so no route repeats it:

- ``HEAD`` runs the route's ``GET`` and sends its headers without the body.
- A ``200`` to ``GET`` or ``HEAD`` gets a strong ``ETag``: the route's own (a claim's current
  JSON view keeps its stream version, the tag a writer sends back with ``If-Match``), or else
  the SHA-256 of the body, so each representation of each view has its own tag.
- ``If-None-Match`` naming that tag (weak comparison, RFC 9110 13.1.2) answers ``304``.
- ``Cache-Control``: views pinned to a log position (``known_at`` before the log's last
  recorded instant, see :func:`mark_pinned`) never change and may be kept for a year; every
  other view must be revalidated (``no-cache``).

Event streams (``text/event-stream``) pass through untouched.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PINNED = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
READ_METHODS = frozenset({"GET", "HEAD"})


def mark_pinned(request: Request, position: int) -> None:
    """Record that this view is computed at a fixed log position (it can never change)."""
    request.scope.setdefault("state", {})["ledger_pinned_position"] = position


def body_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def none_match(header: str | None, tag: str) -> bool:
    """Whether If-None-Match names ``tag`` (or is ``*``); weak comparison."""
    if header is None:
        return False
    wanted = opaque(tag)
    return any(
        part.strip() == "*" or opaque(part) == wanted for part in header.split(",") if part.strip()
    )


class ConditionalReads:
    """The ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READ_METHODS:
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        inner = dict(scope, method="GET") if head else scope
        await _Exchange(inner, send, head).run(self.app, receive)


class _Exchange:
    """One request: buffer a 200 answer's body, then send it, a 304, or headers only."""

    def __init__(self, scope: Scope, send: Send, head: bool) -> None:
        self.scope = scope
        self.send = send
        self.head = head
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.passthrough = False

    async def run(self, app: ASGIApp, receive: Receive) -> None:
        await app(self.scope, receive, self.intercept)

    async def intercept(self, message: Message) -> None:
        if self.passthrough:
            await self._forward(message)
            return
        if message["type"] == "http.response.start":
            headers = Headers(raw=message["headers"])
            streaming = headers.get("content-type", "").startswith("text/event-stream")
            if message["status"] != 200 or streaming:
                self.passthrough = True
                await self._forward(message)
                return
            self.start = message
            return
        if message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._finish()

    async def _forward(self, message: Message) -> None:
        if self.head and message["type"] == "http.response.body":
            message = {"type": "http.response.body", "body": b"", "more_body": False}
            if getattr(self, "_head_sent", False):
                return
            self._head_sent = True
        await self.send(message)

    async def _finish(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        headers = MutableHeaders(raw=list(self.start["headers"]))
        tag = headers.get("etag") or body_etag(body)
        headers["ETag"] = tag
        pinned = "ledger_pinned_position" in self.scope.get("state", {})
        if pinned or "cache-control" not in headers:
            headers["Cache-Control"] = PINNED if pinned else REVALIDATE
        if pinned:
            headers["Ledger-Log-Position"] = str(self.scope["state"]["ledger_pinned_position"])
        headers.append("Vary", "Accept, Authorization")
        request_headers = Headers(scope=self.scope)
        if none_match(request_headers.get("if-none-match"), tag):
            await self._send_not_modified(headers)
            return
        await self.send({**self.start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": b"" if self.head else body})

    async def _send_not_modified(self, headers: MutableHeaders) -> None:
        kept = MutableHeaders()
        for name in ("etag", "cache-control", "vary", "ledger-log-position", "content-location"):
            for value in headers.getlist(name):
                kept.append(name, value)
        await self.send({"type": "http.response.start", "status": 304, "headers": kept.raw})
        await self.send({"type": "http.response.body", "body": b""})
