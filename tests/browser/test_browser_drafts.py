"""Statement drafts on the page (issue 24): an HTML article registered over HTTP, its drafts
highlighted beside its text, one recorded in one step and one dismissed, in a real Chromium.

Screenshots land in ``tests/artifacts/`` (``1280-drafts-*.png``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.visits import DESKTOP, Visit, open_visit
from tests.support.api_fixtures import WRITE, WRITE_TOKEN
from tests.support.server import serve_seeded
from tests.support.sources import article_html

expect = pytest.importorskip("playwright.sync_api").expect
DOCUMENT = "hafenblatt-2025-03-03.html"
CLAIM = "bridge-plans-on-time"


@pytest.fixture(scope="module")
def drafts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded server with a newsroom's actors, a claim and an HTML article added over HTTP."""
    for base in serve_seeded(tmp_path_factory.mktemp("drafts-server")):
        with httpx.Client(base_url=base, timeout=10, headers=WRITE) as http:
            for actor in (
                {"key": "hafenblatt", "name": "Hafenblatt", "kind": "outlet"},
                {"key": "anna-berg", "name": "Anna Berg", "kind": "person"},
                {"key": "tom-krueger", "name": "Tom Krüger", "kind": "person"},
            ):
                http.post("/v1/actors", json=actor).raise_for_status()
            http.post("/v1/claims", json={
                "key": CLAIM, "propositions": {"en": "The bridge plans were handed in on time."}
            }).raise_for_status()
            http.post("/v1/documents", json={
                "document_id": DOCUMENT, "publisher": "hafenblatt", "language": "de",
                "html": article_html(),
            }).raise_for_status()
        yield base


@pytest.fixture
def desktop(chromium: Any, drafts_server: str) -> Iterator[Visit]:
    yield from open_visit(chromium, drafts_server, "1280-drafts", DESKTOP)


def test_a_drafted_statement_is_recorded_in_one_step_and_another_dismissed(
    desktop: Visit, drafts_server: str
) -> None:
    page = desktop.page
    desktop.open(f"/#/document/{DOCUMENT}")
    page.get_by_role("link", name="Draft statements from this text").click()
    expect(page.locator("#drafts-view")).to_have_attribute("data-ready", "true")
    marks = page.locator(".draft-mark")
    expect(marks.first).to_contain_text("Wir haben die Pläne rechtzeitig vorgelegt")
    berg = page.locator('.draft-card[data-actor="anna-berg"][data-stance="asserts"]')
    expect(berg).to_contain_text("Cue “sagte”")
    expect(page.locator('.draft-card[data-actor="tom-krueger"][data-stance="denies"]')).to_have_count(1)
    desktop.shot("before")

    page.locator("#draft-token").fill(WRITE_TOKEN)
    berg.locator("select[name=claim]").select_option(CLAIM)
    berg.get_by_role("button", name="Record").click()
    expect(berg.locator(".draft-outcome")).to_contain_text("Recorded at position")
    expect(berg).to_have_attribute("data-recorded", re.compile(r"^[0-9a-f-]{36}$"))

    refusal = page.locator('.draft-card[data-stance="declines_to_comment"]')
    refusal.get_by_role("button", name="Dismiss").click()
    expect(refusal).to_be_hidden()
    desktop.shot("recorded")

    claim = httpx.get(f"{drafts_server}/v1/claims/{CLAIM}", timeout=10).json()
    assert claim["asserted_by"] == ["anna-berg"]
    stance = claim["stances"][0]
    assert stance["source"]["quote"]["exact"].startswith("„Wir haben die Pläne")
    assert stance["conduit"] == ["hafenblatt", "anna-berg"]
    assert desktop.errors == [] and desktop.foreign_requests == []
