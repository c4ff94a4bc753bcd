"""A browser tab on a real server: what it asked of other hosts, what went wrong, screenshots.

Screenshots go to ``tests/artifacts/`` (gitignored). PYTEST_DONT_REWRITE: no assertions here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class Visit:
    """One browser tab on the server, with what it asked of other hosts and what went wrong."""

    page: object
    base: str
    name: str
    foreign_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base + path)  # type: ignore[attr-defined]
        self.page.wait_for_selector("body[data-ready=true]")  # type: ignore[attr-defined]

    def shot(self, label: str, *, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        return path


def open_visit(browser: object, base: str, name: str, viewport: dict[str, int]) -> Iterator[Visit]:
    context = browser.new_context(viewport=viewport)  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    page = context.new_page()
    visit = Visit(page=page, base=base, name=name)
    origin = urlsplit(base).netloc

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).netloc == origin:
            route.continue_()  # type: ignore[attr-defined]
        else:
            visit.foreign_requests.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", guard)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error" and visit.errors.append(message.text),
    )
    try:
        yield visit
    finally:
        context.close()
