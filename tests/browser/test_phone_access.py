"""The phone by keyboard alone, with no script or style at all, and on Chromium's slow-3G
profile (measured and printed, not bounded)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

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


def test_the_vote_buttons_come_in_the_first_html_and_vote_before_any_script_or_style(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    """What "usable on a weak network" rests on: every open poll's Vote button is in the
    page's own HTML response, and with every script and stylesheet held back (as if they were
    still on their way) a person still votes, gets the receipt, and the ballot counts. (The
    bytes are budgeted in tests/server/edge/test_attendee_weight.py; the time on slow 3G is a
    printed measure below, not an assertion.)"""
    room = Room(server, "Weak network night")
    polls = room.every_kind()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    join(page, room, "Lou")
    first = context.request.get(room.url).text()
    for poll_id in polls.values():
        card = first.split(f'id="poll-{poll_id}"', 1)[1].split("</article>", 1)[0]
        assert '<button type="submit" class="primary">' in card, poll_id
    held: list[str] = []

    def hold_back(route: Any) -> None:
        if route.request.resource_type in ("script", "stylesheet"):
            held.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", hold_back)
    page.goto(room.url)
    assert held and any(u.endswith(".js") for u in held) and any(".css" in u for u in held)
    assert page.evaluate("document.documentElement.classList.contains('js')") is False
    card = page.locator(f"#poll-{polls['single']}")
    card.get_by_label("Library").check()
    card.get_by_role("button", name="Vote").click()
    page.wait_for_url("**receipt=*")
    receipt = parse_qs(urlsplit(page.url).query)["receipt"][0]
    assert re.fullmatch(r"[0-9]+:[0-9a-f]{16}", receipt)
    assert card.locator(".receipt input").input_value() == receipt
    shot(page, shots, "15-no-script-no-style-vote")
    results = {p["poll_id"]: p["results"] for p in room.snapshot()["room"]["polls"]}
    assert results[polls["single"]]["counts"] == [0, 0, 1]
    context.close()


def test_on_slow_3g_the_page_arrives_then_goes_live(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    """Slow 3G end to end: the buttons paint, then the enhancement connects. How long each
    takes is printed (docs/PHONE.md quotes it), never asserted: the machine's load is not
    the page's behaviour."""
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
    # The waits are hang guards, generous on purpose: speed is not what this checks.
    page.get_by_role("button", name="Vote").first.wait_for(timeout=60_000)
    painted = time.monotonic() - started
    page.wait_for_selector("body[data-conn=online]", timeout=60_000)
    live = time.monotonic() - started
    shot(page, shots, "15-slow-3g")
    print(f"slow 3G (measure, not a bound): usable after {painted:.2f} s, live after {live:.2f} s")
    assert page.locator(".rank-moves").first.is_visible()  # enhanced: the ranking's arrows
    context.close()
