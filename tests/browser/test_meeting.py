"""A whole meeting in headless Chromium: phones, the control panel, the big screen, the overlay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def _snapshot(server: LiveServer, code: str, token: str) -> dict[str, Any]:
    response = httpx.get(f"{server.http}/api/rooms/{code}",
                         headers={"authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _join(page: Any, server: LiveServer, code: str, name: str) -> None:
    page.goto(f"{server.http}/r/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    page.wait_for_selector("body[data-conn=online]")


def test_full_meeting(server: LiveServer, browser: Any, shots: Path) -> None:
    room = create_room(server.http, "Budget assembly")
    code, urls = room["code"], room["urls"]

    mod_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    mod = mod_ctx.new_page()
    mod.goto(urls["moderate"])
    assert "token=" not in mod.url  # the organiser token left the address bar
    mod.wait_for_selector("body[data-conn=online]")
    mod.locator("#np-question").fill("Which park gets the new playground?")
    mod.get_by_label("Options, one per line").fill("North park\nRiver park\nOld town square")
    mod.get_by_role("button", name="Create poll").click()
    mod.locator("#panel .poll").first.wait_for()
    poll_id = _snapshot(server, code, room["moderator_token"])["room"]["polls"][0]["poll_id"]
    mod.locator(f"#mpoll-{poll_id}").get_by_role("button", name="Open").click()
    mod.locator(f"#mpoll-{poll_id}").get_by_role("button", name="Close").wait_for()

    ana_ctx = browser.new_context(**PHONE)
    ana = ana_ctx.new_page()
    _join(ana, server, code, "Ana")
    poll = ana.locator(f"#poll-{poll_id}")
    poll.get_by_label("River park").check()
    poll.get_by_role("button", name="Vote").click()
    poll.get_by_text("Your vote", exact=True).wait_for()
    question = "<script>alert(1)</script> Will the park be lit at night?"
    ana.get_by_label("Ask a question").fill(question)
    ana.get_by_role("button", name="Send question").click()
    ana.locator("#my-questions").get_by_text("Will the park be lit").wait_for()
    ana.screenshot(path=str(shots / "attendee-phone.png"), full_page=True)

    # The moderator approves and pins; the phone sees it published and pinned.
    mod.locator('.sections a[href="#queue"]').click()  # the panel's sections are tabs
    pending = mod.locator("#panel article.question", has_text="Will the park be lit")
    pending.get_by_role("button", name="Approve").click()
    mod.locator('.sections a[href="#published"] .count', has_text="1").wait_for()
    mod.locator('.sections a[href="#published"]').click()
    published = mod.locator("#panel article.question", has_text="Will the park be lit").filter(
        has=mod.get_by_role("button", name="Answer now"))
    published.get_by_role("button", name="Answer now").click()
    mod.locator("#panel .question.pinned").wait_for()
    mod.locator('.sections a[href="#polls"]').click()
    mod.locator(f"#mpoll-{poll_id}").get_by_role("button", name="Reveal results").click()
    mod.locator(f"#mpoll-{poll_id}").get_by_text("results shown").wait_for()
    ana.locator(".question.pinned", has_text="lit at night").wait_for()
    assert ana.locator("script", has_text="alert(1)").count() == 0  # shown as text, never run
    mod.screenshot(path=str(shots / "moderator.png"), full_page=True)

    # Another phone votes while offline; the vote is sent on reconnect and counts once.
    ben_ctx = browser.new_context(**PHONE)
    ben = ben_ctx.new_page()
    _join(ben, server, code, "Ben")
    ben_ctx.set_offline(True)
    ben.wait_for_selector("body[data-conn=offline]")
    ben.locator(f"#poll-{poll_id}").get_by_label("North park").check()
    ben.locator(f"#poll-{poll_id}").get_by_role("button", name="Vote").click()
    ben.get_by_text("Saved offline").wait_for()
    ben.screenshot(path=str(shots / "attendee-offline.png"), full_page=True)
    ben_ctx.set_offline(False)
    ben.locator(f"#poll-{poll_id}").get_by_text("Your vote", exact=True).wait_for()
    ben.reload()  # a reload resends nothing twice: the queue emptied on the ack
    ben.wait_for_selector("body[data-conn=online]")
    results = _snapshot(server, code, room["moderator_token"])["room"]["polls"][0]["results"]
    assert results["voters"] == 2
    assert results["counts"] == [1, 1, 0]

    screen_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    screen = screen_ctx.new_page()
    screen.goto(urls["screen"])
    screen.wait_for_selector("body[data-conn=online]")
    screen.locator("#current-poll").get_by_text("2 voters").wait_for()
    screen.locator("#pinned").get_by_text("lit at night").wait_for()
    assert screen.locator(".qr svg").count() == 1
    screen.screenshot(path=str(shots / "screen.png"))

    embed_ctx = browser.new_context(viewport={"width": 800, "height": 450})
    embed = embed_ctx.new_page()
    embed.goto(urls["embed"] + f"&poll={poll_id}&theme=dark&size=m")
    embed.wait_for_selector("body[data-conn=online]")
    embed.locator("#current-poll").get_by_text("2 voters").wait_for()
    # A third vote reaches the overlay and the big screen live.
    cy_ctx = browser.new_context(**PHONE)
    cy = cy_ctx.new_page()
    _join(cy, server, code, "Cy")
    cy.locator(f"#poll-{poll_id}").get_by_label("Old town square").check()
    cy.locator(f"#poll-{poll_id}").get_by_role("button", name="Vote").click()
    embed.locator("#current-poll").get_by_text("3 voters").wait_for()
    screen.locator("#current-poll").get_by_text("3 voters").wait_for()
    embed.screenshot(path=str(shots / "embed.png"), omit_background=True)
    ana.locator(f"#poll-{poll_id}").get_by_text("3 voters").wait_for()
    ana.screenshot(path=str(shots / "attendee-results.png"), full_page=True)

    for context in (mod_ctx, ana_ctx, ben_ctx, screen_ctx, embed_ctx, cy_ctx):
        context.close()


def test_attendee_page_has_no_serious_axe_violations(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = create_room(server.http, "Accessibility check", districts=["North", "South"])
    code = room["code"]
    auth = {"authorization": f"Bearer {room['moderator_token']}"}
    created = httpx.post(f"{server.http}/api/rooms/{code}/ops", timeout=10, headers=auth, json={
        "op": "poll.create", "op_id": "p1", "kind": "rating", "question": "How was it?"}).json()
    httpx.post(f"{server.http}/api/rooms/{code}/ops", timeout=10, headers=auth,
               json={"op": "poll.open", "op_id": "p2", "poll_id": created["poll_id"]})
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{server.http}/r/{code}")
    assert _axe(page) == []  # the join form
    _join(page, server, code, "Dee")
    assert _axe(page) == []
    page.goto(f"{server.http}/r/{code}?lang=es")
    page.wait_for_selector("body[data-conn=online]")
    assert page.get_by_role("button", name="Votar").count() == 1
    assert _axe(page) == []
    page.screenshot(path=str(shots / "attendee-es.png"), full_page=True)
    context.close()


def _axe(page: Any) -> list[str]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in violations
            if v["impact"] in ("serious", "critical")]
