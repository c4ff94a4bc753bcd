"""The timeline page: one HTML file and its scripts and styles, served from the package.

The page holds no data of its own: its script reads the same /v1 endpoints as any client.
Only the files present in ``api/static`` at start-up are served, by name, so no request path
ever reaches the file system.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.problems import ProblemResponse, problem

STATIC = Path(__file__).resolve().parent.parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Everything the page loads comes from this server; nothing inline, nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def static_files(folder: Path = STATIC) -> dict[str, Path]:
    """The servable files by name: those of a known type directly inside ``folder``."""
    if not folder.is_dir():
        return {}
    return {p.name: p for p in folder.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES}


FILES = static_files()


def _serve(name: str) -> FileResponse | ProblemResponse:
    path = FILES.get(name)
    if path is None:
        return problem(404, "not-found", f"no page file {name!r}", title="Not found")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=SECURITY_HEADERS)


@router.get("/", response_model=None)
def timeline_page() -> FileResponse | ProblemResponse:
    """The timeline page: the claims x actors matrix stepping through the story."""
    return _serve("index.html")


@router.get("/static/{name}", response_model=None)
def page_file(name: str) -> FileResponse | ProblemResponse:
    """One of the page's own scripts or styles."""
    return _serve(name)
