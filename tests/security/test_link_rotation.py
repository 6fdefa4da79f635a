"""Issue 13 item 6: the organiser re-issues a link that leaked. The old token stops working
at once on every entry point (its sockets are closed), the new one works, and the control
panel shows and re-issues the big screen's and the overlay's links."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room


def test_a_reissued_screen_link_shuts_the_old_one_out_everywhere(server: LiveServer) -> None:
    room = create_room(server.http)
    code, organiser = room["code"], room["moderator_token"]
    old_screen = room["screen_token"]

    async def scenario() -> dict[str, object]:
        staff = await Client.open(server.ws, code, organiser)
        projector = await Client.open(server.ws, code, old_screen)
        await projector.wait_for(lambda f: f["type"] == "snapshot")
        rotated = await staff.op("links.rotate", link="screen")
        assert rotated["type"] == "ack" and rotated["generation"] == 1, rotated
        close_code, _reason = await asyncio.wait_for(projector.closed, 10)
        assert close_code == 4003  # the projector holding the old link is shut out
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(server.ws, code, old_screen)
        assert refused.value.response.status_code == 403
        assert b"auth.revoked" in refused.value.response.body
        fresh = await Client.open(server.ws, code, str(rotated["token"]))
        await fresh.wait_for(lambda f: f["type"] == "snapshot")
        await fresh.close()
        await staff.close()
        return rotated

    rotated = asyncio.run(scenario())
    assert str(rotated["url"]).startswith(f"/r/{code}/screen?token=")
    page = httpx.get(f"{server.http}/r/{code}/screen?token={old_screen}")
    assert page.status_code == 403
    assert httpx.get(f"{server.http}{rotated['url']}").status_code in (200, 303)


def test_the_control_panel_shows_and_reissues_links_without_javascript(
    server: LiveServer,
) -> None:
    room = create_room(server.http)
    code = room["code"]
    with httpx.Client(base_url=server.http, follow_redirects=True, timeout=10) as browser:
        panel = browser.get(room["urls"]["moderate"]).text
        assert room["screen_token"] in panel and room["embed_token"] in panel
        csrf = re.search(r'name="csrf" value="([^"]+)"', panel)
        assert csrf is not None
        answer = browser.post(
            f"/r/{code}/moderate/act",
            data={
                "csrf": csrf.group(1),
                "op": "links.rotate",
                "link": "organiser",
                "confirm": "on",
            },
            headers={"origin": server.http},
        )
        assert answer.status_code == 200 and "Save it now" in answer.text
        new_link = re.search(r'value="([^"]*/moderate\?token=[^"]+)"', answer.text)
        assert new_link is not None
        # This browser keeps working (its cookie was renewed); the old link does not.
        assert browser.get(f"/r/{code}/moderate").status_code == 200
    assert httpx.get(room["urls"]["moderate"], timeout=10).status_code == 403
    assert httpx.get(new_link.group(1).replace("&amp;", "&"), timeout=10).status_code in (
        200,
        303,
    )
