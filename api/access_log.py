"""One JSON line per request on the ``ledger.access`` logger, and its id as ``X-Request-ID``
(both written by the edge middleware, ``api/edge.py``).

A line holds the request id, method, route template, status, duration and the *name* of the
token that authorized it (set by the auth dependencies in ``request.state``); never a token,
a query string or a body. A client's own ``X-Request-ID`` is kept when it is a short, plain
token, so one id can follow a request through a proxy; anything else gets a fresh UUID.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

log = logging.getLogger("ledger.access")
REQUEST_ID_HEADER = "X-Request-ID"
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
TOKEN_NAME_KEY = "token_name"


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and its ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send the ledger's loggers to stderr as JSON lines (``ledger serve`` calls this)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in ("ledger", "api"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


def request_id_of(headers: Headers) -> str:
    offered = headers.get(REQUEST_ID_HEADER, "")
    return offered if CLIENT_REQUEST_ID.match(offered) else str(uuid.uuid4())


def log_request(scope: Scope, request_id: str, route: str, status: int, seconds: float) -> None:
    """The request's one line (the edge middleware, ``api/edge.py``, calls this)."""
    fields = {
        "request_id": request_id,
        "method": scope["method"],
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "token": scope.get("state", {}).get(TOKEN_NAME_KEY),
    }
    log.info("request", extra={"fields": fields})
