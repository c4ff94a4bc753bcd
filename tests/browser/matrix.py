"""What the page tests wait for and read on the timeline page: the matrix settled, a state cell."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.visits import Visit

expect = pytest.importorskip("playwright.sync_api").expect


def settled(visit: Visit) -> None:
    """The timeline is ready and the matrix no longer busy."""
    expect(visit.page.locator("#timeline-view")).to_have_attribute("data-ready", "true")
    expect(visit.page.locator("#matrix")).to_have_attribute("aria-busy", "false")


def state_of(visit: Visit, claim: str) -> Any:
    """The state cell of ``claim``'s row in the matrix."""
    return visit.page.locator(f'#matrix tr[data-claim="{claim}"] [data-role=state]')
