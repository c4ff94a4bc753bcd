"""The page tells a correction the way the source told it (issue 23): the Lindenau water-price
story loaded from its story file, Korrektur included, in a real Chromium.

Screenshots land in ``tests/artifacts/`` (``1280-korrektur-*.png``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.matrix import settled, state_of
from tests.browser.visits import DESKTOP, Visit, open_visit
from tests.support import water_story
from tests.support.server import WRITE

expect = pytest.importorskip("playwright.sync_api").expect
STORY = water_story.STORY
EIGHTEEN = water_story.EIGHTEEN
SAME_DAY = "same-day"


@pytest.fixture(scope="module")
def korrektur_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The story file loaded by ``ledger stories load``, and a report and its denial said the
    same day written over HTTP, on a fresh database."""
    with water_story.served_from_the_file(tmp_path_factory.mktemp("korrektur-server")) as (
        base,
        http,
    ):
        write_a_report_and_its_denial_on_one_day(http)
        yield base


def write_a_report_and_its_denial_on_one_day(http: httpx.Client) -> None:
    text = "Die Zeitung meldet: Das Freibad schließt. Der Bürgermeister sagt: Es bleibt offen."
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("/v1/stories", {"key": SAME_DAY, "title": "Freibad"}),
        ("/v1/actors", {"key": "zeitung", "name": "Zeitung", "kind": "outlet"}),
        ("/v1/actors", {"key": "buergermeister", "name": "Bürgermeister", "kind": "person"}),
        (
            "/v1/claims",
            {
                "key": "freibad-schliesst",
                "story": SAME_DAY,
                "propositions": {"de": "Das Freibad schließt."},
            },
        ),
        (
            "/v1/documents",
            {
                "document_id": "freibad.txt",
                "publisher": "zeitung",
                "language": "de",
                "dated": "2026-07-01",
                "text": text,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
        ),
    ]
    for stance, actor, conduit, exact in (
        ("asserts", "zeitung", ["zeitung"], "Das Freibad schließt."),
        ("denies", "buergermeister", ["zeitung", "buergermeister"], "Es bleibt offen."),
    ):
        bodies.append(
            (
                "/v1/statements",
                {
                    "claim": "freibad-schliesst",
                    "actor": actor,
                    "stance": stance,
                    "conduit": conduit,
                    "said_at": {"precision": "day", "value": "2026-07-01"},
                    "source": {"document": "freibad.txt", "quote": {"exact": exact}},
                },
            )
        )
    for url, body in bodies:
        answer = http.post(url, json=body, headers=WRITE)
        assert answer.status_code == 201, answer.text


@pytest.fixture
def desktop(chromium: Any, korrektur_server: str) -> Iterator[Visit]:
    yield from open_visit(chromium, korrektur_server, "1280-korrektur", DESKTOP)


def test_the_paper_asserts_18_percent_until_its_korrektur_day(desktop: Visit) -> None:
    desktop.open(f"/#/story/{STORY}?axis=said&at=2026-11-16")
    settled(desktop)
    for day, state in (
        ("2026-11-16", "asserted"),
        ("2026-11-17", "contested"),
        ("2026-11-18", "denied"),
    ):
        desktop.page.locator(f'#days [data-day="{day}"]').click()
        expect(desktop.page.locator("#timeline-view")).to_have_attribute(
            "data-moment", re.compile(f"^{day}")
        )
        settled(desktop)
        expect(state_of(desktop, EIGHTEEN)).to_have_text(state)
        cell = desktop.page.locator(
            f'#matrix tr[data-claim="{EIGHTEEN}"] td[data-actor="tageblatt"]'
        )
        expect(cell).to_contain_text("denies" if day == "2026-11-18" else "asserts")
        desktop.page.locator("#moment-summary details.steps").last.evaluate("d => d.open = true")
        desktop.shot(f"said-{day}")
    summary = desktop.page.locator("#moment-summary")
    expect(summary).to_contain_text("1 corrected by its source")
    expect(summary.locator(f'li[data-claim="{EIGHTEEN}"]')).to_contain_text("contested → denied")
    expect(summary).to_contain_text("Lindenauer Tageblatt asserts → denies")
    expect(summary).to_contain_text("corrected by its source 18 Nov 2026; recorded by the ledger")
    assert desktop.errors == [] and desktop.foreign_requests == []


def test_the_claim_page_and_the_statement_dialog_give_the_source_date_first(
    desktop: Visit,
) -> None:
    desktop.open(f"/#/claim/{EIGHTEEN}")
    said = desktop.page.locator('#claim-view section[aria-label="By said-time"] li')
    expect(said).to_have_count(4)
    expect(said.last).to_contain_text(
        "18 Nov 2026 Lindenauer Tageblatt asserts → denies contested → denied"
    )
    expect(said.last).to_contain_text("corrected by its source 18 Nov 2026; recorded by the ledger")
    row = desktop.page.locator("#claim-view table.history tr", has_text="zum 1. November um 18 Prozent")
    expect(row).to_contain_text("corrected by the source 18 Nov 2026; recorded")
    desktop.shot("claim-page")
    row.locator("button.open").click()
    status = desktop.page.locator("#statement-dialog .status")
    expect(status).to_contain_text("Corrected by the source 18 Nov 2026; recorded by the ledger")
    expect(status).to_contain_text("(source_changed)")
    desktop.shot("statement-dialog")
    assert desktop.errors == []


def test_a_report_and_its_denial_said_the_same_day_are_two_changes_in_order(
    desktop: Visit,
) -> None:
    desktop.open(f"/#/story/{SAME_DAY}?axis=said&at=2026-07-01")
    settled(desktop)
    changes = desktop.page.locator('#moment-summary li[data-claim="freibad-schliesst"]')
    expect(changes).to_have_count(2)
    expect(changes.first).to_contain_text("unstated → asserted")
    expect(changes.last).to_contain_text("asserted → contested")
    desktop.shot("same-day")


def test_on_the_recorded_axis_the_korrektur_is_a_step_when_the_ledger_read_it(
    desktop: Visit,
) -> None:
    desktop.open(f"/#/story/{STORY}?axis=recorded")
    settled(desktop)
    moments = 0
    while desktop.page.locator("#previous").is_enabled():
        desktop.page.locator("#previous").click()
        settled(desktop)
        moments += 1
    seen = []
    while desktop.page.locator("#next").is_enabled():
        desktop.page.locator("#next").click()
        settled(desktop)
        seen.append(desktop.page.locator("#moment-summary").text_content() or "")
    korrektur = [text for text in seen if "Lindenauer Tageblatt asserts → denies" in text]
    assert len(korrektur) == 1, seen
    assert "corrected by its source 18 Nov 2026; recorded by the ledger" in korrektur[0]
    assert moments == len(seen)
    expect(state_of(desktop, EIGHTEEN)).to_have_text("denied")
    desktop.page.locator("#moment-summary details.steps").last.evaluate("d => d.open = true")
    desktop.shot("recorded-end")
