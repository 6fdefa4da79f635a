"""Item 7: hostile text in every user-controlled string renders escaped on every page."""

from __future__ import annotations

import itertools
import re

import httpx

from tests.security.helpers import bearer, post_op
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
HTMX = '"><div hx-get="/evil" hx-trigger="load">x</div>'
LINK = '<a href="javascript:alert(3)">click</a>'
PAYLOADS = (SCRIPT, IMG, HTMX, LINK)
RAW = ("<script>alert", "<img src=x", "<div hx-get", 'href="javascript:', 'onerror="alert')


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{raw!r} unescaped in {where}"


def test_payloads_in_titles_questions_names_options_and_answers_render_escaped(
    server: LiveServer,
) -> None:
    room = create_room(server.http, f"Town {SCRIPT}", moderation="post")
    code, mod = room["code"], room["moderator_token"]
    ids = itertools.count()

    def op(token: str, **body: object) -> dict[str, object]:
        response = post_op(server.http, code, token, op_id=f"x-{next(ids)}", **body)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    # An attendee through the no-JS form, with a hostile name.
    browser = httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http})
    page = browser.get(f"/r/{code}")
    joined = browser.post(f"/r/{code}/join", data={"csrf": _csrf(page.text), "name": IMG})
    assert joined.status_code == 303, joined.text
    token = browser.cookies[f"th_{code}"]

    single = op(mod, op="poll.create", kind="single", question=f"Q {HTMX}", options=[SCRIPT, LINK])
    openp = op(mod, op="poll.create", kind="open", question=f"Say {IMG}")
    cloud = op(mod, op="poll.create", kind="wordcloud", question="Words")
    for poll in (single, openp, cloud):
        op(mod, op="poll.open", poll_id=poll["poll_id"])
        op(mod, op="poll.reveal", poll_id=poll["poll_id"])
    op(token, op="vote", poll_id=single["poll_id"], choice=0)
    answer = op(token, op="vote", poll_id=openp["poll_id"], choice=f"answer {SCRIPT}")
    if answer.get("state") == "pending":
        op(mod, op="answer.approve", answer_id=answer["answer_id"])
    op(token, op="vote", poll_id=cloud["poll_id"], choice=SCRIPT)
    for i, text in enumerate(PAYLOADS):
        asked = op(token, op="question.ask", text=f"{i} {text}", anonymous=False)
        if i == 0:
            op(mod, op="question.pin", question_id=asked["question_id"])
    pending = op(token, op="question.ask", text=f"pending {LINK} https://x.example")
    op(mod, op="question.reject", question_id=pending["question_id"], reason="spam")
    op(mod, op="moderator.add", name=HTMX)
    op(token, op="speaker.request", topic=SCRIPT)

    pages = {"attendee": browser.get(f"/r/{code}")}
    staff = httpx.Client(base_url=server.http, timeout=10, follow_redirects=True)
    pages["moderate"] = staff.get(room["urls"]["moderate"])
    pages["moderate panel"] = staff.get(f"/r/{code}/moderate/panel")
    pages["screen"] = httpx.get(room["urls"]["screen"], follow_redirects=True, timeout=10)
    pages["embed"] = httpx.get(room["urls"]["embed"], follow_redirects=True, timeout=10)
    for where, response in pages.items():
        assert response.status_code == 200, (where, response.text[:300])
        assert_escaped(response.text, where)
    # The payloads did arrive, escaped (so the test looks at the right text).
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["attendee"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["moderate panel"].text
    assert "&lt;script&gt;" in pages["screen"].text and "&lt;script&gt;" in pages["embed"].text

    # JSON is not HTML: the API answers application/json and the transcript is a download.
    api = httpx.get(f"{server.http}/api/rooms/{code}", headers=bearer(mod), timeout=10)
    assert api.headers["content-type"].startswith("application/json")
    log = httpx.get(f"{server.http}/api/rooms/{code}/transcript", headers=bearer(mod), timeout=10)
    assert log.headers["content-type"].startswith("application/x-ndjson")
    assert log.headers["content-disposition"].startswith("attachment")
    browser.close()
    staff.close()
