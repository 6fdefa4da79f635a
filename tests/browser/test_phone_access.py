"""The phone by keyboard alone, and on Chromium's slow-3G profile."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.phone import PHONE, Room, join, shot
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Chrome DevTools' "Slow 3G" preset: 400 ms latency, 400 kbit/s down and up.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8 * 0.8,
           "uploadThroughput": 400 * 1024 / 8 * 0.8}


def _tab_to(page: Any, locator: Any, limit: int = 120) -> None:
    """Press Tab until `locator` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_keyboard_alone_joins_votes_ranks_asks_and_speaks(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = Room(server, "Keys only", moderation="post")
    single = room.poll("single", "Open on Sundays?", options=["Yes", "No"])
    ranking = room.poll("ranking", "Order these", options=["Parks", "Roads", "Library"])
    budget = room.poll("budget", "Share it", options=["Parks", "Roads"], total=10)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(room.url)
    _tab_to(page, page.locator("#name"))
    page.keyboard.type("Kim")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-conn=online]")

    _tab_to(page, page.locator(f"#poll-{single}").get_by_label("Yes"))
    page.keyboard.press("ArrowDown")  # within a radio group the arrows choose
    assert page.locator(f"#poll-{single}").get_by_label("No").is_checked()
    _tab_to(page, page.locator(f"#poll-{single}").get_by_role("button", name="Vote"))
    page.keyboard.press("Enter")
    page.locator(f"#poll-{single} .receipt input").wait_for()

    card = page.locator(f"#poll-{ranking}")
    _tab_to(page, card.get_by_role("button", name="Move up: Library"))
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the focus stays on the moved option's arrow
    assert [t.strip() for t in card.locator(".rank-text").all_inner_texts()] == [
        "Library", "Parks", "Roads"]
    assert "Library is now number 1" in page.locator("#announce").inner_text()
    _tab_to(page, card.get_by_role("button", name="Vote"))
    page.keyboard.press("Enter")
    card.locator(".receipt input").wait_for()

    card = page.locator(f"#poll-{budget}")
    _tab_to(page, card.get_by_label("Roads", exact=True))
    page.keyboard.press("Control+a")
    page.keyboard.type("6")
    card.get_by_text("4 points left").wait_for()
    _tab_to(page, card.get_by_role("button", name="Vote"))
    page.keyboard.press("Enter")
    card.locator(".receipt input").wait_for()

    _tab_to(page, page.get_by_label("Ask a question"))
    page.keyboard.type("Can we have more benches?")
    _tab_to(page, page.get_by_role("button", name="Send question"))
    page.keyboard.press("Enter")
    page.locator("#my-questions").get_by_text("Published").wait_for()
    _tab_to(page, page.get_by_role("button", name="Request to speak"))
    page.keyboard.press("Enter")
    page.get_by_text("Your place in the queue: 1").wait_for()
    shot(page, shots, "14-keyboard")

    results = {p["poll_id"]: p["results"] for p in room.snapshot()["room"]["polls"]}
    assert results[single]["counts"] == [0, 1]
    assert results[budget]["points"] == [0, 6]
    context.close()


def test_usable_on_slow_3g_within_5_seconds(server: LiveServer, browser: Any, shots: Path) -> None:
    room = Room(server, "Weak network night")
    room.every_kind()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    join(page, room, "Lou")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    started = time.monotonic()
    page.goto(room.url, wait_until="commit")
    # Usable: the vote buttons are on screen and styled (with no script, they post) ...
    page.get_by_role("button", name="Vote").first.wait_for(timeout=5000)
    painted = time.monotonic() - started
    # ... and the enhancement is live: connected, the arrows of the ranking showing.
    page.wait_for_selector("body[data-conn=online]", timeout=10_000)
    live = time.monotonic() - started
    shot(page, shots, "15-slow-3g")
    print(f"slow 3G: usable after {painted:.2f} s, live after {live:.2f} s")
    assert page.locator(".rank-moves").first.is_visible()
    assert painted < 5, painted
    assert live < 5, live
    context.close()
