"""The attendee's phone with JavaScript off (and the joins both ways): every room kind, every
poll kind through plain forms, Q&A, the floor, banned, closed; and the same state rendered
with JavaScript on and off reads the same."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.phone import OPTIONS, PHONE, Room, join, shot
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NOJS = {**PHONE, "java_script_enabled": False}


def _page(browser: Any, js: bool) -> tuple[Any, Any]:
    context = browser.new_context(**(PHONE if js else NOJS))
    return context, context.new_page()


def _joined(page: Any, js: bool) -> None:
    if js:
        page.wait_for_selector("body[data-conn=online]")
    page.get_by_text("You joined as").wait_for()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_joins_every_kind_of_room(server: LiveServer, browser: Any, shots: Path, js: bool) -> None:
    tag = "js" if js else "nojs"
    # Open, names required: refused without a name, in with one.
    room = Room(server, "Open room", names_required=True)
    context, page = _page(browser, js)
    page.goto(room.url)
    if js:  # past the browser's own check, the server's refusal reads as a sentence
        page.locator("#name").evaluate("el => el.removeAttribute('required')")
        page.get_by_role("button", name="Join").click()
        page.get_by_text("This room asks for your name").wait_for()
    join(page, room, "Ana", online=False)
    _joined(page, js)
    page.get_by_text("You joined as Ana").wait_for()
    context.close()

    # An access code: its box is shown, a wrong code says so, the right one lets you in.
    room = Room(server, "Coded room", access_code="PARK42")
    context, page = _page(browser, js)
    page.goto(room.url)
    assert page.get_by_label("Access code").is_visible()
    join(page, room, "Ben", online=False, access_code="WRONG1")
    page.get_by_text("This room needs its access code").wait_for()
    assert page.get_by_label("Your name").input_value() == "Ben"  # kept after the refusal
    shot(page, shots, f"join-code-refused-{tag}")
    join(page, room, "Ben", online=False, access_code="PARK42")
    _joined(page, js)
    context.close()

    # Verified: a one-time code from the organiser, once.
    room = Room(server, "Verified room", verified=True)
    codes = room.op("codes.issue", count=2)["codes"]
    context, page = _page(browser, js)
    page.goto(room.url)
    assert page.get_by_label("Your one-time code").is_visible()
    shot(page, shots, f"join-verified-{tag}")
    join(page, room, "Cy", online=False, attendee_code="not-a-code")
    page.get_by_text("one-time attendee code").wait_for()
    join(page, room, "Cy", online=False, attendee_code=codes[0])
    _joined(page, js)
    context.close()
    context, page = _page(browser, js)
    join(page, room, "Dee", online=False, attendee_code=codes[0])  # already used
    page.get_by_text("one-time attendee code").wait_for()
    context.close()

    # Districts: asked, and kept.
    room = Room(server, "District room", districts=["North", "South"])
    context, page = _page(browser, js)
    page.goto(room.url)
    page.get_by_label("Your name").fill("Eve")
    page.get_by_label("Your district").select_option("South")
    page.get_by_role("button", name="Join").click()
    _joined(page, js)
    assert room.snapshot()["room"]["participants"] == 1
    context.close()


def _vote(card: Any) -> None:
    card.get_by_role("button", name="Vote").click()


def test_votes_asks_speaks_without_javascript(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = Room(server, "Paper night", moderation="post", speaker_time_limit_s=60)
    polls = room.every_kind()
    context, page = _page(browser, js=False)
    join(page, room, "Ana", online=False)
    _joined(page, js=False)

    def card(kind: str) -> Any:
        return page.locator(f"#poll-{polls[kind]}")

    def recorded(kind: str) -> None:
        box = card(kind).locator(".receipt")
        assert box.is_visible(), kind
        assert re.match(r"^[0-9]+:[0-9a-f]{16}$", box.locator("input").input_value())
        assert "/check?receipt=" in str(box.locator("a").get_attribute("href"))

    card("single").get_by_label("Roads").check()
    _vote(card("single"))
    recorded("single")
    card("multiple").get_by_label("Parks").check()
    card("multiple").get_by_label("Library").check()
    _vote(card("multiple"))
    recorded("multiple")
    card("rating").locator("label.choice", has_text="5").click()
    _vote(card("rating"))
    # Ranking by the number boxes: duplicates are refused with a sentence, nothing counted.
    ranking = card("ranking")
    for option in OPTIONS:
        ranking.get_by_label(option, exact=True).select_option("1")
    _vote(ranking)
    page.get_by_text("The choice does not fit this poll").wait_for()
    assert room.ballots(polls["ranking"]) == 0
    for option, rank in zip(OPTIONS, ("3", "1", "2"), strict=True):
        card("ranking").get_by_label(option, exact=True).select_option(rank)
    _vote(card("ranking"))
    recorded("ranking")
    budget = card("budget")
    budget.get_by_label("Parks", exact=True).fill("4")
    budget.get_by_label("Library", exact=True).fill("6")
    _vote(budget)
    recorded("budget")
    card("wordcloud").get_by_label("Your words").fill("shade trees")
    _vote(card("wordcloud"))
    card("open").get_by_label("Your answer").fill("Later buses")
    _vote(card("open"))
    shot(page, shots, "nojs-voted")

    # The forms show my ballots, so "Change my vote" by mistake changes nothing.
    page.goto(room.url)
    assert [t.strip() for t in card("ranking").locator(".rank-text").all_inner_texts()] == [
        "Roads", "Library", "Parks"]
    assert card("budget").get_by_label("Parks", exact=True).input_value() == "4"
    assert card("budget").get_by_label("Library", exact=True).input_value() == "6"
    assert card("multiple").get_by_label("Library").is_checked()
    card("budget").get_by_role("button", name="Change my vote").click()
    results = {p["poll_id"]: p["results"] for p in room.snapshot()["room"]["polls"]}
    assert results[polls["budget"]]["points"] == [4, 0, 6]
    assert all(results[p]["voters"] == 1 for p in polls.values())

    # Q&A: ask, see it published, sort and search through the plain GET form.
    other, other_page = _page(browser, js=False)
    join(other_page, room, "Ben", online=False)
    other_page.get_by_label("Ask a question").fill("Will the pool reopen?")
    other_page.get_by_role("button", name="Send question").click()
    page.get_by_label("Ask a question").fill("Sunday library hours?")
    page.get_by_role("button", name="Send question").click()
    page.locator("#my-questions").get_by_text("Published").wait_for()
    pool = page.locator("#question-list .question", has_text="pool")
    pool.get_by_role("button", name="upvote").click()
    pool = page.locator("#question-list .question", has_text="pool")
    assert pool.get_by_role("button", name="upvote").get_attribute("aria-pressed") == "true"
    assert page.locator("#question-list .question").first.inner_text().startswith("Will")
    page.get_by_label("Newest").check()
    page.get_by_role("button", name="Show").click()
    assert "library" in page.locator("#question-list .question").first.inner_text()
    page.get_by_label("Search questions").fill("pool")
    page.get_by_role("button", name="Show").click()
    assert page.locator("#question-list .question").count() == 1
    shot(page, shots, "nojs-questions")

    # The floor: request, my place, called, my time.
    page.goto(room.url)
    page.get_by_label("Topic").fill("Bike lanes")
    page.get_by_role("button", name="Request to speak").click()
    page.get_by_text("Your place in the queue: 1").wait_for()
    room.op("speaker.next")
    page.goto(room.url)
    page.get_by_text("You have the floor").wait_for()
    assert re.match(r"^[01]:[0-9]{2}$", page.locator("#my-speaker .countdown").inner_text())
    shot(page, shots, "nojs-floor")

    # Closed: read-only, results stay.
    room.op("poll.reveal", poll_id=polls["single"])
    room.op("room.close")
    page.goto(room.url)
    page.get_by_text("This meeting has ended.").wait_for()
    assert page.locator("#live form[data-op]").count() == 0
    page.locator(f"#poll-{polls['single']}").get_by_text("1 voter").wait_for()
    shot(page, shots, "nojs-closed")
    context.close()
    other.close()


def test_banned_without_javascript(server: LiveServer, browser: Any, shots: Path) -> None:
    room = Room(server, "Ban night")
    context, page = _page(browser, js=False)
    join(page, room, "Zed", online=False)
    page.get_by_label("Ask a question").fill("spam spam")
    page.get_by_role("button", name="Send question").click()
    author = room.question_of("spam")["author_id"]
    room.op("participant.ban", participant_id=author, reason="spam")
    page.goto(room.url)
    page.get_by_text("You were removed from this room by a moderator.").wait_for()
    page.get_by_text("Reason: Spam or advertising").wait_for()
    assert page.locator("form[action$=join]").count() == 0
    shot(page, shots, "nojs-banned")
    context.close()


_VISIBLE_TEXT = """(root) => {
  // The words a person reads: visible text, without the clock (it ticks), the "new since
  // you looked" badges (what the script saw arrive) and the controls that differ by design
  // (the ranking's number boxes vs its arrows).
  const skip = "select, .js-only, .countdown, .unread";
  const out = [];
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    const text = n.textContent.replace(/\\s+/g, " ").trim();
    if (text) out.push(text);
  }
  return out;
}"""


def test_javascript_on_and_off_read_the_same(server: LiveServer, browser: Any) -> None:
    room = Room(server, "Same words", moderation="post", speaker_time_limit_s=300)
    polls = room.every_kind()
    old = room.poll("single", "Earlier one?", options=["Yes", "No"])
    room.op("poll.close", poll_id=old)
    room.op("poll.reveal", poll_id=old)
    off, page = _page(browser, js=False)
    join(page, room, "Ana", online=False)
    page.locator(f"#poll-{polls['ranking']}").get_by_role("button", name="Vote").click()
    page.locator(f"#poll-{polls['budget']}").get_by_label("Roads", exact=True).fill("3")
    page.locator(f"#poll-{polls['budget']}").get_by_role("button", name="Vote").click()
    page.locator(f"#poll-{polls['multiple']}").get_by_label("Roads").check()
    page.locator(f"#poll-{polls['multiple']}").get_by_role("button", name="Vote").click()
    page.get_by_label("Ask a question").fill("Is the pool <b>open</b>?")
    page.get_by_role("button", name="Send question").click()
    page.get_by_label("Topic").fill("Parking")
    page.get_by_role("button", name="Request to speak").click()
    other, other_page = _page(browser, js=False)
    join(other_page, room, "Ben", online=False)
    other_page.get_by_label("Ask a question").fill("When do works start?")
    other_page.get_by_role("button", name="Send question").click()
    works = room.question_of("works")
    room.op("question.label", question_id=works["question_id"], labels=["roads"])
    room.op("question.pin", question_id=works["question_id"])
    other_page.goto(room.url)
    other_page.get_by_role("button", name="Request to speak").click()
    room.op("speaker.next")  # Ana asked first: she has the floor, Ben waits
    page.goto(room.url)
    without = page.locator("#live").evaluate(_VISIBLE_TEXT)

    on = browser.new_context(**PHONE)
    on.add_cookies(off.cookies())
    js_page = on.new_page()
    js_page.goto(room.url)
    js_page.wait_for_selector("body[data-conn=online]")
    js_page.wait_for_timeout(500)
    with_js = js_page.locator("#live").evaluate(_VISIBLE_TEXT)
    assert "You have the floor" in " ".join(without)
    assert with_js == without
    # And once the room has closed: the banner, the results, no forms, the same words.
    room.op("poll.reveal", poll_id=polls["budget"])
    room.op("room.close")
    js_page.locator(".banner").wait_for()
    expect(js_page.locator("#live form[data-op]")).to_have_count(0)  # the personal blocks too
    page.goto(room.url)
    without = page.locator("#live").evaluate(_VISIBLE_TEXT)
    assert "This meeting has ended." in " ".join(without)
    assert js_page.locator("#live").evaluate(_VISIBLE_TEXT) == without
    for context in (off, other, on):
        context.close()
