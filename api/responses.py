"""JSON answers rendered straight from views the read side already built and trusts.

A route that returns a dict has FastAPI validate it against the response model (in the thread
pool, for a sync route) and then serialize it. A view read from the projections was built
trusted (``ledger.projections.views.trusted``) from data checked when its events were
appended, so the read routes render it with pydantic-core's serializer instead; the response
model stays on the route for the OpenAPI document. It writes compact UTF-8 by alias, as
FastAPI's own serializer does, so the bytes do not change.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from ledger.projections.views import to_json


def trusted_json(view: Any, response: Response) -> Response:
    """``view`` as JSON, with the headers the route and its dependencies set on ``response``."""
    answer = Response(content=to_json(view), media_type="application/json")
    answer.headers.raw.extend(response.headers.raw)
    return answer
