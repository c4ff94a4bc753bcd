"""The timeline page in a real Chromium against a real server on the seeded story.

Each test waits on DOM state (Playwright's ``expect`` retries), never on time. Screenshots of
every day on both axes, at 1280 px and at a phone's 390 px, land in ``tests/artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api_fixtures import CENTRAL, WRITE
from tests.browser.visits import DESKTOP, PHONE, Visit, open_visit
from tests.support.server import serve_seeded

expect = pytest.importorskip("playwright.sync_api").expect

PESKOV_000 = (
    "Regelmäßige Gespräche zwischen Musk und Kremlbeamten fände jedoch nicht statt, so Peskow."
)
DAY_END = {  # the last moment of each day, as the page marks it on #timeline-view
    "said": {
        "2024-10-24": "2024-10-24T00:00:00.000000Z",
        "2024-10-25": "2024-10-25T19:00:00.000000Z",
        "2024-10-26": "2024-10-26T00:00:00.000000Z",
    },
    "recorded": {
        "2024-10-24": "start",
        "2024-10-25": "2024-10-25T19:00:00.000000Z",
        "2024-10-26": "2024-10-26T08:20:00.000000Z",
    },
}


def row(visit: Visit, claim: str) -> Any:
    return visit.page.locator(f'#matrix tr[data-claim="{claim}"]')


def cell(visit: Visit, claim: str, actor: str) -> Any:
    return row(visit, claim).locator(f'td[data-actor="{actor}"]')


def show_day(visit: Visit, axis: str, day: str) -> None:
    """Choose the axis and the day with the mouse, and wait until the matrix shows it."""
    visit.page.locator(f'input[name=axis][value="{axis}"]').check()
    visit.page.locator(f'button[data-day="{day}"]').click()
    expect(visit.page.locator("#timeline-view")).to_have_attribute(
        "data-moment", DAY_END[axis][day]
    )
    expect(visit.page.locator("#matrix")).to_have_attribute("aria-busy", "false")


def api(visit: Visit, path: str, **params: str) -> Any:
    return httpx.get(visit.base + path, params=params, timeout=10).json()


SEED_STORY = "musk-putin-contacts"


def at_day(visit: Visit, axis: str, day: str) -> None:
    """Open the seed story's view of ``day`` on ``axis`` by its shareable URL."""
    visit.open(f"/#/story/{SEED_STORY}?axis={axis}&at={day}")
    expect(visit.page.locator("#timeline-view")).to_have_attribute(
        "data-moment", DAY_END[axis][day]
    )
    expect(visit.page.locator("#matrix")).to_have_attribute("aria-busy", "false")


def test_the_page_opens_on_the_seed_story_as_it_stands_now(desktop: Visit) -> None:
    desktop.open()
    expect(desktop.page.locator("#story-picker")).to_have_value(SEED_STORY)
    expect(desktop.page.locator("#moment-label")).to_contain_text("26 Oct 2024, said-time")
    expect(desktop.page.locator("#next")).to_be_disabled()
    assert f"#/story/{SEED_STORY}?axis=said&at=" in desktop.page.url


def test_the_page_comes_from_the_server_alone_and_shows_24_october(desktop: Visit) -> None:
    at_day(desktop, "said", "2024-10-24")
    expect(desktop.page).to_have_title(re.compile("Claims ledger"))
    expect(desktop.page.locator("#moment-label")).to_contain_text("24 Oct 2024, said-time")
    expect(row(desktop, CENTRAL).locator("[data-role=state]")).to_have_text("asserted")
    expect(cell(desktop, CENTRAL, "wsj")).to_have_text(re.compile("asserts"))
    expect(cell(desktop, CENTRAL, "peskov")).to_have_text("")
    stated = {
        c["key"]
        for c in api(desktop, "/v1/claims", as_of="2024-10-24")["claims"]
        if c["state"] != "unstated"
    }
    shown = desktop.page.locator("#matrix tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.claim)"
    )
    assert set(shown) == stated
    desktop.shot("said-24-oct")
    assert desktop.foreign_requests == []
    assert desktop.errors == []


