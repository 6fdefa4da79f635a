"""The panel follows the room while one of its sections has focus. Opening a tab focuses its
section; the morph used to spare the focused element's whole subtree, so a speaker request
from a phone without JavaScript never showed until a reload (issue 14's refresh bug)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_panel_meeting import PHONE, _start, _tab
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROUNDS = 5  # it failed every round before the fix; several rounds also cover a busy panel


def _request_to_speak(browser: Any, server: LiveServer, code: str, name: str) -> None:
    ctx = browser.new_context(java_script_enabled=False, **PHONE)
    phone = ctx.new_page()
    phone.goto(f"{server.http}/r/{code}")
    phone.get_by_label("Your name").fill(name)
    phone.get_by_role("button", name="Join").click()
    phone.get_by_role("button", name="Request to speak").click()
    phone.get_by_text("Your place in the queue").wait_for()
    ctx.close()


def test_a_focused_section_shows_each_new_speaker_request(
    server: LiveServer, browser: Any
) -> None:
    ctx, mod = _start(browser, server, "Public comment")
    code = mod.locator(".bar .code").inner_text()
    _tab(mod, "speakers")
    speakers = mod.locator("#speakers")
    assert mod.evaluate("() => document.activeElement.id") == "speakers"
    for i in range(1, ROUNDS + 1):
        _request_to_speak(browser, server, code, f"Speaker {i}")
        # no reload: the live refresh alone brings each request in
        speakers.locator("li", has_text=f"Speaker {i}").wait_for()
        speakers.locator("h2 .count", has_text=str(i)).wait_for()
        assert mod.evaluate("() => document.activeElement.id") == "speakers"  # focus stays
    assert speakers.locator(".speaker-queue li").count() == ROUNDS
    ctx.close()


def test_a_half_typed_field_survives_a_refresh(server: LiveServer, browser: Any) -> None:
    """What the old option was for: the focused text field keeps what is being typed."""
    ctx, mod = _start(browser, server, "Typing")
    code = mod.locator(".bar .code").inner_text()
    _tab(mod, "people")
    search = mod.get_by_label("Name", exact=True)
    search.fill("Mar")
    _request_to_speak(browser, server, code, "Maria")
    mod.locator("#people tr", has_text="Maria").wait_for()
    assert search.input_value() == "Mar"
    assert mod.evaluate("() => document.activeElement.name") == "psearch"
    ctx.close()


def test_a_chosen_timer_survives_a_refresh_before_open(server: LiveServer, browser: Any) -> None:
    """Choosing "1 minute" and then clicking elsewhere: a refresh in between used to put the
    timer back to "until closed" (only the focused control was spared), and Open then
    opened the poll without its deadline."""
    ctx, mod = _start(browser, server, "Timed")
    code = mod.locator(".bar .code").inner_text()
    _tab(mod, "polls")
    polls = mod.locator("#polls")
    mod.locator("#new-poll").get_by_label("Question").fill("Adopt the plan?")
    mod.locator("#new-poll").get_by_label("Options, one per line").fill("Yes\nNo")
    mod.locator("#new-poll").get_by_role("button", name="Create poll").click()
    poll = polls.locator("article.poll", has_text="Adopt the plan?")
    poll.wait_for()
    poll.get_by_label("Timer").select_option(label="1 minute")
    mod.locator("#polls-h").click()  # focus moves on, as a moderator's would
    joined = mod.locator(".meeting .counts p", has_text="joined")
    _request_to_speak(browser, server, code, "Maria")  # a change: the panel refreshes
    joined.locator("strong", has_text="1").wait_for()
    assert poll.get_by_label("Timer").input_value() == "60"
    poll.get_by_role("button", name="Open", exact=True).click()
    poll.locator(".countdown").wait_for()
    ctx.close()


@pytest.mark.parametrize("status", [429, 503])
def test_a_refused_refresh_is_asked_again_after_retry_after(
    server: LiveServer, browser: Any, status: int
) -> None:
    """The server said "not now" to the panel's refresh (busy, or restarting): the panel asks
    again after the Retry-After, not at the next change, which may not come for minutes."""
    ctx, mod = _start(browser, server, "Busy night")
    code = mod.locator(".bar .code").inner_text()
    _tab(mod, "speakers")
    refused: list[str] = []
    busy = True  # every refresh while the phone joins and asks is refused

    def not_now(route: Any) -> None:
        if busy:
            refused.append(route.request.url)
            route.fulfill(status=status, headers={"retry-after": "1"}, body="not now")
        else:
            route.continue_()

    mod.route("**/moderate/panel*", not_now)
    _request_to_speak(browser, server, code, "Late speaker")
    mod.wait_for_timeout(300)  # the last change's refresh has been asked for, and refused
    busy = False  # the room stays quiet from here: no change will bring another refresh
    assert refused
    mod.locator("#speakers li", has_text="Late speaker").wait_for(timeout=15_000)
    ctx.close()
