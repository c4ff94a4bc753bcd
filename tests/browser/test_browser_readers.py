"""Issue 27 in Chromium: a German story, written over HTTP here, read as its readers would.

Names instead of keys, the reader's language and its switch, both pictures following the time
control, a statement opened from a URL, the embed framed by an allowed origin and refused by
another, and the layout at 1280 px and 390 px with 23 actors. The server starts on an empty
ledger (no seed) with ``LEDGER_EMBED_ORIGINS`` naming one origin.

Screenshots land in ``tests/artifacts/`` (``readers-*.png``).
"""

from __future__ import annotations

import html
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from tests.browser.matrix import settled
from tests.browser.visits import ARTIFACTS, DESKTOP, PHONE, Visit
from tests.support import german_story as story
from tests.support.api_fixtures import WRITE
from tests.support.server import LedgerServer, free_port, run_ledger

expect = pytest.importorskip("playwright.sync_api").expect
TIMELINE = f"/#/story/{story.KEY}"
KEYS = [actor["key"] for actor in story.ACTORS] + [claim["key"] for claim in story.CLAIMS]


class FramingPage(BaseHTTPRequestHandler):
    """A fact-check page of another site that frames the story (``?src=`` the embed's URL)."""

    def do_GET(self) -> None:  # noqa: N802 (the handler's name)
        src = parse_qs(urlsplit(self.path).query).get("src", [""])[0]
        body = (
            "<!doctype html><title>Faktencheck</title><h1>Ein Faktencheck</h1>"
            f'<iframe id="story" src="{html.escape(src)}" width="1000" height="640" '
            'title="Die Geschichte im Register"></iframe>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def framing_port() -> Iterator[int]:
    """Another site on this machine: http://127.0.0.1:PORT may frame, http://localhost:PORT
    (another origin, the same server) may not."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FramingPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def empty_server(folder: Path, embed_origins: list[str]) -> Iterator[str]:
    server = LedgerServer(
        f"sqlite:///{folder / 'ledger.db'}", folder, LEDGER_EMBED_ORIGINS=json.dumps(embed_origins)
    )
    run_ledger(server.env, "db", "upgrade")
    with server:
        yield server.base


@pytest.fixture(scope="module")
def reader_server(tmp_path_factory: pytest.TempPathFactory, framing_port: int) -> Iterator[str]:
    """An empty ledger to which the German story is added over HTTP, as a newsroom would;
    the framing site's 127.0.0.1 origin may embed it."""
    allowed = [f"http://127.0.0.1:{framing_port}"]
    for base in empty_server(tmp_path_factory.mktemp("reader-server"), allowed):
        with httpx.Client(base_url=base, timeout=10) as http:
            story.write_story(http, WRITE)
        yield base


def visit_in(
    browser: Any, base: str, name: str, viewport: dict[str, int], locale: str = "de-DE"
) -> Iterator[Visit]:
    """A tab whose browser speaks ``locale``; requests to other hosts are refused and kept."""
    context = browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    visit = Visit(page=tab, base=base, name=name)
    origin = urlsplit(base).netloc

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            visit.foreign_requests.append(route.request.url)
            route.abort()

    tab.route("**/*", guard)
    tab.on("pageerror", lambda error: visit.errors.append(str(error)))
    tab.on("console", lambda m: m.type == "error" and visit.errors.append(m.text))
    try:
        yield visit
    finally:
        context.close()


@pytest.fixture
def german(chromium: Any, reader_server: str) -> Iterator[Visit]:
    yield from visit_in(chromium, reader_server, "readers-1280-de", DESKTOP)


def at_day(visit: Visit, day: str, extra: str = "") -> None:
    visit.open(f"{TIMELINE}?axis=said&at={day}{extra}")
    expect(visit.page.locator("#timeline-view")).to_have_attribute(
        "data-moment", re.compile(f"^{day}")
    )
    settled(visit)


def visible_text(visit: Visit) -> str:
    return str(visit.page.evaluate("document.body.innerText"))


def keys_in(text: str) -> list[str]:
    return [key for key in KEYS if key in text]


def api(base: str, path: str, **headers: str) -> Any:
    return httpx.get(base + path, headers=headers, timeout=10).json()


def test_the_story_reads_in_german_with_names_not_keys_and_fits_1280_px(german: Visit) -> None:
    at_day(german, "2025-06-05")
    page = german.page
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#timeline-title")).to_have_text(
        f"Wie sich die Geschichte entwickelte: {story.STORY['title']}"
    )
    raised = page.locator(f'#matrix tr[data-claim="{story.RAISED}"] .claim-link')
    expect(raised).to_have_text(story.CLAIMS[0]["propositions"]["de"])
    expect(raised).to_have_attribute("title", story.RAISED)  # the key on hover
    expect(
        page.locator(f'#matrix tr[data-claim="{story.PROPOSAL}"] [data-role=state]')
    ).to_have_text("umstritten")
    page.locator("#moment-summary details.steps").last.evaluate("d => d.open = true")
    assert keys_in(visible_text(german)) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    chips = page.locator(f'#matrix tr[data-claim="{story.PROPOSAL}"] td.has-stance')
    expect(chips).to_have_count(len(story.COUNCIL) + 1)  # 20 members and the paper
    expect(chips.first).to_be_visible()
    german.shot("said-2025-06-05", full_page=True)

    page.locator(
        f'#matrix tr[data-claim="{story.ENERGY}"] td[data-actor="{story.DIRECTOR}"]'
    ).click()
    dialog = page.locator("#statement-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#statement-title")).to_have_text(
        "Jonas Weber, Geschäftsführer der Stadtwerke behauptet"
    )
    expect(dialog.locator(".conduit li")).to_have_text(
        [
            "Radio Lindenau Herausgeber",
            "Lindenauer Anzeiger",
            "Jonas Weber, Geschäftsführer der Stadtwerke",
        ]
    )
    expect(dialog.locator(".conduit li .name").first).to_have_attribute("title", story.RADIO)
    assert keys_in(str(dialog.evaluate("d => d.innerText"))) == []
    german.shot("dialog-conduit")
    page.keyboard.press("Escape")

    for path in (
        f"/#/claim/{story.RAISED}",
        "/#/document/anzeiger-2025-06-02.txt",
        f"/#/documents?story={story.KEY}",
    ):
        german.open(path)
        expect(page.locator(".view:not([hidden]) h1")).to_be_visible()
        page.wait_for_function("document.querySelector('.view:not([hidden]) h1').innerText !== ''")
        page.wait_for_load_state("networkidle")
        assert keys_in(visible_text(german)) == [], path
    german.shot("documents-of-the-story")
    assert german.errors == [] and german.foreign_requests == []


