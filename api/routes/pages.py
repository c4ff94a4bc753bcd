"""The timeline page: one HTML file and its scripts and styles, served from the package.

The page holds no data of its own: its script reads the same /v1 endpoints as any client.
Only the files present in ``api/static`` (and its ``i18n`` folder, the interface's words by
language) at start-up are served, by name, so no request path ever reaches the file system.

``/embed/story/{key}`` is the story's compact view for other sites' iframes: the same scripts,
and a ``frame-ancestors`` naming ``LEDGER_EMBED_ORIGINS`` (none by default); every other page
may be framed by nobody.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Path as PathParameter, Request
from fastapi.responses import FileResponse

from api.deps import KEY, QueriesDep
from api.problems import ProblemResponse, problem

STATIC = Path(__file__).resolve().parent.parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
# Everything the page loads comes from this server; nothing inline, nothing from elsewhere.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": POLICY.format(ancestors="'none'"),
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
WORDS = static_files(STATIC / "i18n")


def _serve(
    name: str, files: dict[str, Path] = FILES, headers: dict[str, str] = SECURITY_HEADERS
) -> FileResponse | ProblemResponse:
    path = files.get(name)
    if path is None:
        return problem(404, "not-found", f"no page file {name!r}", title="Not found")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)


def embed_headers(origins: list[str]) -> dict[str, str]:
    """The page's headers with ``frame-ancestors`` naming the origins allowed to frame it."""
    ancestors = " ".join(origins) if origins else "'none'"
    return {**SECURITY_HEADERS, "Content-Security-Policy": POLICY.format(ancestors=ancestors)}


@router.get("/", response_model=None)
def timeline_page() -> FileResponse | ProblemResponse:
    """The timeline page: the claims x actors matrix stepping through the story."""
    return _serve("index.html")


@router.get("/static/{name}", response_model=None)
def page_file(name: str) -> FileResponse | ProblemResponse:
    """One of the page's own scripts or styles."""
    return _serve(name)


@router.get("/static/i18n/{name}", response_model=None)
def page_words(name: str) -> FileResponse | ProblemResponse:
    """The interface's words in one language (``de.json``, ``en.json``, ...)."""
    return _serve(name, WORDS)


@router.get("/embed/story/{key}", response_model=None)
def embedded_story(
    key: Annotated[str, PathParameter(pattern=KEY)], request: Request, queries: QueriesDep
) -> FileResponse | ProblemResponse:
    """A story's compact view for an iframe, framed only by ``LEDGER_EMBED_ORIGINS``."""
    queries.story(key)  # 404 for an unknown story
    origins = request.app.state.api_settings.embed_origins
    return _serve("index.html", headers=embed_headers(origins))
