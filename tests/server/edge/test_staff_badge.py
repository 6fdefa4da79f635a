"""Issue 13, item 8: staff carry a badge no name can imitate, on the phone and the big screen.

An attendee joins as "Mayor Smith (OFFICIAL) Moderator" and asks; the real Mayor Smith, a
co-moderator, answers. The pages draw the staff badge from the answer's role data: once,
beside the real name. The impostor's name is escaped text in the author line, with no
badge, and cannot be changed any more now that the question is public.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

IMPOSTOR = 'Mayor Smith (OFFICIAL) Moderator <b class="badge staff">'


def _badges(html: str) -> list[str]:
    """Staff badges on the page, outside the <template> the JavaScript clones them from."""
    html = re.sub(r'<template id="staff-badges">.*?</template>', "", html, flags=re.S)
    return re.findall(r'<strong class="badge staff" data-role="(\w+)">', html)


def test_the_staff_badge_comes_from_the_role_and_a_name_cannot_imitate_it(
    server: LiveServer,
) -> None:
    room = create_room(server.http, "Council", moderation="post")
    code = room["code"]
    impostor = join(server.http, code, name=IMPOSTOR)

    async def meeting() -> dict[str, Any]:
        org = await Client.open(server.ws, code, room["moderator_token"])
        mayor_token = (await org.op("moderator.add", name="Mayor Smith"))["token"]
        mayor = await Client.open(server.ws, code, mayor_token)
        them = await Client.open(server.ws, code, impostor["participant_token"])
        asked = await them.op("question.ask", text="Will the buses run at night?")
        qid = asked["question_id"]
        answered = await mayor.op("question.answer", question_id=qid, text="Yes, from May.")
        assert answered["type"] == "ack", answered
        await org.op("question.pin", question_id=qid)
        for client in (org, mayor, them):
            await client.close()
        return asked

    asyncio.run(meeting())
    # A rename is a join again with one's own cookie (a socket may not send joins at all).
    renamed = httpx.post(
        f"{server.http}/api/rooms/{code}/join",
        json={"name": "Mayor Smith"},
        headers={"authorization": f"Bearer {impostor['participant_token']}"},
    )
    assert renamed.status_code == 409 and renamed.json()["error"]["code"] == "name.locked"

    attendee = httpx.get(f"{server.http}/r/{code}", timeout=10,
                         cookies={f"th_{code}": impostor["participant_token"]}).text  # fmt: skip
    screen = httpx.get(room["urls"]["screen"], timeout=10, follow_redirects=True).text
    for html in (attendee, screen):
        assert _badges(html) == ["moderator"]
        answer = re.search(r'<p class="q-answer">(.*?)</p>', html, flags=re.S)
        assert answer is not None and "badge staff" in answer.group(1)
        assert "</strong> Mayor Smith</span>: Yes, from May." in answer.group(1)
        meta = re.search(r'<p class="q-meta">(.*?)</p>', html, flags=re.S)
        assert meta is not None
        assert meta.group(1).startswith(
            "Mayor Smith (OFFICIAL) Moderator &lt;b class=&#34;badge staff&#34;&gt;"
        )
        assert '<template id="staff-badges">' in html  # what the live pages clone

    bearer = {"authorization": f"Bearer {impostor['participant_token']}"}
    view = httpx.get(f"{server.http}/api/rooms/{code}", timeout=10, headers=bearer).json()
    [question] = view["room"]["questions"]
    assert question["author"] == IMPOSTOR
    assert question["answered_by"] == {"role": "moderator", "name": "Mayor Smith"}
