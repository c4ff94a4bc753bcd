"""Fixtures for the browser tests: a real ``ledger serve`` on a seeded database, and Chromium.

Chromium is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it when missing), driven by
Playwright, which cannot download its own browser here. Without it the tests are skipped with a
visible reason; under ``CI=true`` a missing browser is an error, as a missing PostgreSQL is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.visits import DESKTOP, PHONE, Visit, open_visit
from tests.support.server import serve_seeded

CHROMIUM = Path(os.environ.get("LEDGER_TEST_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a fresh, migrated and seeded database, shared by one module's tests."""
    yield from serve_seeded(tmp_path_factory.mktemp("browser-server"))


@pytest.fixture(scope="module")
def visited(page_server: str) -> tuple[str, str]:
    """The server the ``desktop`` and ``phone`` visits open, and the suffix of their names
    (their screenshots' names): a module with a server of its own overrides it."""
    return page_server, ""


@pytest.fixture
def desktop(chromium: object, visited: tuple[str, str]) -> Iterator[Visit]:
    base, suffix = visited
    yield from open_visit(chromium, base, "1280" + suffix, DESKTOP)


@pytest.fixture
def phone(chromium: object, visited: tuple[str, str]) -> Iterator[Visit]:
    base, suffix = visited
    yield from open_visit(chromium, base, "390" + suffix, PHONE)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


