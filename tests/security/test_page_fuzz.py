"""Every form the pages accept, fuzzed end to end beside honest users: an attendee (or a
stranger) posting whatever a hostile browser can send to any POST page route gets a page or a
redirect with a stable error, never a server error, never an open redirect, and never changes
what the honest people in the room did or the room's moderation.

The routes are read from the application itself, so a new form route is fuzzed the day it is
added. Runs against a real server (uvicorn, SQLite) over HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from rooms.reducer import DECIDERS
from server.app import build_app
from tests.security.helpers import post_op, snapshot
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

# Every status a page may answer a hostile form with: a redirect back with ?error=..., or a
# page naming the problem. 500 is the one that must never happen.
ANSWERS = {200, 303, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429}

FORM_ROUTES = sorted(
    route.path.replace("{code:str}", "{code}")
    for route in build_app().routes
    if isinstance(route, Route) and "POST" in (route.methods or ())
    and not route.path.startswith("/api/")
)

FIELD_NAMES = (
    "op", "op_id", "csrf", "poll_id", "question_id", "answer_id", "choice", "text", "name",
    "reason", "kind", "question", "options", "labels", "at", "scope", "page_ids",
    "attendee_code", "access_code", "district", "lang", "target", "seconds", "timer",
    "moderator_id", "count", "ban_id", "participant_id", "what", "speaker", "title",
    "moderation", "language", "confirm", "next", "back",
)

# Form values as a hostile browser sends them: numbers in odd spellings, control and
# direction characters, markup, very long text, and text in several scripts. Lone surrogates
# cannot be form-encoded, so they arrive as raw bytes in the raw-body case below.
HOSTILE = st.sampled_from([
    "", "0", "-1", "1", "2", "99999999999999999999", "1e309", "NaN", "²", "\uff10", "0x10", " 1 ",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "\u202eevil", "\x00",
    "a\u0301" * 50, "👍" * 300, "x" * 5_000, "//evil.example/", "https://evil.example/",
    "javascript:alert(1)", "../../etc/passwd", "%00", "\r\nSet-Cookie: a=b",
])
# Small numbers hit the room's real polls, questions and seats.
VALUES = st.one_of(HOSTILE, st.integers(0, 12).map(str),
                   st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
OPS = st.one_of(st.sampled_from(sorted(DECIDERS)), VALUES)
# Half the forms go to the attendee's own action route, where an op's own checks are reached.
ROUTES = st.one_of(st.just("/r/{code}/act"), st.sampled_from(FORM_ROUTES))


@st.composite
def forms(draw: st.DrawFn) -> list[tuple[str, str]]:
    pairs = [("op", draw(OPS))]
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=8))
    pairs += [(name, draw(VALUES)) for name in names]
    return pairs


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


class Meeting:
    """A room with an open poll, one honest vote, one honest question, and an attacker who
    joined like anyone else."""

    def __init__(self, server: LiveServer) -> None:
        self.http = server.http
        self.room = create_room(server.http, "Fuzzed", moderation="post")
        self.code: str = self.room["code"]
        token = self.room["moderator_token"]
        made = post_op(server.http, self.code, token, op="poll.create", op_id="f-1",
                       kind="single", question="Which park?", options=["North", "South"])
        assert made.status_code == 200, made.text
        self.poll_id: int = made.json()["poll_id"]
        opened = post_op(server.http, self.code, token, op="poll.open", op_id="f-2",
                         poll_id=self.poll_id)
        assert opened.status_code == 200, opened.text
        self.voter = self._join("Honest voter")
        self._act(self.voter, "vote", poll_id=str(self.poll_id), choice="0")
        self.asker = self._join("Honest asker")
        self._act(self.asker, "question.ask", text="When does the pool reopen?")
        self.attacker = self._join("Attacker")
        self.stranger = httpx.Client(base_url=self.http, timeout=30,
                                     headers={"origin": self.http})

    def _join(self, name: str) -> httpx.Client:
        person = httpx.Client(base_url=self.http, timeout=30, headers={"origin": self.http})
        page = person.get(f"/r/{self.code}")
        joined = person.post(f"/r/{self.code}/join", data={"csrf": _csrf(page.text), "name": name})
        assert joined.status_code == 303, joined.text
        return person

    def _act(self, person: httpx.Client, op: str, **fields: str) -> None:
        csrf = _csrf(person.get(f"/r/{self.code}").text)
        done = person.post(f"/r/{self.code}/act", data={"csrf": csrf, "op": op, **fields})
        assert done.status_code == 303 and "error" not in done.headers["location"], done.headers

    def outcome(self) -> dict[str, Any]:
        """What the honest people did and what only moderators may change. The attacker may
        vote (once) and ask like anyone: those are theirs to do, so the checks leave room."""
        room = snapshot(self.http, self.code, self.room["moderator_token"])["room"]
        (poll,) = room["polls"]
        honest = [q for q in room["questions"] if q["text"] == "When does the pool reopen?"]
        return {
            "moderation": (room["title"], room["state"], room["settings"], room["moderators"],
                           room["banned"], room["bans"], room["presenting"], room["pinned"]),
            "poll": (poll["poll_id"], poll["state"], poll["revealed"], poll["closes_at"]),
            "honest vote counted": poll["results"]["counts"][0] >= 1,
            "one vote each": poll["results"]["voters"] <= 2,
            "honest question": [(q["question_id"], q["state"], q["answer"]) for q in honest],
        }

    def close(self) -> None:
        for client in (self.voter, self.asker, self.attacker, self.stranger):
            client.close()


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> Iterator[Meeting]:
    room = Meeting(server)
    yield room
    room.close()


def _check(response: httpx.Response) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.text[:400])
    assert "Traceback" not in response.text
    location = response.headers.get("location")
    if location is not None:  # back to our own pages only: never an open redirect
        assert location.startswith("/") and not location.startswith("//"), location
        assert "\n" not in location and "\r" not in location


def _error_of(response: httpx.Response) -> str:
    found = re.search(r"error=([a-z_.]+)", response.headers.get("location", ""))
    return found.group(1) if found else ""


def test_form_routes_are_found() -> None:
    assert "/r/{code}/act" in FORM_ROUTES and "/r/{code}/moderate/act" in FORM_ROUTES
    assert len(FORM_ROUTES) >= 8


@pytest.mark.timeout(600)
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(route=ROUTES, form=forms(), as_attacker=st.booleans(),
       real_csrf=st.booleans())
def test_hostile_forms_change_nothing_honest_people_did(
    meeting: Meeting, route: str, form: list[tuple[str, str]], as_attacker: bool,
    real_csrf: bool,
) -> None:
    before = meeting.outcome()
    client = meeting.attacker if as_attacker else meeting.stranger
    if real_csrf:  # past the CSRF check, so the fuzz reaches the op's own validation
        # Fetched afresh: a form the fuzz posted (a join, an erase) may have changed the
        # browser's session, and with it the token.
        token = _csrf(client.get(f"/r/{meeting.code}" if as_attacker else "/").text)
        form = [("csrf", token), *[(k, v) for k, v in form if k != "csrf"]]
    # The attacker must not leave the room: that would only test the stranger twice.
    if route.endswith("/leave"):
        form = [(k, v) for k, v in form if k != "csrf"]
    response = client.post(route.format(code=meeting.code), content=urlencode(form),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    _check(response)
    event(f"{response.status_code} {_error_of(response)}")
    after = meeting.outcome()
    assert after == before


@pytest.mark.timeout(300)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(FORM_ROUTES), body=st.binary(max_size=2_000),
       kind=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data",
                             "multipart/form-data; boundary=x", "text/plain", "application/json"]))
def test_raw_bodies_in_any_encoding_are_refused_cleanly(
    meeting: Meeting, route: str, body: bytes, kind: str
) -> None:
    before = meeting.outcome()
    token = _csrf(meeting.attacker.get(f"/r/{meeting.code}").text).encode()
    for raw in (body, b"op=vote&csrf=" + token + b"&text=\xed\xa0\x80"):
        response = meeting.attacker.post(route.format(code=meeting.code), content=raw,
                                         headers={"content-type": kind})
        _check(response)
    assert meeting.outcome() == before
