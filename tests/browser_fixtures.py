"""Fixtures for the browser tests: a real ``ledger serve`` on a seeded database, and Chromium.

Chromium is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it when missing), driven by
Playwright, which cannot download its own browser here. Without it the tests are skipped with a
visible reason; under ``CI=true`` a missing browser is an error, as a missing PostgreSQL is.
Screenshots go to ``tests/artifacts/`` (gitignored). PYTEST_DONT_REWRITE: no assertions here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api_fixtures import WRITE_TOKEN, sha256

LEDGER = str(Path(sys.executable).with_name("ledger"))
CHROMIUM = Path(os.environ.get("LEDGER_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
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
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_ledger(env: dict[str, str], *command: str) -> None:
    subprocess.run([LEDGER, *command], env=env, check=True, capture_output=True, timeout=60)


def wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ledger serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail("ledger serve did not become ready in 20 s")


def serve_seeded(folder: Path) -> Iterator[str]:
    """``ledger db upgrade``, ``ledger seed`` and ``ledger serve`` on a new SQLite file."""
    env = os.environ | {
        "LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.db'}",
        "LEDGER_API_TOKENS": f"browser:read+write:{sha256(WRITE_TOKEN)}",
        "LEDGER_ENVIRONMENT": "test",
    }
    run_ledger(env, "db", "upgrade")
    run_ledger(env, "seed")
    port = free_port()
    log = folder / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [LEDGER, "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a fresh, migrated and seeded database, shared by one module's tests."""
    yield from serve_seeded(tmp_path_factory.mktemp("browser-server"))


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

    def shot(self, label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path))  # type: ignore[attr-defined]
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
