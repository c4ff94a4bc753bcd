"""CORS: only the origins in ``LEDGER_CORS_ORIGINS``; a refused preflight is a problem too."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.problems import problem

ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "Last-Event-ID"]
EXPOSED_HEADERS = ["ETag", "Location", "Link", "Retry-After"]


class ProblemCORS(CORSMiddleware):
    """Starlette's CORS, with its plain-text 400 for a refused preflight as problem+json.

    An unlisted origin gets no ``Access-Control-Allow-Origin`` on any answer, so a browser
    keeps the response from the page that asked; its preflight is refused outright.
    """

    def __init__(self, app: object, *, origins: list[str]) -> None:
        super().__init__(
            app,  # type: ignore[arg-type]
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        vary = {"Vary": response.headers["vary"]} if "vary" in response.headers else {}
        return problem(
            400, "cors-refused", detail, title="Cross-origin request refused", headers=vary
        )
