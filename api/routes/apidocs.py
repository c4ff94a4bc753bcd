"""The API's own documentation: the OpenAPI document and Swagger UI, served from the package.

FastAPI's default ``/docs`` loads Swagger UI from a CDN (no integrity hashes; blank offline)
with an inline script, and stays open whatever ``LEDGER_READS_REQUIRE_TOKEN`` says. Here the
assets come from the pinned ``swagger-ui-bundle`` package, the page starts them from a file of
its own under a Content-Security-Policy that allows nothing from elsewhere, and every route
takes the same read access as the API's reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from swagger_ui_bundle import swagger_ui_path

from api.deps import ReadAccess
from api.problems import ProblemResponse, problem

OWN = Path(__file__).resolve().parent.parent / "apidocs"
BUNDLE = Path(swagger_ui_path)
FILES = {
    "swagger-ui-bundle.js": BUNDLE / "swagger-ui-bundle.js",
    "swagger-ui.css": BUNDLE / "swagger-ui.css",
    "favicon-32x32.png": BUNDLE / "favicon-32x32.png",
    "swagger-init.js": OWN / "swagger-init.js",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
}
# Swagger UI draws its icons as data: images; everything else comes from this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False, dependencies=[ReadAccess])


@router.get("/openapi.json")
def openapi_document(request: Request) -> JSONResponse:
    """The OpenAPI document of this API."""
    document: dict[str, Any] = request.app.openapi()
    return JSONResponse(document)


@router.get("/docs", response_model=None)
def swagger_ui() -> FileResponse:
    """Swagger UI on /openapi.json."""
    return _file(OWN / "index.html")


@router.get("/docs/{name}", response_model=None)
def swagger_ui_file(name: str) -> FileResponse | ProblemResponse:
    """One of Swagger UI's files, by name from a fixed list: no path reaches the file system."""
    path = FILES.get(name)
    if path is None:
        return problem(404, "not-found", "no such documentation file", title="Not found")
    return _file(path)


def _file(path: Path) -> FileResponse:
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=SECURITY_HEADERS)
