"""Request bodies checked before any route sees them: size, media type, and strict JSON.

Python's ``json`` accepts NaN and Infinity, keeps the last of duplicate keys, and decodes lone
surrogates and NUL characters that PostgreSQL refuses later; deep nesting or huge integers make it
raise errors that are not JSON errors. The edge (``api/edge.py``) reads a body-carrying request's
body here and refuses all of them with a 4xx problem first; what passes is parsed once, and the
route takes the parsed value from the scope (``ParsedBodyRoute``) instead of parsing it again.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from api.problems import problem

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PARSED_BODY = "ledger.parsed_body"  # where in the ASGI scope the route finds the parsed body
MAX_DEPTH = 32
MAX_INT_DIGITS = 20


class BadJson(ValueError):
    """JSON this API refuses; the message says why, never echoing the input."""


class BodyTooLarge(Exception):
    """The body is over the configured limit."""


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


class BodyTooSlow(Exception):
    """The body did not arrive whole within the deadline."""


def _reject_constant(name: str) -> Any:
    raise BadJson(f"{name} is not JSON")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadJson(f"integers have at most {MAX_INT_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson("numbers must be finite")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise BadJson("an object has the same key twice")
    return result


def parse_strict_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` if it is plain UTF-8 JSON this API can store; raise BadJson."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except BadJson:
        raise
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8") from None
    except RecursionError:
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, and int() over Python's digit limit
        where = (
            f" at line {error.lineno} column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise BadJson(f"the body is not valid JSON{where}") from None
    check_values(value)
    return value


def check_values(value: Any) -> None:
    """Refuse deep nesting, NUL characters and lone surrogates anywhere, keys included."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise BadJson(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                pending.append((child, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadJson("text may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson("text may not contain lone surrogates") from None


def is_json_media_type(content_type: str) -> bool:
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = params.strip().lower().replace(" ", "")
    json_type = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    return json_type and charset in ("", "charset=utf-8", 'charset="utf-8"')


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """A request's body as the edge read it: its bytes and, when there were any, their JSON."""

    raw: bytes
    value: Any


class BodyLimits:
    """Reads a body-carrying request's body once: 413 over ``max_bytes``, 415 unless JSON, 400
    for JSON we refuse, 408 when the body has not arrived whole ``timeout`` seconds after its
    headers. What passes is left in the scope for the route (:class:`ParsedBodyRoute`)."""

    def __init__(self, *, max_bytes: int, timeout: float = 30) -> None:
        self.max_bytes, self.timeout = max_bytes, timeout

    async def admit(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """The ``receive`` the route reads the body from, or None once this has answered
        (a refusal sent, or the client gone)."""
        headers = Headers(scope=scope)
        refusal = self._refuse_headers(headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return None
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive)
        except BodyTooLarge:
            await self._too_large()(scope, receive, send)
            return None
        except TimeoutError:
            await self._too_slow()(scope, receive, send)
            return None
        except ClientGone:
            return None
        try:
            scope[PARSED_BODY] = ParsedBody(body, self._parse(body, headers.get("content-type")))
        except _Refused as refused:
            await refused.answer(scope, receive, send)
            return None
        return _replay(body, receive)

    def _refuse_headers(self, headers: Headers) -> Any:
        length = headers.get("content-length")
        if length is not None and not length.strip().isdigit():
            return problem(400, "malformed-body", "Content-Length is not a number")
        if length is not None and int(length) > self.max_bytes:
            return self._too_large()
        content_type = headers.get("content-type")
        if content_type is not None and not is_json_media_type(content_type):
            return problem(415, "unsupported-media-type", "send application/json (UTF-8)")
        return None

    @staticmethod
    def _parse(body: bytes, content_type: str | None) -> Any:
        if not body:
            return None
        if content_type is None:
            raise _Refused(problem(415, "unsupported-media-type", "send application/json (UTF-8)"))
        try:
            return parse_strict_json(body)
        except BadJson as error:
            title = "The body is not usable JSON"
            raise _Refused(problem(400, "malformed-body", str(error), title=title)) from None

    def _too_slow(self) -> Any:
        detail = f"the body did not arrive within {self.timeout:g} seconds"
        closing = {"Connection": "close"}  # the rest of the body would be read as a request
        return problem(408, "request-timeout", detail, title="Request timeout", headers=closing)

    def _too_large(self) -> Any:
        detail = f"the body is over {self.max_bytes} bytes"
        return problem(413, "body-too-large", detail)

    async def _read(self, receive: Receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _Refused(Exception):
    """A body refused: ``answer`` is the problem to send."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer


class ParsedBodyRequest(Request):
    """A request whose body the edge has read and parsed: FastAPI takes both from the scope
    instead of reading the bytes and parsing them a second time."""

    async def body(self) -> bytes:
        parsed = self.scope.get(PARSED_BODY)
        return parsed.raw if parsed is not None else await super().body()

    async def json(self) -> Any:
        parsed = self.scope.get(PARSED_BODY)
        return parsed.value if parsed is not None else await super().json()


class ParsedBodyRoute(APIRoute):
    """A route that hands FastAPI the body the edge parsed (FastAPI's documented custom
    ``Request`` and ``APIRoute`` classes); routers with request bodies use it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parsed_once(request: Request) -> Response:
            return await handler(ParsedBodyRequest(request.scope, request.receive))

        return parsed_once


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body on once, then defers to the client's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
