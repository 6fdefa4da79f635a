"""Erasure from the phone with JavaScript off: the attendee page's form, through the one
edge; the organiser's view then shows no name, and the page no longer offers it."""

from __future__ import annotations

import httpx

from tests.server.edge.test_pages import _csrf, _joined
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room


def test_an_attendee_erases_their_name_from_the_page(server: LiveServer) -> None:
    room = create_room(server.http, "Erasure", districts=["North"])
    code = room["code"]
    client, page = _joined(server, code, name="Philippa")
    assert 'value="participant.erase"' in page and f'href="/r/{code}/check"' in page
    erased = client.post(f"/r/{code}/act", data={"csrf": _csrf(page), "op": "participant.erase"})
    assert erased.status_code == 303 and "done=participant.erase" in erased.headers["location"]
    after = client.get(erased.headers["location"])
    assert "Your name and district were erased." in after.text
    assert 'value="participant.erase"' not in after.text
    staff = httpx.get(
        f"{server.http}/api/rooms/{code}",
        headers={"authorization": f"Bearer {room['moderator_token']}"},
    ).json()
    assert "Philippa" not in str(staff)
    client.close()
