"""JSON answers rendered straight from views the read side already built and trusts.

A route that returns a dict has FastAPI validate it against the response model (in the thread
pool, for a sync route) and then serialize it. A view read from the projections was built
trusted (``ledger.projections.views.trusted``) from data checked when its events were
appended, so the read routes render it with pydantic-core's serializer instead; the response
model stays on the route for the OpenAPI document. It writes compact UTF-8 by alias, as
FastAPI's own serializer does, so the bytes do not change. A write's answer (the envelope and
receipt the ledger assembles) is rendered the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from ledger.audit.log import TransparencyLog
from ledger.projections.views import to_json
from ledger.store import RecordedEvent


def trusted_json(view: Any, response: Response, status_code: int = 200) -> Response:
    """``view`` as JSON, with the headers the route and its dependencies set on ``response``."""
    answer = Response(content=to_json(view), status_code=status_code, media_type="application/json")
    answer.headers.raw.extend(response.headers.raw)
    return answer


def written_json(event: RecordedEvent, log: TransparencyLog, response: Response) -> Response:
    """A write's answer, 201: the stored envelope and its receipt (``TransparencyLog.written``),
    rendered once. The ledger built it from the event it just stored, so it is not validated
    again against ``WrittenEvent``, which stays on the route for the OpenAPI document."""
    return trusted_json(log.written(event), response, status_code=201)