def test_the_language_follows_the_browser_the_url_and_the_switch(
    chromium: Any, reader_server: str
) -> None:
    english = story.CLAIMS[1]["propositions"]["en"]
    german_text = story.CLAIMS[1]["propositions"]["de"]
    row = f'#matrix tr[data-claim="{story.PROPOSAL}"] .claim-link'
    for visit in visit_in(chromium, reader_server, "readers-1280-en", DESKTOP, locale="en-GB"):
        at_day(visit, "2025-06-02")
        expect(visit.page.locator(row)).to_have_text(english)
        expect(visit.page.locator("#timeline-title")).to_contain_text("How the story changed")
        visit.page.locator("#language-picker").select_option("de")
        expect(visit.page.locator(row)).to_have_text(german_text)
        expect(visit.page.locator("#timeline-title")).to_contain_text("Wie sich die Geschichte")
        expect(visit.page.locator("#days [data-day]").first).to_have_text("2. Juni 2025")
        expect(visit.page).to_have_url(re.compile(r"lang=de"))
        settled(visit)
        visit.shot("switched-to-german")
        shared = visit.page.url.removeprefix(reader_server)
        visit.open(shared)  # the chosen language is in the link
        expect(visit.page.locator(row)).to_have_text(german_text)
        visit.open(f"{TIMELINE}?axis=said&at=2025-06-02&lang=en")
        expect(visit.page.locator(row)).to_have_text(english)
        assert visit.errors == []


def marks(visit: Visit) -> Any:
    return visit.page.locator("#lanes-figure svg g.mark")


def said_steps(base: str, claim: str | None = None) -> list[dict[str, Any]]:
    window = f"/v1/replay?from=2025-06-01&to=2025-06-30&axis=said&story={story.KEY}"
    return api(base, window + (f"&claim={claim}" if claim else ""))["steps"]  # type: ignore[no-any-return]


def up_to(steps: list[dict[str, Any]], day: str) -> int:
    return sum(1 for step in steps if step["at"][:10] <= day)


