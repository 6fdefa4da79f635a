"""The attendee's phone with JavaScript on, 360x740: every poll kind, Q&A, the floor, going
offline and back, being banned, the room closing. Screenshots in test-output/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.phone import OPTIONS, PHONE, Room, axe, join, shot
from tests.support import wsclient as sockets
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RECEIPT = re.compile(r"^[0-9]+:[0-9a-f]{16}$")  # the short code: seq, 16 hex digits


def _phone(browser: Any, **extra: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(**{**PHONE, **extra})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def _vote(card: Any) -> None:
    card.get_by_role("button", name="Vote").click()
    card.locator(".receipt input").wait_for()
    assert RECEIPT.match(card.locator(".receipt input").input_value())


def _ranks(card: Any) -> list[str]:
    return [t.strip() for t in card.locator(".rank-text").all_inner_texts()]


def _drag(page: Any, handle: Any, target: Any) -> None:
    target.evaluate("el => el.scrollIntoView({block: 'center'})")  # clear of the sticky header
    start, end = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 20, end["y"] + 4, steps=8)
    page.mouse.up()


def test_votes_in_every_kind_and_sees_its_own_ballot(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = Room(server, "Budget night", moderation="post")
    polls = room.every_kind()
    timed = room.poll("single", "Quick one?", opened=False, options=["Yes", "No"])
    room.op("poll.open", poll_id=timed, duration_s=120)
    context, page, errors = _phone(browser)
    join(page, room, "Ana")
    page.get_by_text("You joined as Ana").wait_for()
    assert re.match(r"^[12]:[0-9]{2}$", page.locator(f"#poll-{timed} .countdown").inner_text())
    shot(page, shots, "01-joined")
    # A question arrives while the polls are on screen: the Q&A section says so.
    ben = sockets.join(server.http, room.code, name="Ben")
    httpx.post(f"{server.http}/api/rooms/{room.code}/ops", timeout=10,
               headers={"authorization": f"Bearer {ben['participant_token']}"},
               json={"op": "question.ask", "op_id": "ben-1", "text": "Who pays for it?"})
    badge = page.locator(".sections a[data-section=questions] .unread")
    badge.wait_for()
    assert badge.inner_text() == "1"
    page.locator(".sections a[data-section=questions]").click()
    badge.wait_for(state="hidden")
    page.locator(".sections a[data-section=polls]").click()

    def card(kind: str) -> Any:
        return page.locator(f"#poll-{polls[kind]}")

    card("single").get_by_label("Roads").check()
    _vote(card("single"))
    assert "/check?receipt=" in str(card("single").locator(".receipt a").get_attribute("href"))
    multiple = card("multiple")
    multiple.get_by_label("Parks").check()
    multiple.get_by_label("Roads").check()
    assert multiple.get_by_label("Library").is_disabled()  # at most 2
    _vote(multiple)
    card("rating").locator("label.choice", has_text="4").click()
    _vote(card("rating"))

    ranking = card("ranking")
    _drag(page, ranking.locator(".rank", has_text="Library").locator(".rank-handle"),
          ranking.locator(".rank").first)
    assert _ranks(ranking) == ["Library", "Parks", "Roads"]
    ranking.get_by_role("button", name="Move down: Parks").click()
    assert _ranks(ranking) == ["Library", "Roads", "Parks"]
    shot(page, shots, "02-ranking")
    _vote(ranking)

    budget = card("budget")
    for _ in range(3):
        budget.get_by_role("button", name="More for Parks").click()
    budget.get_by_text("7 points left").wait_for()
    budget.get_by_label("Roads", exact=True).fill("9")  # more than is left: brought down to 7
    assert budget.get_by_label("Roads", exact=True).input_value() == "7"
    budget.get_by_text("0 points left").wait_for()
    assert budget.get_by_role("button", name="More for Library").is_disabled()
    shot(page, shots, "03-budget")
    _vote(budget)
    card("wordcloud").get_by_label("Your words").fill("trees benches")
    _vote(card("wordcloud"))
    card("open").get_by_label("Your answer").fill("More buses at night")
    _vote(card("open"))
    shot(page, shots, "04-voted")
    assert axe(page) == []

    results = {p["poll_id"]: p["results"] for p in room.snapshot()["room"]["polls"]}
    assert all(results[poll_id]["voters"] == 1 for poll_id in polls.values())
    assert results[polls["budget"]]["points"] == [3, 7, 0]
    assert results[polls["multiple"]]["counts"] == [1, 1, 0]

    # The form shows my own ballot, after a reload too; resending it changes nothing.
    page.reload()
    page.wait_for_selector("body[data-conn=online]")
    assert _ranks(card("ranking")) == ["Library", "Roads", "Parks"]
    amounts = [budget.get_by_label(o, exact=True).input_value() for o in OPTIONS]
    assert amounts == ["3", "7", "0"]
    assert card("single").get_by_label("Roads").is_checked()
    assert card("wordcloud").get_by_label("Your words").input_value() == "trees benches"
    for kind in polls:
        assert card(kind).locator(".poll-state").get_by_text("Your vote").is_visible()
    budget.get_by_role("button", name="Change my vote").click()
    card("budget").locator(".receipt input").wait_for()
    page.wait_for_timeout(300)
    again = next(p for p in room.snapshot()["room"]["polls"] if p["poll_id"] == polls["budget"])
    assert again["results"]["points"] == [3, 7, 0]
    assert page.evaluate("document.activeElement.innerText").strip() == "Change my vote"
    shot(page, shots, "05-after-reload")
    assert errors == []
    context.close()


def test_the_vote_card_shows_the_short_receipt_code_to_copy_and_check(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    """The receipt a phone shows is the ack's `code` (seq and 16 hex digits of the entry's
    hash): it copies as it reads, it is kept over a reload, and its check link finds the
    ballot counted once the record is published."""
    room = Room(server, "Receipt night")
    poll = room.poll("single", "Bus lane?", options=["Yes", "No"])
    context, page, errors = _phone(browser, permissions=["clipboard-read", "clipboard-write"])
    join(page, room, "Ana")
    card = page.locator(f"#poll-{poll}")
    card.get_by_label("Yes").check()
    _vote(card)
    code = card.locator(".receipt input").input_value()
    seq, digest = code.split(":")
    log = httpx.get(f"{server.http}/api/rooms/{room.code}/transcript", timeout=10,
                    headers={"authorization": f"Bearer {room.info['moderator_token']}"})
    entry = next(e for e in map(json.loads, log.text.splitlines()) if e["seq"] == int(seq))
    assert entry["type"] == "ballot.cast" and entry["hash"][:16] == digest
    link = card.locator(".receipt a")
    assert link.get_attribute("href") == f"/r/{room.code}/check?receipt={quote(code)}"
    card.locator(".receipt button[data-copy]").click()
    expect(page.locator("#announce")).to_contain_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == code
    card.locator(".receipt").screenshot(path=str(shots / "phone-receipt-code.png"))
    page.reload()
    page.wait_for_selector("body[data-conn=online]")
    expect(card.locator(".receipt input")).to_have_value(code)  # kept in this browser
    check = str(link.get_attribute("href"))
    room.op("poll.close", poll_id=poll)  # the card folds into the closed polls: its link with it
    room.op("room.close")
    room.op("room.publish")
    page.goto(f"{server.http}{check}")  # where the link led, once the record is out
    expect(page.locator("#receipt-status")).to_have_attribute("data-status", "counted")
    assert page.locator("#receipt").input_value() == code
    assert errors == []
    context.close()


def test_questions_top_new_search_and_upvote(server: LiveServer, browser: Any, shots: Path) -> None:
    room = Room(server, "Q&A night", moderation="post")
    context, page, errors = _phone(browser)
    other, other_page, _ = _phone(browser)
    join(other_page, room, "Ben")
    for text in ("Will the pool reopen?", "When is the bus depot moving?"):
        other_page.get_by_label("Ask a question").fill(text)
        other_page.get_by_role("button", name="Send question").click()
        other_page.locator("#my-questions").get_by_text(text).wait_for()
    join(page, room, "Ana")
    page.get_by_label("Ask a question").fill("Can the library open on Sundays?")
    page.get_by_role("button", name="Send question").click()
    mine = page.locator("#my-questions")
    mine.get_by_text("Can the library open on Sundays?").wait_for()
    mine.get_by_text("Published").wait_for()  # post-moderation: out at once

    pool = page.locator("#question-list .question", has_text="pool")
    pool.wait_for()
    pool.get_by_role("button", name="upvote").click()
    pool.locator("button[aria-pressed=true]").wait_for()
    pool.get_by_text("▲ 1").wait_for()
    assert page.locator("#question-list .question").first.inner_text().startswith("Will the pool")
    assert page.locator("#question-list .question[data-own] .upvote-form").is_hidden()

    page.get_by_label("Newest").check()
    first = page.locator("#question-list .question:visible").first
    assert "library" in first.inner_text()
    page.get_by_label("Search questions").fill("bus")
    assert page.locator("#question-list .question:visible").count() == 1
    shot(page, shots, "06-questions")

    # The moderator pins one and labels it: it comes first, called "Now answering".
    bus = room.question_of("bus depot")
    room.op("question.label", question_id=bus["question_id"], labels=["transport"])
    room.op("question.pin", question_id=bus["question_id"])
    now = page.locator(".questions.now .question")
    now.get_by_text("Now answering").wait_for()
    now.get_by_text("transport").wait_for()
    assert page.locator(f"#q-{bus['question_id']}").count() == 1
    shot(page, shots, "07-now-answering")
    assert axe(page) == []
    assert errors == []
    context.close()
    other.close()


def test_speaks_with_a_countdown_and_withdraws(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = Room(server, "Open floor", speaker_time_limit_s=90)
    context, page, errors = _phone(browser)
    join(page, room, "Ana")
    page.get_by_role("link", name=re.compile("Speak")).click()
    page.get_by_label("Topic").fill("Bike lanes")
    page.get_by_role("button", name="Request to speak").click()
    page.get_by_text("Your place in the queue: 1").wait_for()
    page.get_by_role("button", name="Leave the queue").click()
    page.get_by_role("button", name="Request to speak").wait_for()
    page.get_by_role("button", name="Request to speak").click()
    page.get_by_text("Your place in the queue: 1").wait_for()
    room.op("speaker.next")
    page.get_by_text("You have the floor").wait_for()
    timer = page.locator("#my-speaker .countdown")
    first = timer.inner_text()
    assert re.match(r"^1:[0-9]{2}$", first), first
    page.wait_for_timeout(1500)
    assert timer.inner_text() != first  # it counts down
    shot(page, shots, "08-floor")
    assert axe(page) == []
    room.op("speaker.finish")  # my time is up: the phone follows without a personal frame
    page.get_by_role("button", name="Request to speak").wait_for()
    assert page.get_by_text("You have the floor").count() == 0
    assert errors == []
    context.close()


def test_offline_queue_ban_and_close(server: LiveServer, browser: Any, shots: Path) -> None:
    room = Room(server, "Late night")
    poll = room.poll("single", "Light the park?", options=["Yes", "No"])
    context, page, errors = _phone(browser)
    join(page, room, "Ana")
    context.set_offline(True)
    page.wait_for_selector("body[data-conn=offline]")
    card = page.locator(f"#poll-{poll}")
    card.get_by_label("Yes").check()
    card.get_by_role("button", name="Vote").click()
    card.get_by_text("Queued: it will be sent when you are back online.").wait_for()
    shot(page, shots, "09-offline")
    context.set_offline(False)
    card.locator(".receipt input").wait_for()
    assert card.locator(".queued").is_hidden()
    assert axe(page) == []
    assert room.ballots(poll) == 1

    # Banned: the phone says so, with the reason, and stops retrying.
    page.get_by_label("Ask a question").fill("hello")
    page.get_by_role("button", name="Send question").click()
    page.locator("#my-questions").get_by_text("hello").wait_for()
    author = room.question_of("hello")["author_id"]
    room.op("participant.ban", participant_id=author, reason="abusive")
    page.get_by_text("You were removed from this room by a moderator.").wait_for()
    page.get_by_text("Reason: Abusive").wait_for()
    shot(page, shots, "10-banned")
    assert axe(page) == []
    context.close()

    # The room closes: a read-only banner, results, no forms.
    room.op("poll.reveal", poll_id=poll)
    context, page, errors = _phone(browser)
    join(page, room, "Cy")
    room.op("room.close")
    page.get_by_text("This meeting has ended.").wait_for()
    expect(page.locator("#live form[data-op]")).to_have_count(0)  # leaving still works
    page.locator(f"#poll-{poll}").get_by_text("1 voter").wait_for()
    shot(page, shots, "11-closed")
    assert axe(page) == []
    assert errors == []
    context.close()


def test_an_update_missed_on_a_dropped_network_is_shown_once_it_is_back(
    server: LiveServer, browser: Any
) -> None:
    """The morphing script loads with the first update; a phone whose network failed just
    then (the CI run that found this: it went offline a moment after joining) must still
    show every later change, not keep the failed load and show nothing until reloaded."""
    room = Room(server, "Flaky network")
    context, page, errors = _phone(browser)
    failed: list[str] = []

    def fail_once(route: Any) -> None:
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/static/vendor/idiomorph.min.js", fail_once)
    join(page, room, "Bo")
    page.get_by_label("Ask a question").fill("still there?")
    page.get_by_role("button", name="Send question").click()
    page.locator("#my-questions").get_by_text("still there?").wait_for(timeout=15_000)
    assert failed, "the morphing script was never asked for"
    poll = room.poll("single", "And this?", options=["Yes", "No"])
    page.locator(f"#poll-{poll}").wait_for(timeout=15_000)
    # The room's own fetch fails once, the socket staying up: it is asked for again.
    failed.clear()
    page.route(f"**/r/{room.code}/live", fail_once)
    later = room.poll("single", "And later?", options=["Yes", "No"])
    page.locator(f"#poll-{later}").wait_for(timeout=15_000)
    assert failed, "the room's fragment was never asked for"
    assert errors == []
    context.close()


def test_axe_320px_and_arabic(server: LiveServer, browser: Any, shots: Path) -> None:
    room = Room(server, "Accessibility", districts=["North", "South"])
    room.every_kind()
    closed = room.poll("single", "Earlier?", options=["Yes", "No"])
    room.op("poll.close", poll_id=closed)
    room.op("poll.reveal", poll_id=closed)
    for extra, lang, name in (({"viewport": {"width": 320, "height": 640}}, "en", "12-320px"),
                              ({}, "ar", "13-arabic")):
        context, page, errors = _phone(browser, **extra)
        page.goto(room.url + f"?lang={lang}")
        assert axe(page) == []  # the join form
        page.locator("#name").fill("Dee")
        page.locator("form[action$=join] button[type=submit]").click()
        page.wait_for_selector("body[data-conn=online]")
        page.wait_for_timeout(300)
        assert axe(page) == []
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width  # nothing runs off the side
        shot(page, shots, name)
        assert errors == []
        context.close()