@pytest.mark.parametrize("axis", ["said", "recorded"])
def test_on_25_october_peskov_denies_and_the_central_claim_turns_contested(
    desktop: Visit, axis: str
) -> None:
    at_day(desktop, axis, "2024-10-24")
    if axis == "recorded":
        expect(desktop.page.locator("#matrix-empty")).to_contain_text("recorded nothing")
        expect(row(desktop, CENTRAL)).to_have_count(0)
    else:
        expect(row(desktop, CENTRAL).locator("[data-role=state]")).to_have_text("asserted")
    desktop.shot(f"{axis}-24-oct")

    show_day(desktop, axis, "2024-10-25")
    expect(row(desktop, CENTRAL).locator("[data-role=state]")).to_have_text("contested")
    expect(cell(desktop, CENTRAL, "peskov")).to_have_attribute("data-stance", "denies")
    expect(cell(desktop, CENTRAL, "peskov")).to_contain_text("denies")
    expect(cell(desktop, CENTRAL, "wsj")).to_have_attribute("data-stance", "asserts")
    expect(cell(desktop, CENTRAL, "dan-tri")).to_have_text("")
    desktop.shot(f"{axis}-25-oct")

    show_day(desktop, axis, "2024-10-26")
    expect(row(desktop, CENTRAL).locator("[data-role=state]")).to_have_text("contested")
    expect(cell(desktop, CENTRAL, "dan-tri")).to_have_attribute("data-stance", "reports")
    desktop.shot(f"{axis}-26-oct")
    assert desktop.errors == []


def test_stepping_moment_by_moment_shows_when_the_claim_changed(desktop: Visit) -> None:
    desktop.open(f"/#/story/{SEED_STORY}?axis=recorded&at=start")
    expect(desktop.page.locator("#timeline-view")).to_have_attribute("data-moment", "start")
    next_button = desktop.page.locator("#next")
    moments = []
    while next_button.is_enabled():
        next_button.click()
        label = desktop.page.locator("#moment-label")
        expect(label).not_to_have_text(moments[-1] if moments else "")
        moments.append(label.inner_text())
        expect(desktop.page.locator("#matrix")).to_have_attribute("aria-busy", "false")
        if "19:00" in moments[-1]:
            changes = desktop.page.locator(f'#moment-summary li[data-claim="{CENTRAL}"]')
            expect(changes).to_contain_text("asserted → contested")
            expect(row(desktop, CENTRAL).locator(".was")).to_have_text(" changed from asserted")
            expect(cell(desktop, CENTRAL, "peskov")).to_have_class(re.compile(r"\bchanged\b"))
    assert [m.split(",")[1].strip() for m in moments] == [
        "07:30 UTC",
        "10:15 UTC",
        "13:40 UTC",
        "19:00 UTC",
        "08:20 UTC",
    ]


def test_a_cell_opens_the_statement_with_its_exact_quote_highlighted(desktop: Visit) -> None:
    desktop.open()
    show_day(desktop, "said", "2024-10-25")
    cell(desktop, CENTRAL, "peskov").click()
    dialog = desktop.page.locator("#statement-dialog")
    expect(dialog).to_have_attribute("open", "")
    expect(dialog.locator("#statement-title")).to_have_text("Dmitry Peskov denies")
    mark = dialog.locator("mark.quote")
    expect(mark).to_have_text(PESKOV_000)
    claim = api(desktop, f"/v1/claims/{CENTRAL}", as_of="2024-10-25")
    stance = next(s for s in claim["stances"] if s["actor"] == "peskov")
    assert mark.inner_text() == stance["source"]["quote"]["exact"]
    document = api(desktop, f"/v1/documents/{stance['source']['document']}")
    start, end = stance["source"]["position"]["start"], stance["source"]["position"]["end"]
    before = dialog.locator(".document-text").evaluate("box => box.firstChild.textContent")
    assert before == document["text"][:start]  # Python counts code points, as the anchor does
    assert document["text"][start:end] == PESKOV_000
    outlet = api(desktop, "/v1/actors/outlet-000")["name"]
    expect(dialog.locator(".conduit li")).to_have_text([f"{outlet} publisher", "Dmitry Peskov"])
    titles = dialog.locator(".conduit li .name").evaluate_all("els => els.map(e => e.title)")
    assert titles == stance["conduit"] == ["outlet-000", "peskov"]
    expect(dialog.locator(".facts")).to_contain_text("Recorded by the ledger25 Oct 2024, 19:00 UTC")
    expect(dialog.locator("[data-status]")).to_have_attribute("data-status", "standing")
    expect(mark).to_be_in_viewport()
    desktop.shot("peskov-denial-dialog")
    dialog.locator("#dialog-close").click()
    expect(dialog).not_to_have_attribute("open", "")
    expect(cell(desktop, CENTRAL, "peskov")).to_be_focused()


