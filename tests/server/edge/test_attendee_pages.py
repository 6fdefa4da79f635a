"""The attendee's pages over plain HTTP: the public fragment (one for everyone, by version),
the personal one, receipts, refusals, leaving, banned and closed rooms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.browser.phone import Room
from tests.support.live_server import LiveServer


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@contextmanager
def _person(server: LiveServer, room: Room, **fields: str) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http}) as client:
        page = client.get(f"/r/{room.code}")
        joined = client.post(f"/r/{room.code}/join", data={"csrf": _csrf(page.text), **fields})
        assert joined.status_code == 303, joined.text
        yield client, _csrf(client.get(f"/r/{room.code}").text)


def _act(client: httpx.Client, room: Room, csrf: str, **fields: str) -> httpx.Response:
    return client.post(f"/r/{room.code}/act", data={"csrf": csrf, **fields})


def test_the_public_fragment_is_one_for_everyone_and_revalidates(server: LiveServer) -> None:
    room = Room(server, "Fragments")
    poll = room.poll("single", "Lights?", options=["Yes", "No"])
    with _person(server, room, name="Ana") as (ana, csrf), _person(server, room, name="Ben") as (
        ben,
        _,
    ):
        voted = _act(ana, room, csrf, op="vote", poll_id=str(poll), choice="1")
        assert voted.status_code == 303
        mine = ana.get(f"/r/{room.code}")
        assert "data-voted" in mine.text  # the person's page shows their ballot
        first = ana.get(f"/r/{room.code}/live")
        other = ben.get(f"/r/{room.code}/live")
        assert first.status_code == other.status_code == 200
        assert first.headers["etag"] == other.headers["etag"]
        assert first.text == other.text  # nothing personal in it, not even a CSRF token
        assert 'name="csrf" value=""' in first.text and csrf not in first.text
        assert "data-voted" not in first.text and "Ana" not in first.text
        again = ben.get(f"/r/{room.code}/live", headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304
        room.op("poll.close", poll_id=poll)
        changed = ben.get(f"/r/{room.code}/live", headers={"if-none-match": first.headers["etag"]})
        assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    with httpx.Client(base_url=server.http, timeout=10) as stranger:
        assert stranger.get(f"/r/{room.code}/live").status_code == 401


def test_the_personal_fragment_has_my_questions_in_plain_words(server: LiveServer) -> None:
    room = Room(server, "Mine")
    with _person(server, room, name="Ana") as (ana, csrf):
        _act(ana, room, csrf, op="question.ask", text="Can the pool open later?")
        mine = ana.get(f"/r/{room.code}/mine")
        assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
        assert "Can the pool open later?" in mine.text
        assert "Waiting for a moderator" in mine.text
        assert "You joined as Ana" in mine.text
        question = room.question_of("pool")
        room.op("question.reject", question_id=question["question_id"], reason="off_topic")
        assert "Not published: Off topic" in ana.get(f"/r/{room.code}/mine").text


def test_a_vote_without_javascript_shows_its_receipt_and_the_ballot(server: LiveServer) -> None:
    room = Room(server, "Receipts")
    ranking = room.poll("ranking", "Order", options=["Parks", "Roads", "Library"])
    budget = room.poll("budget", "Share", options=["Parks", "Roads"], total=10)
    with _person(server, room, name="Ana") as (ana, csrf):
        duplicate = _act(ana, room, csrf, op="vote", poll_id=str(ranking),
                         rank_0="1", rank_1="1", rank_2="1")
        assert "error=vote.invalid_choice" in duplicate.headers["location"]
        assert room.ballots(ranking) == 0
        done = _act(ana, room, csrf, op="vote", poll_id=str(ranking),
                    rank_0="2", rank_1="3", rank_2="1")
        location = done.headers["location"]
        # The short code (seq and 16 hex digits) the phone shows with JavaScript too.
        found = re.search(r"receipt=([0-9]+)%3A([0-9a-f]{16})(?:&|#|$)", location)
        assert found is not None, location
        page = ana.get(location)
        receipt = f"{found.group(1)}:{found.group(2)}"
        assert f'value="{receipt}"' in page.text
        log = httpx.get(
            f"{server.http}/api/rooms/{room.code}/transcript",
            headers={"authorization": f"Bearer {room.info['moderator_token']}"},
            timeout=10,
        ).text.splitlines()
        entry = json.loads(log[int(found.group(1)) - 1])
        assert entry["type"] == "ballot.cast" and entry["hash"].startswith(found.group(2))
        assert f"/r/{room.code}/check?receipt={found.group(1)}%3A{found.group(2)}" in page.text
        # The ranking shows my order (Library, Parks, Roads), not the options' order.
        card = page.text.split(f'id="poll-{ranking}"')[1].split("</article>")[0]
        order = re.findall(r'class="rank-text"[^>]*>([^<]+)<', card)
        assert order == ["Library", "Parks", "Roads"]
        _act(ana, room, csrf, op="vote", poll_id=str(budget), amount_0="3", amount_1="7")
        page = ana.get(f"/r/{room.code}")
        card = page.text.split(f'id="poll-{budget}"')[1].split("</article>")[0]
        assert re.findall(r'name="amount_\d" [^>]*value="(\d+)"', card) == ["3", "7"]
        assert "0 points left" in card
        assert f'value="{receipt}"' not in page.text  # only right after voting, without JS


def test_join_refusals_read_as_sentences_and_keep_the_name(server: LiveServer) -> None:
    room = Room(server, "Coded", access_code="PARK42", districts=["North"])
    with httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http}) as c:
        page = c.get(f"/r/{room.code}")
        assert 'id="access_code"' in page.text and "<details" not in page.text
        refused = c.post(f"/r/{room.code}/join", data={
            "csrf": _csrf(page.text), "name": "Ben", "district": "North", "access_code": "no"})
        again = c.get(refused.headers["location"])
        assert "This room needs its access code" in again.text
        assert 'value="Ben"' in again.text and "<option selected>North</option>" in again.text
    verified = Room(server, "Verified", verified=True)
    code = verified.op("codes.issue", count=1)["codes"][0]
    with httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http}) as c:
        page = c.get(f"/r/{verified.code}")
        assert 'autocomplete="one-time-code"' in page.text
        joined = c.post(f"/r/{verified.code}/join", data={
            "csrf": _csrf(page.text), "attendee_code": code})
        assert joined.headers["location"] == f"/r/{verified.code}"
        assert "You joined without a name" in c.get(f"/r/{verified.code}").text


def test_leave_banned_and_closed(server: LiveServer) -> None:
    room = Room(server, "States")
    poll = room.poll("single", "Lights?", options=["Yes", "No"])
    with _person(server, room, name="Ana") as (ana, csrf):
        left = ana.post(f"/r/{room.code}/leave", data={"csrf": csrf})
        assert left.status_code == 303 and f"th_{room.code}" not in ana.cookies
        assert "You left this room on this device." in ana.get(left.headers["location"]).text
    with _person(server, room, name="Zed") as (zed, csrf):
        _act(zed, room, csrf, op="question.ask", text="spam here")
        author = room.question_of("spam")["author_id"]
        room.op("participant.ban", participant_id=author, reason="spam")
        page = zed.get(f"/r/{room.code}")
        assert "You were removed from this room by a moderator." in page.text
        assert "Reason: Spam or advertising" in page.text
        assert zed.get(f"/r/{room.code}/live").status_code == 403  # the script reloads on it
    with _person(server, room, name="Cy") as (cy, _):
        room.op("room.close")
        page = cy.get(f"/r/{room.code}")
        assert "This meeting has ended." in page.text
        assert "data-op=" not in page.text  # nothing can be sent
        assert f'id="poll-{poll}"' in page.text


def test_change_name_until_others_have_seen_it(server: LiveServer) -> None:
    room = Room(server, "Names", moderation="post")
    with _person(server, room, name="Ana") as (ana, csrf):
        renamed = ana.post(f"/r/{room.code}/join", data={"csrf": csrf, "name": "Ann"})
        assert renamed.headers["location"] == f"/r/{room.code}"
        page = ana.get(f"/r/{room.code}")
        assert "You joined as Ann" in page.text and 'id="new-name"' in page.text
        _act(ana, room, csrf, op="question.ask", text="Seen by all?")
        page = ana.get(f"/r/{room.code}")
        assert "Your name is fixed now that others have seen it." in page.text
        assert 'id="new-name"' not in page.text
        refused = ana.post(f"/r/{room.code}/join", data={"csrf": csrf, "name": "Mayor"})
        assert "error=name.locked" in refused.headers["location"]
