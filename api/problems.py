"""Every error as RFC 9457 ``application/problem+json``: the one place errors become statuses."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from api.auth import Forbidden, Unauthenticated
from api.deps import UnknownQueryParameter
from api.health import head_or_none
from api.negotiation import NotAcceptable
from ledger.errors import (
    ConcurrencyError,
    EventIdConflict,
    ImmutableEventError,
    InvalidInput,
    LedgerError,
    NoSigningKey,
    NotFound,
    StateConflict,
    StorageUnavailable,
)

log = logging.getLogger("api")
PROBLEM_BASE = "urn:claims-ledger:problem:"
MAX_FIELD_PART = 64


class FieldError(BaseModel):
    """One invalid input: where it is, and what is wrong with it (never its value)."""

    field: str = Field(examples=["source.quote.exact"])
    message: str = Field(examples=["not found in the document at the given start and end offsets"])
    location: str | None = Field(default=None, description="body, query, header or path")


class Problem(BaseModel):
    """RFC 9457 problem details; extension members (like readiness ``checks``) may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_BASE + "validation-failed"])
    title: str = Field(examples=["The request is not valid"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["source.quote.exact: not found in the document"])
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    status: int,
    slug: str | None,
    detail: str,
    *,
    title: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ProblemResponse:
    """A problem+json response; ``slug`` None means ``about:blank`` (a plain HTTP status)."""
    body = Problem(
        type="about:blank" if slug is None else PROBLEM_BASE + slug,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=None if errors is None else list(errors),
    )
    content = body.model_dump(exclude_none=True) | dict(extra or {})
    all_headers = {"X-Content-Type-Options": "nosniff"} | dict(headers or {})
    return ProblemResponse(content, status_code=status, headers=all_headers)


def field_path(location: Iterable[Any]) -> str:
    """``('source', 'quote', 'exact')`` as ``source.quote.exact``; list indexes as ``[0]``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            text = str(part)[:MAX_FIELD_PART]
            text = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
            path += f".{text}" if path else text
    return path


def validation_errors(raw: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors as field + message, with its ``input`` and ``ctx`` dropped."""
    errors = []
    for error in raw:
        location = list(error.get("loc", ()))
        where = str(location.pop(0)) if location and location[0] in _LOCATIONS else None
        message = without_input(error["msg"], error.get("input"))
        errors.append(
            FieldError(field=field_path(location) or "(body)", message=message, location=where)
        )
    return errors


MIN_REDACTED = 4  # shorter inputs would blank out ordinary words of the message


def without_input(message: str, value: Any) -> str:
    """The message with any input it quotes cut out (``date.fromisoformat`` quotes its input)."""
    for text in sorted(_strings(value), key=len, reverse=True):
        for shown in (repr(text), f'"{text}"', text):
            message = message.replace(shown, "(the value sent)")
    return message


def _strings(value: Any) -> Iterable[str]:
    """The strings inside an input (an object's values, a list's items) long enough to redact."""
    if isinstance(value, str):
        return [value] if len(value) >= MIN_REDACTED else []
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [text for item in value[:100] for text in _strings(item)]
    return []


_LOCATIONS = ("body", "query", "header", "path", "cookie")

STATUS_OF: list[tuple[type[Exception], int, str, str]] = [
    (InvalidInput, 422, "invalid-input", "The ledger refuses this input"),
    (
        EventIdConflict,
        422,
        "event-id-conflict",
        "This event id or key is stored with other content",
    ),
    (NotFound, 404, "not-found", "Not found"),
    (StateConflict, 409, "state-conflict", "The request contradicts the ledger's state"),
    (StorageUnavailable, 503, "storage-unavailable", "The database cannot take this request now"),
    (NoSigningKey, 503, "no-signing-key", "The ledger signs no checkpoints"),
    (ImmutableEventError, 500, "immutable-event", "The database refused to change a stored event"),
]


async def ledger_error(request: Request, error: Exception) -> ProblemResponse:
    """The ledger's own errors; only the entry point turns them into HTTP statuses."""
    if isinstance(error, ConcurrencyError):
        return _concurrency(request, error)
    for kind, status, slug, title in STATUS_OF:
        if isinstance(error, kind):
            return _ledger_problem(error, status, slug, title)
    log.error("unexpected ledger error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "ledger-error", "the ledger failed to handle this request")


def _ledger_problem(error: Exception, status: int, slug: str, title: str) -> ProblemResponse:
    errors = None
    if isinstance(error, InvalidInput):
        errors = [FieldError(field=error.field, message=error.message)]
    if status >= 500 and not isinstance(error, NoSigningKey):
        log.error("ledger error: %s", error)
        return problem(status, slug, "the ledger failed to handle this request", title=title)
    extensions = getattr(error, "extensions", None)
    extra = extensions() if callable(extensions) else None
    return problem(status, slug, str(error), title=title, errors=errors, extra=extra)


def _concurrency(request: Request, error: ConcurrencyError) -> ProblemResponse:
    """412 when the client's If-Match failed; 409 when it sent none."""
    if request.headers.get("if-match") is not None:
        return problem(412, "precondition-failed", str(error), title="The claim has changed")
    return problem(409, "concurrent-write", str(error), title="The claim has changed")


RETRY_AFTER_SECONDS = 5


def storage_unavailable(request: Request, error: Exception) -> ProblemResponse:
    """503 with Retry-After, saying why without the driver's words; /readyz remembers it.

    Synchronous on purpose: reading the log's head is blocking I/O, so Starlette runs this
    handler in its thread pool.
    """
    assert isinstance(error, StorageUnavailable)
    log.error("storage unavailable on %s %s: %s", request.method, request.url.path, error)
    faults = getattr(request.app.state, "write_faults", None)
    if faults is not None and request.method != "GET":
        faults.record(error.reason, head_or_none(request.app.state.ledger.store))
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    title = "The database cannot take this request now"
    return problem(503, "storage-unavailable", error.reason, title=title, headers=headers)


async def request_validation(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, RequestValidationError)
    errors = validation_errors(error.errors())
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem(
        422, "validation-failed", detail, title="The request is not valid", errors=errors
    )


async def unknown_query(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, UnknownQueryParameter)
    errors = [
        FieldError(field=name, message="not a parameter of this route", location="query")
        for name in error.unknown
    ]
    return problem(
        400,
        "unknown-query-parameter",
        str(error),
        title="The request has a query parameter this route does not take",
        errors=errors,
        extra={"allowed": error.allowed},
    )


async def http_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    return problem(error.status_code, None, detail, headers=error.headers)


async def unauthenticated(request: Request, error: Exception) -> ProblemResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="claims-ledger"'}
    return problem(
        401, "unauthenticated", str(error), title="Authentication needed", headers=headers
    )


async def forbidden(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, Forbidden)
    headers = {
        "WWW-Authenticate": f'Bearer realm="claims-ledger", error="insufficient_scope", scope="{error.scope}"'
    }
    return problem(403, "forbidden", str(error), title="Not allowed", headers=headers)


async def out_of_range(request: Request, error: Exception) -> ProblemResponse:
    """A date or number beyond what Python can represent (the core lets OverflowError escape)."""
    detail = "a date or number in the request is out of range"
    return problem(422, "out-of-range", detail, title="The request is not valid")


async def not_acceptable(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, NotAcceptable)
    return problem(
        406,
        "not-acceptable",
        str(error),
        title="No acceptable representation",
        extra={"offered": error.offered},
    )


async def unexpected(request: Request, error: Exception) -> ProblemResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, None, "the server failed to handle this request")


def install(app: FastAPI) -> None:
    """Register every handler: the one exception-handler module of the API."""
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(StorageUnavailable, storage_unavailable)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(UnknownQueryParameter, unknown_query)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(OverflowError, out_of_range)
    app.add_exception_handler(NotAcceptable, not_acceptable)
    app.add_exception_handler(Exception, unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems a route can answer with."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }


def problem_media_types(openapi: dict[str, Any]) -> dict[str, Any]:
    """Document every 4xx and 5xx response as ``application/problem+json``, as it is sent."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return openapi
