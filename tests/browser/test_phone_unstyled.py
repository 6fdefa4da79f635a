"""The attendee's page with its styles blocked (a stylesheet that did not load on a weak
network, a reader mode): each label that has two forms shows the one that applies, as the
markup's `hidden` says, with JavaScript and without, on a phone and a laptop, by keyboard; the
controls only a script can work (Copy, the ranking's arrows, the budget's steppers) show only
with it, and a person's own question offers no upvote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.phone import OPTIONS, PHONE, Room
from tests.support.live_server import LiveServer
from tests.support.wsclient import join

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


def _block_styles(page: Any) -> list[str]:
    """Every stylesheet the page asks for fails; the list fills with their addresses."""
    blocked: list[str] = []

    def no_styles(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route(lambda url: url.split("?")[0].endswith(".css"), no_styles)
    return blocked


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
    blocked = _block_styles(page)
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


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_without_styles_script_controls_and_own_upvotes_stay_hidden(
    server: LiveServer, browser: Any, shots: Path, js: bool
) -> None:
    room = Room(server, "Unstyled controls", moderation="post")
    ranking = room.poll("ranking", "In which order?", options=OPTIONS)
    budget = room.poll("budget", "Share the money", options=OPTIONS, total=10)
    single = room.poll("single", "Which park first?", options=["North", "South"])
    bo = join(server.http, room.code, name="Bo")["participant_token"]
    asked = httpx.post(f"{server.http}/api/rooms/{room.code}/ops", timeout=10,
                       headers={"authorization": f"Bearer {bo}"},
                       json={"op": "question.ask", "op_id": "bo-1", "anonymous": False,
                             "text": "Who pays for the new park?"})
    assert asked.status_code == 200, asked.text
    context = browser.new_context(java_script_enabled=js, **PHONE)
    page = context.new_page()
    blocked = _block_styles(page)
    page.goto(room.url)
    page.get_by_label("Your name").fill("Ana")
    page.get_by_role("button", name="Join").click()
    if js:
        page.wait_for_selector("body[data-conn=online]")
    assert blocked, "no stylesheet was blocked"
    name = "js" if js else "nojs"

    def script_controls() -> dict[str, bool]:
        return {
            "arrows": page.locator(f"#poll-{ranking}").get_by_role(
                "button", name="Move up: Parks").is_visible(),
            "drag hint": page.locator(f"#poll-{ranking}").get_by_text(
                "Drag an option").is_visible(),
            "steppers": page.locator(f"#poll-{budget}").get_by_role(
                "button", name="More for Parks").is_visible(),
        }

    page.locator(f"#poll-{ranking}").wait_for()
    assert script_controls() == {"arrows": js, "drag hint": js, "steppers": js}

    # the receipt: its Copy button only where a script copies
    card = page.locator(f"#poll-{single}")
    _vote_by_keyboard(page, card, "North", "Vote")
    receipt = card.locator(".receipt")
    receipt.wait_for()
    receipt.get_by_role("link", name="Check my receipt").wait_for()
    assert receipt.get_by_role("button", name="Copy").is_visible() is js

    # my own question: no upvote for it; someone else's: an upvote
    page.get_by_label("Ask a question").fill("Can the library open on Sundays?")
    page.get_by_role("button", name="Send question").focus()
    page.keyboard.press("Enter")
    mine = page.locator("#question-list li[data-own]", has_text="library open on Sundays")
    mine.wait_for()
    theirs = page.locator("#question-list li", has_text="Who pays for the new park?")
    assert mine.locator("form.upvote-form").is_visible() is False
    assert theirs.locator("form.upvote-form").is_visible() is True
    page.screenshot(path=str(shots / f"unstyled-controls-{name}.png"), full_page=True)

    # the room moves on: what the page shows of it is fetched and morphed in again (or, without
    # a script, the page is loaded again) and each control stays as it was
    later = room.poll("single", "And the next one?", options=["Red", "Blue"])
    if not js:
        page.reload()
    page.locator(f"#poll-{later}").wait_for()
    assert script_controls() == {"arrows": js, "drag hint": js, "steppers": js}
    assert receipt.get_by_role("button", name="Copy").is_visible() is js
    assert mine.locator("form.upvote-form").is_visible() is False
    assert theirs.locator("form.upvote-form").is_visible() is True
    context.close()
