"""The attendee's vote card with its styles blocked (a stylesheet that did not load on a weak
network, a reader mode): each label that has two forms shows the one that applies, as the
markup's `hidden` says, with JavaScript and without, on a phone and a laptop, by keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.phone import PHONE, Room
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


def _labels(card: Any) -> dict[str, bool]:
    """Which of the card's two-form texts a person sees."""
    return {
        "Vote": card.get_by_role("button", name="Vote", exact=True).is_visible(),
        "Change my vote": card.locator("button").get_by_text("Change my vote").is_visible(),
        "Your vote": card.locator(".poll-state").get_by_text("Your vote").is_visible(),
        "form": card.locator("form.vote").is_visible(),
    }


def _vote_by_keyboard(page: Any, card: Any, option: str, button: str) -> None:
    card.get_by_role("radio", name=option).focus()
    page.keyboard.press("Space")
    card.get_by_role("button", name=button, exact=True).focus()
    page.keyboard.press("Enter")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_without_styles_the_vote_card_shows_one_label(
    server: LiveServer, browser: Any, shots: Path, js: bool, device: str
) -> None:
    room = Room(server, "Unstyled")
    open_poll = room.poll("single", "Which park first?", options=["North", "South"])
    locked = room.poll("single", "Final answer?", options=["Yes", "No"], allow_changes=False)
    size = PHONE if device == "phone" else LAPTOP
    context = browser.new_context(java_script_enabled=js, **size)
    page = context.new_page()
    blocked: list[str] = []

    def no_styles(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route(lambda url: url.split("?")[0].endswith(".css"), no_styles)
    page.goto(room.url)
    page.get_by_label("Your name").fill("Ana")
    page.get_by_role("button", name="Join").click()
    if js:
        page.wait_for_selector("body[data-conn=online]")
    card, locked_card = page.locator(f"#poll-{open_poll}"), page.locator(f"#poll-{locked}")
    card.wait_for()
    assert blocked, "no stylesheet was blocked"
    name = f"{'js' if js else 'nojs'}-{device}"
    assert _labels(card) == {"Vote": True, "Change my vote": False, "Your vote": False,
                             "form": True}

    _vote_by_keyboard(page, card, "North", "Vote")
    page.wait_for_selector(f"#poll-{open_poll}[data-voted]")
    card.locator("button").get_by_text("Change my vote").wait_for()
    assert _labels(card) == {"Vote": False, "Change my vote": True, "Your vote": True,
                             "form": True}
    # a poll that takes no second vote: once voted, its form is gone, not only unstyled
    _vote_by_keyboard(page, locked_card, "Yes", "Vote")
    page.wait_for_selector(f"#poll-{locked}[data-voted]")
    locked_card.locator(".poll-state").get_by_text("Your vote").wait_for()
    locked_card.locator("form.vote").wait_for(state="hidden")
    assert _labels(locked_card)["form"] is False
    page.screenshot(path=str(shots / f"unstyled-vote-{name}.png"), full_page=True)

    # the room moves on (another poll opens): the script morphs the public part in, the same
    # bytes for everyone, and puts this person's labels back
    later = room.poll("single", "And the next one?", options=["Red", "Blue"])
    if not js:
        page.reload()
    page.locator(f"#poll-{later}").wait_for()
    assert _labels(card) == {"Vote": False, "Change my vote": True, "Your vote": True,
                             "form": True}
    assert _labels(page.locator(f"#poll-{later}"))["Vote"] is True
    assert _labels(locked_card)["form"] is False
    context.close()
