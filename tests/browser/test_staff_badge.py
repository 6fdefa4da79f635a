"""Issue 13, item 8, in the browser: the live pages draw the staff badge from role data too.

The server renders the badge in its templates (tests/server/edge/test_staff_badge.py); the phone
and the big screen re-render questions in JavaScript as frames arrive, and must clone the
same badge, for the real moderator's answer only, however the asker named themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IMPOSTOR = "Mayor Smith (OFFICIAL) ✓ Moderator"
T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Playwright's sync API owns this thread's event loop: drive the sockets from another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_live_pages_badge_the_real_moderator_and_never_a_name(
    server: LiveServer, browser: Any
) -> None:
    room = create_room(server.http, "Council", moderation="post")
    code = room["code"]
    impostor = join(server.http, code, name=IMPOSTOR)

    async def setup() -> tuple[str, int]:
        org = await Client.open(server.ws, code, room["moderator_token"])
        mayor = (await org.op("moderator.add", name="Mayor Smith"))["token"]
        them = await Client.open(server.ws, code, impostor["participant_token"])
        qid = (await them.op("question.ask", text="Will the buses run at night?"))["question_id"]
        await org.op("question.pin", question_id=qid)
        for client in (org, them):
            await client.close()
        return mayor, qid

    mayor_token, qid = _run(setup())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = context.new_page()
    phone.goto(f"{server.http}/r/{code}")
    phone.get_by_label("Your name").fill("Ana")
    phone.get_by_role("button", name="Join").click()
    phone.wait_for_selector("body[data-conn=online]")
    screen = context.new_page()
    screen.goto(room["urls"]["screen"])
    screen.wait_for_selector("body[data-conn=online]")

    async def answer() -> None:
        mayor = await Client.open(server.ws, code, mayor_token)
        # Answering unpins; pin it again so the big screen shows the reply.
        await mayor.op("question.answer", question_id=qid, text="Yes, from May.")
        await mayor.op("question.pin", question_id=qid)
        await mayor.close()

    _run(answer())
    card = phone.locator(f"#q-{qid}")
    card.locator(".q-answer .badge.staff").wait_for()
    screen.locator("#pinned .q-answer .badge.staff").wait_for()
    for page, box in ((phone, card), (screen, screen.locator("#pinned"))):
        assert page.locator("main .badge.staff").count() == 1
        assert box.locator(".q-answer .by").inner_text().endswith("Moderator Mayor Smith")
        assert box.locator(".q-meta").inner_text().startswith(IMPOSTOR)
        assert box.locator(".q-meta .badge, .q-meta strong").count() == 0
    context.close()
