"""The page for any story: a second story written over HTTP (exact quotes only), then driven
through its own days on both axes, the shareable URL, and the search box, in a real Chromium.

Screenshots land in ``tests/artifacts/`` (``1280-harbour-*.png``, ``390-harbour-*.png``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import second_story
from tests.support.api_fixtures import WRITE
from tests.browser.matrix import settled, state_of
from tests.browser.visits import DESKTOP, PHONE, Visit, open_visit
from tests.support.server import serve_seeded

expect = pytest.importorskip("playwright.sync_api").expect
STORY = second_story.STORY["key"]
DOUBLED = "bridge-cost-doubled"


@pytest.fixture(scope="module")
def story_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded server to which the second story is added over HTTP, as a newsroom would."""
    for base in serve_seeded(tmp_path_factory.mktemp("story-server")):
        with httpx.Client(base_url=base, timeout=10) as http:
            second_story.write_story(http, WRITE)
        yield base


@pytest.fixture(scope="module")
def visited(story_server: str) -> tuple[str, str]:
    """The conftest's ``desktop`` and ``phone`` visits open the story's server."""
    return story_server, "-harbour"


def choose_story(visit: Visit) -> None:
    visit.open()
    visit.page.locator("#story-picker").select_option(STORY)
    expect(visit.page.locator("#timeline-title")).to_have_text(
        f"How the story changed: {second_story.STORY['title']}"
    )
    expect(visit.page).to_have_url(re.compile(rf"#/story/{STORY}\?axis=said&at="))
    settled(visit)


def test_the_picker_shows_the_new_story_with_its_own_days_and_actor_columns(
    desktop: Visit,
) -> None:
    choose_story(desktop)
    days = desktop.page.locator("#days [data-day]")
    expect(days).to_have_text(["3 Mar 2025", "4 Mar 2025", "5 Mar 2025"])
    headers = desktop.page.locator("#matrix thead th[data-actor]")
    names = {actor["key"]: actor["name"] for actor in second_story.ACTORS}
    expect(headers).to_have_count(len(names))
    for header in headers.all():
        assert header.inner_text() == names[header.get_attribute("title")]
    assert desktop.page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert desktop.errors == [] and desktop.foreign_requests == []


def test_its_said_days_show_the_claim_contested_then_the_figure_withdrawn(desktop: Visit) -> None:
    choose_story(desktop)
    for day, doubled in (
        ("2025-03-03", "asserted"),
        ("2025-03-04", "contested"),
        ("2025-03-05", "denied"),  # the Herald withdrew its figure at 08:00
    ):
        desktop.page.locator(f'#days [data-day="{day}"]').click()
        expect(desktop.page.locator("#timeline-view")).to_have_attribute(
            "data-moment", re.compile(f"^{day}")
        )
        settled(desktop)
        expect(state_of(desktop, DOUBLED)).to_have_text(doubled)
        desktop.shot(f"said-{day}")
    expect(state_of(desktop, "bridge-cost-34-million")).to_have_text("asserted")
    summary = desktop.page.locator(f'#moment-summary li[data-claim="{DOUBLED}"]')
    expect(summary).to_contain_text("contested → denied")


def test_its_recorded_axis_starts_empty_and_steps_to_everything_recorded(desktop: Visit) -> None:
    choose_story(desktop)
    desktop.page.locator('input[name=axis][value="recorded"]').check()
    # It was all recorded today, long after 5 March 2025: by the end of that day, nothing.
    expect(desktop.page.locator("#timeline-view")).to_have_attribute("data-moment", "start")
    settled(desktop)
    expect(desktop.page.locator("#days [data-day]")).not_to_have_count(0)
    expect(desktop.page.locator("#matrix-empty")).to_contain_text("Nobody had stated any claim")
    desktop.shot("recorded-start")
    steps = 0
    while desktop.page.locator("#next").is_enabled():
        desktop.page.locator("#next").click()
        settled(desktop)
        steps += 1
    assert steps == len(second_story.STATEMENTS) + 1  # six statements and the withdrawal
    expect(state_of(desktop, DOUBLED)).to_have_text("denied")
    desktop.shot("recorded-end")


def test_the_url_keeps_story_axis_and_moment_and_opens_the_same_view(
    desktop: Visit, chromium: Any, story_server: str
) -> None:
    choose_story(desktop)
    desktop.page.locator('#days [data-day="2025-03-04"]').click()
    expect(desktop.page.locator("#timeline-view")).to_have_attribute(
        "data-moment", re.compile("^2025-03-04")
    )
    settled(desktop)
    url = desktop.page.url
    assert f"#/story/{STORY}?axis=said&at=2025-03-04" in url
    moment = desktop.page.locator("#timeline-view").get_attribute("data-moment")
    for shared in open_visit(chromium, story_server, "1280-harbour-shared", DESKTOP):
        shared.open(url.removeprefix(story_server))
        settled(shared)
        expect(shared.page.locator("#story-picker")).to_have_value(STORY)
        expect(shared.page.locator("#timeline-view")).to_have_attribute("data-moment", moment)
        expect(state_of(shared, DOUBLED)).to_have_text("contested")
        shared.shot("shared-link")
        assert shared.errors == []


def test_the_search_box_finds_quotes_and_claims_of_the_story(desktop: Visit) -> None:
    choose_story(desktop)
    box = desktop.page.locator("#search-q")
    box.fill("anyone")
    box.press("Enter")
    quotes = desktop.page.locator("#search-results .search-quotes li")
    expect(quotes).to_have_count(1)
    expect(quotes).to_contain_text("no report was kept from anyone")
    expect(quotes).to_contain_text("Anna Berg, City Hall spokesperson denies")
    box.fill("council public")
    desktop.page.locator("#search button").click()
    claims = desktop.page.locator("#search-results .search-claims li")
    expect(claims).to_have_attribute("data-claim", "council-kept-cost-report-back")
    desktop.shot("search")
    box.fill("Peskow")  # a word of the seed story, not of this one
    box.press("Enter")
    expect(desktop.page.locator("#search-count")).to_contain_text("Nothing in this story")


def test_at_a_phone_width_the_story_reads_as_cards(phone: Visit) -> None:
    choose_story(phone)
    phone.page.locator('#days [data-day="2025-03-04"]').click()
    settled(phone)
    denial = phone.page.locator(f'#matrix tr[data-claim="{DOUBLED}"] td[data-actor="anna-berg"]')
    expect(denial).to_contain_text("denies")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.shot("said-2025-03-04")
    assert phone.errors == []