def test_the_keyboard_alone_steps_to_25_october_and_opens_the_denial(desktop: Visit) -> None:
    desktop.open()
    keyboard = desktop.page.keyboard
    focused = desktop.page.locator(":focus")
    tab_until(desktop, '[data-day="2024-10-25"]')
    keyboard.press("Enter")
    expect(desktop.page.locator("#timeline-view")).to_have_attribute(
        "data-moment", DAY_END["said"]["2024-10-25"]
    )
    tab_until(desktop, "#matrix tbody th, #matrix tbody td")
    for _ in range(40):
        if focused.evaluate("el => el.closest('tr').dataset.claim") == CENTRAL:
            break
        keyboard.press("ArrowDown")
    for _ in range(20):
        if focused.get_attribute("data-actor") == "peskov":
            break
        keyboard.press("ArrowRight")
    expect(focused).to_have_attribute("data-stance", "denies")
    keyboard.press("Enter")
    expect(desktop.page.locator("#statement-dialog mark.quote")).to_have_text(PESKOV_000)
    expect(desktop.page.locator("#dialog-close")).to_be_focused()
    desktop.shot("keyboard-dialog")
    keyboard.press("Escape")
    expect(desktop.page.locator("#statement-dialog")).not_to_have_attribute("open", "")
    expect(focused).to_have_attribute("data-actor", "peskov")
    keyboard.press("Home")
    expect(focused).to_have_class(re.compile(r"\bclaim-cell\b"))
    keyboard.press("Enter")  # the claim's own cell leads to its history
    expect(desktop.page.locator("#claim-view")).to_have_attribute("data-claim", CENTRAL)
    expect(desktop.page.locator("#claim-title")).to_be_focused()


def tab_until(visit: Visit, selector: str) -> None:
    for _ in range(60):
        visit.page.keyboard.press("Tab")
        if visit.page.locator(":focus").evaluate(f"el => el.matches({selector!r})"):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_a_claims_history_shows_both_axes_and_every_version(desktop: Visit) -> None:
    desktop.open(f"/#/claim/{CENTRAL}")
    view = desktop.page.locator("#claim-view")
    expect(view).to_have_attribute("data-claim", CENTRAL)
    said, recorded = view.locator(".axis-timeline").all()
    expect(said.locator("li.changed")).to_have_text(
        [
            re.compile("24 Oct 2024 The Wall Street Journal asserts unstated → asserted"),
            re.compile("25 Oct 2024 Dmitry Peskov denies asserted → contested"),
        ]
    )
    expect(recorded.locator("li.changed")).to_have_text(
        [
            re.compile("25 Oct 2024, 07:30 UTC The Wall Street Journal asserts unstated → asserted"),
            re.compile("25 Oct 2024, 19:00 UTC Dmitry Peskov denies asserted → contested"),
        ]
    )
    history = api(desktop, f"/v1/claims/{CENTRAL}/history")["statements"]
    expect(view.locator("table.history tbody tr")).to_have_count(len(history))
    desktop.shot("claim-history")
    assert desktop.errors == []


def test_a_document_shows_every_quote_anchor_highlighted(desktop: Visit) -> None:
    document_id = "000_439eb0cae6d670e2.txt"
    desktop.open(f"/#/document/{document_id}")
    view = desktop.page.locator("#document-view")
    expect(view).to_have_attribute("data-document", document_id)
    document = api(desktop, f"/v1/documents/{document_id}")
    expect(view.locator("ol.anchors > li")).to_have_count(len(document["anchors"]))
    text, marked = view.locator(".document-text").evaluate(MARKED_RANGES)
    assert text == document["text"]
    assert marked == union(
        (a["source"]["position"]["start"], a["source"]["position"]["end"])
        for a in document["anchors"]
    )
    desktop.shot("document-000")
    view.locator("ol.anchors a", has_text="peskov denies").first.click()
    expect(desktop.page.locator("mark:focus")).to_contain_text("Regelmäßige Gespräche")