def test_both_pictures_are_there_with_text_and_follow_the_time_control(
    german: Visit, reader_server: str
) -> None:
    steps = said_steps(reader_server)
    page = german.page
    at_day(german, "2025-06-02")
    lanes, relays = page.locator("#lanes-figure svg"), page.locator("#relays-figure svg")
    for svg in (lanes, relays):
        expect(svg).to_have_attribute("role", "img")
        assert svg.locator("title").first.text_content() and svg.locator("desc").text_content()
    said_first_day = up_to(steps, "2025-06-02")
    # the paper's 18 per cent (it stands until its correction on 5 June), its Vorlagen, and
    # Weber's words in the paper and the radio
    assert said_first_day == 4
    expect(marks(german)).to_have_count(said_first_day)
    expect(page.locator("#lanes-figure")).to_have_attribute("data-shown", str(said_first_day))
    edges = page.locator("#relays-figure svg path.edge")
    expect(
        page.locator(
            f'#relays-figure path.edge[data-from="{story.DIRECTOR}"][data-to="{story.PAPER}"]'
        )
    ).to_have_count(1)
    expect(
        page.locator(
            f'#relays-figure path.edge[data-from="{story.PAPER}"][data-to="{story.RADIO}"]'
        )
    ).to_have_count(1)
    expect(page.locator("#relays-figure .picture-text li").first).to_contain_text(
        "gab die Worte von"
    )
    page.locator("#pictures").scroll_into_view_if_needed()
    german.shot("pictures-2025-06-02")

    page.locator('#days [data-day="2025-06-05"]').click()
    settled(german)
    total = len(steps)
    expect(marks(german)).to_have_count(total)
    expect(
        page.locator('#lanes-figure g.mark[data-type="StatementCorrected"] circle.corrected')
    ).to_have_count(1)
    expect(
        page.locator('#lanes-figure g.mark[data-type="StatementRetracted"] path.withdrawn')
    ).to_have_count(1)
    assert edges.count() >= 2 + len(story.COUNCIL)  # each member's words passed on by the paper
    expect(page.locator("#lanes-figure .picture-text > ul > li")).to_have_count(len(story.ACTORS))
    page.locator("#lanes-figure").scroll_into_view_if_needed()
    german.shot("pictures-2025-06-05", full_page=True)

    page.locator("#previous").click()  # the slider's step back: the pictures go with it
    settled(german)
    expect(marks(german)).not_to_have_count(total)

    page.locator("#picture-claim").select_option(story.ENERGY)
    expect(page).to_have_url(re.compile(f"claim={story.ENERGY}"))
    expect(marks(german)).to_have_count(
        up_to(said_steps(reader_server, story.ENERGY), "2025-06-04")
    )
    expect(page.locator(f'#matrix tr.focused[data-claim="{story.ENERGY}"]')).to_have_count(1)
    page.locator("#relays-figure").scroll_into_view_if_needed()
    german.shot("pictures-one-claim")
    page.locator("#moment").fill("0")
    settled(german)
    expect(marks(german)).to_have_count(0)
    expect(page.locator("#relays-figure svg text.empty")).to_be_visible()
    assert german.errors == []


