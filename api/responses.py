"""JSON answers rendered straight from views the read side already built and trusts.

A route that returns a dict has FastAPI validate it against the response model (in the thread
pool, for a sync route) and then serialize it. A view read from the projections was checked
when its events were appended, so the hot read routes render it with orjson instead; the
response model stays on the route for the OpenAPI document. orjson writes compact UTF-8, as
FastAPI's own serializer does, so the bytes do not change.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response


def trusted_json(view: Any, response: Response) -> Response:
    """``view`` as JSON, with the headers the route and its dependencies set on ``response``."""
    answer = Response(content=orjson.dumps(view), media_type="application/json")
    answer.headers.raw.extend(response.headers.raw)
    return answer
