"""The relay graph counts statements, not versions: a statement its source corrected twice
was passed on once (docs/timeline-page.md: "arrows thicker with more statements")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.visits import DESKTOP, Visit, open_visit
from tests.support import water_story
from tests.support.server import WRITE

expect = pytest.importorskip("playwright.sync_api").expect
KUEHN_QUOTE = "Der Stadtrat wurde nicht gefragt und nicht informiert."


@pytest.fixture(scope="module")
def corrected_twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The water story, with Petra Kühn's statement (quoted by the Tageblatt) corrected by its
    source twice, each time a new stance."""
    folder = tmp_path_factory.mktemp("relays-server")
    with water_story.served_from_the_file(folder) as (base, http):
        found = http.get("/v1/statements", params={"actor": "petra-kuehn"}).json()
        kuehn = next(
            s for s in found["statements"] if s["source"]["quote"]["exact"] == KUEHN_QUOTE
        )
        for stance, day in (("questions", "2026-11-17"), ("asserts", "2026-11-18")):
            reading: dict[str, Any] = {
                key: kuehn[key] for key in ("claim", "actor", "conduit", "said_at")
            }
            reading["stance"] = stance
            reading["source"] = {
                "document": kuehn["source"]["document"],
                "quote": {"exact": KUEHN_QUOTE},
            }
            answer = http.post(
                f"/v1/statements/{kuehn['statement_id']}/corrections",
                headers=WRITE,
                json={
                    "reason": "Die Zeitung änderte ihren Text.",
                    "basis": "source_changed",
                    "corrected_at": day,
                    "statement": reading,
                },
            )
            assert answer.status_code == 201, answer.text
        yield base


@pytest.fixture
def visit(chromium: Any, corrected_twice: str) -> Iterator[Visit]:
    yield from open_visit(chromium, corrected_twice, "relays-per-statement", DESKTOP)


def test_a_statement_corrected_twice_is_one_passing_on(visit: Visit) -> None:
    visit.open(f"/#/story/{water_story.STORY}?axis=said&lang=en")
    page = visit.page
    expect(page.locator("#timeline-view")).to_have_attribute("data-ready", "true")
    edge = page.locator(
        '#relays-figure .picture-text li[data-from="petra-kuehn"][data-to="tageblatt"]'
    )
    expect(edge).to_have_count(1)
    expect(edge).to_contain_text("(once)")
    assert visit.errors == []