# The text and the highlighted code-point ranges, merged, as the reader sees them.
MARKED_RANGES = """box => {
  let at = 0; const ranges = [];
  for (const node of box.childNodes) {
    const length = Array.from(node.textContent).length;
    if (node.nodeName === "MARK") {
      const last = ranges[ranges.length - 1];
      if (last && last[1] === at) last[1] = at + length; else ranges.push([at, at + length]);
    }
    at += length;
  }
  return [box.textContent, ranges];
}"""


def union(spans: Any) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def test_at_a_phone_width_each_claim_is_a_card_without_sideways_scrolling(phone: Visit) -> None:
    phone.open()
    show_day(phone, "said", "2024-10-25")
    peskov = cell(phone, CENTRAL, "peskov")
    expect(peskov).to_have_text(re.compile(r"denies"))
    expect(peskov.locator(".actor-label")).to_have_text("Dmitry Peskov")
    expect(peskov.locator(".actor-label")).to_be_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    row(phone, CENTRAL).scroll_into_view_if_needed()
    phone.shot("said-25-oct-card")
    peskov.click()
    expect(phone.page.locator("#statement-dialog mark.quote")).to_be_in_viewport()
    phone.shot("peskov-denial-dialog")
    phone.page.locator("#dialog-close").click()
    at_day(phone, "recorded", "2024-10-24")
    phone.shot("recorded-24-oct")
    assert phone.errors == []


@pytest.fixture(scope="module")
def amended_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second seeded server where one statement is retracted and one corrected, over HTTP."""
    yield from serve_seeded(tmp_path_factory.mktemp("amended-server"))


def amend(base: str) -> None:
    """Retract Dan Tri's "15 November" and correct the note of Trump's promise."""
    with httpx.Client(base_url=base, headers=WRITE, timeout=10) as http:
        by_claim = {
            c["key"]: {s["actor"]: s for s in c["stances"]}
            for c in http.get("/v1/claims").json()["claims"]
        }
        wrong = by_claim["us-election-on-15-november-2024"]["dan-tri"]["statement_id"]
        http.post(
            f"/v1/statements/{wrong}/retractions",
            json={"reason": "The election was on 5 November.", "basis": "ledger_error"},
        ).raise_for_status()
        fixed = by_claim["trump-promised-musk-spending-role"]["trump"]["statement_id"]
        current = http.get(f"/v1/statements/{fixed}").json()["current"]
        reading = {
            k: current[k]
            for k in ("claim", "actor", "stance", "conduit", "said_at", "source", "relays")
        }
        http.post(
            f"/v1/statements/{fixed}/corrections",
            json={
                "reason": "Name the reporting outlet in the note.",
                "basis": "ledger_error",
                "statement": reading | {"note": "Trump, as Dan Tri reports him."},
            },
        ).raise_for_status()


def test_a_retraction_and_a_correction_show_in_the_statement(
    chromium: Any, amended_server: str
) -> None:
    amend(amended_server)
    for visit in open_visit(chromium, amended_server, "1280-amended", DESKTOP):
        visit.open()
        # Recorded-time 26 October: the ledger did not yet know of the retraction.
        show_day(visit, "recorded", "2024-10-26")
        cell(visit, "us-election-on-15-november-2024", "dan-tri").click()
        status = visit.page.locator("#statement-dialog [data-status]")
        expect(status).to_have_attribute("data-status", "retracted")
        expect(status).to_contain_text("Retracted for the ledger's own error, recorded by the ledger")
        expect(status).to_contain_text("“The election was on 5 November.” (ledger_error)")
        visit.shot("retracted-later")
        visit.page.keyboard.press("Escape")
        # Said-time 26 October, as known now: a statement the ledger retracted for its own
        # error no longer counts (one its source withdrew would, until the withdrawal).
        show_day(visit, "said", "2024-10-26")
        expect(row(visit, "us-election-on-15-november-2024")).to_have_count(0)
        cell(visit, "trump-promised-musk-spending-role", "trump").click()
        expect(status).to_have_attribute("data-versions", "2")
        expect(status).to_have_attribute("data-status", "standing")
        expect(status).to_contain_text("Corrected: 2 versions; the latest stands.")
        expect(status.locator("li")).to_have_count(2)
        expect(status.locator("li.shown")).to_contain_text("Version 2")
        expect(status).to_contain_text("Corrected for the ledger's own error, recorded by the ledger")
        visit.shot("corrected")
        assert visit.errors == []