def test_a_statement_a_search_and_a_claim_open_from_the_url(
    german: Visit, reader_server: str
) -> None:
    statements = api(reader_server, f"/v1/statements?claim={story.ENERGY}")["statements"]
    weber = next(s for s in statements if s["conduit"][0] == story.RADIO)
    at_day(
        german,
        "2025-06-05",
        f"&statement={weber['statement_id']}&q=Vorlagen&claim={story.PROPOSAL}",
    )
    page = german.page
    dialog = page.locator("#statement-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("data-statement", weber["statement_id"])
    expect(dialog.locator("mark.quote")).to_have_text(weber["source"]["quote"]["exact"])
    expect(page.locator("#search-q")).to_have_value("Vorlagen")
    expect(page.locator("#search-results .search-claims li")).to_have_count(1)
    expect(page.locator("#picture-claim")).to_have_value(story.PROPOSAL)
    german.shot("opened-from-url")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).not_to_have_url(re.compile("statement="))
    page.locator(f'#matrix tr[data-claim="{story.RAISED}"] td[data-actor="{story.PAPER}"]').click()
    expect(page).to_have_url(re.compile("statement="))
    page.keyboard.press("Escape")
    # A search typed in the box is kept too, and the inflected and prefix words find German.
    page.locator("#search-q").fill("Preiserh*")
    page.locator("#search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"q=Preiserh"))
    expect(page.locator("#search-results .search-claims li")).to_have_count(2)
    assert german.errors == []


def test_a_story_opened_without_a_moment_shares_the_moment_it_shows(german: Visit) -> None:
    """Opened without ``at``, the page shows the story's last moment; the URL it writes must
    name that moment, so the link reopens on what the reader saw (not on the empty start)."""
    german.open(TIMELINE)
    settled(german)
    shown = german.page.locator("#timeline-view").get_attribute("data-moment")
    assert shown != "start"
    shared = german.page.url
    assert "at=start" not in shared
    german.page.goto("about:blank")
    german.page.goto(shared)
    german.page.wait_for_selector("body[data-ready=true]")
    settled(german)
    expect(german.page.locator("#timeline-view")).to_have_attribute("data-moment", shown)
    assert german.errors == []


def test_the_embed_is_framed_by_an_allowed_origin_and_refused_by_another(
    chromium: Any, reader_server: str, framing_port: int
) -> None:
    allowed = f"http://127.0.0.1:{framing_port}"
    refused = f"http://localhost:{framing_port}"
    embed = quote(f"{reader_server}/embed/story/{story.KEY}?lang=de", safe="")
    context = chromium.new_context(viewport=DESKTOP, locale="de-DE")
    context.set_default_timeout(10_000)
    try:
        host = context.new_page()
        host.goto(f"{allowed}/faktencheck?src={embed}")
        frame = host.frame_locator("#story")
        expect(frame.locator("body.embed[data-ready=true]")).to_be_attached()
        expect(frame.locator(f'#matrix tr[data-claim="{story.PROPOSAL}"]')).to_be_visible()
        expect(frame.locator("#pictures")).to_be_hidden()
        expect(frame.locator("header.site")).to_be_hidden()
        ARTIFACTS.mkdir(exist_ok=True)
        host.screenshot(path=str(ARTIFACTS / "readers-embed-allowed.png"))

        other = context.new_page()
        blocked: list[str] = []
        other.on("console", lambda message: blocked.append(message.text))
        other.goto(f"{refused}/faktencheck?src={embed}")
        other.wait_for_timeout(1500)
        framed = other.frames[1]
        assert framed.url.startswith("chrome-error://") or not framed.evaluate(
            "() => Boolean(document.body && document.body.dataset.ready)"
        ), framed.url
        assert any("frame-ancestors" in text for text in blocked), blocked
        other.screenshot(path=str(ARTIFACTS / "readers-embed-refused.png"))
    finally:
        context.close()
    headers = httpx.get(f"{reader_server}/embed/story/{story.KEY}", timeout=10).headers
    assert f"frame-ancestors {allowed}" in headers["content-security-policy"]
    page_policy = httpx.get(f"{reader_server}/", timeout=10).headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page_policy
    assert httpx.get(f"{reader_server}/embed/story/no-such-story", timeout=10).status_code == 404


def test_at_a_phone_width_the_23_actors_read_as_cards(chromium: Any, reader_server: str) -> None:
    for phone in visit_in(chromium, reader_server, "readers-390-de", PHONE):
        at_day(phone, "2025-06-04")
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        card = phone.page.locator(f'#matrix tr[data-claim="{story.PROPOSAL}"]')
        expect(card.locator(".actor-label").first).to_be_visible()
        phone.shot("said-2025-06-04", full_page=True)
        assert phone.errors == []


def test_an_empty_ledger_opens_on_a_welcome_view(
    chromium: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for base in empty_server(tmp_path_factory.mktemp("empty-server"), []):
        for visit in visit_in(chromium, base, "readers-1280-en", DESKTOP, locale="en-US"):
            visit.open("/")
            expect(visit.page.locator("#welcome-view")).to_be_visible()
            expect(visit.page.locator("#welcome-view")).to_contain_text("ledger stories load")
            expect(visit.page.locator("#timeline-view")).to_be_hidden()
            visit.shot("welcome")
            assert visit.errors == []


def test_the_first_paint_needs_no_script(chromium: Any, reader_server: str) -> None:
    """The HTML alone shows the page's skeleton (heading, controls, "Loading") at once."""
    context = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{reader_server}/#/story/{story.KEY}")
        expect(tab.locator("#timeline-title")).to_be_visible()
        expect(tab.locator("#controls")).to_be_visible()
        expect(tab.locator("#loading")).to_have_text("Loading the story…")
        expect(tab.locator("noscript p[lang=de]")).to_have_count(1)
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "readers-first-paint-without-script.png"))
    finally:
        context.close()
