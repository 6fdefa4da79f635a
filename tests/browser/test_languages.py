"""Arabic (right to left) and Vietnamese in headless Chromium, on a phone and a laptop: the
attendee page, the control panel, the big screen and the report. Screenshots go to
test-output/screenshots/ for a person to look at; the checks here catch what they can
without eyes: nothing wider than the screen, the page mirrored, live text still translated."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"phone": (360, 740), "laptop": (1280, 720)}
CONTENT = {
    "ar": {
        "title": "اجتماع مجلس الحي",
        "poll": "هل تؤيدون إنشاء مسار للدراجات في شارع هانكوك؟",
        "options": ["نعم", "لا", "لم أقرر بعد"],
        "questions": ["متى تبدأ أعمال الصيانة في الحديقة العامة؟",
                      "هل ستُضاء الحديقة ليلًا؟"],
        "names": ["سارة", "يوسف", "مريم"],
        "topic": "النقل العام",
        "voters": "صوّت {n} أشخاص",
    },
    "vi": {
        "title": "Họp hội đồng khu phố",
        "poll": "Quý vị có ủng hộ làn đường xe đạp trên phố Hancock không?",
        "options": ["Có", "Không", "Chưa quyết định"],
        "questions": ["Khi nào công viên được sửa chữa?",
                      "Công viên có được chiếu sáng vào ban đêm không?"],
        "names": ["Lan", "Minh", "Hoa"],
        "topic": "Giao thông công cộng",
        "voters": "{n} người đã bình chọn",
    },
}
_ids = itertools.count(1)


def _op(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.http}/api/rooms/{code}/ops", timeout=10,
                   headers={"authorization": f"Bearer {token}"},
                   json={"op": op, "op_id": f"l-{next(_ids)}", **fields})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _meeting(server: LiveServer, lang: str) -> dict[str, Any]:
    """A meeting in full swing, in the people's own language."""
    c = CONTENT[lang]
    room = create_room(server.http, c["title"], language=lang, districts=["1", "2"])
    code, mod = room["code"], room["moderator_token"]
    poll = _op(server, code, mod, "poll.create", kind="single", question=c["poll"],
               options=c["options"])
    _op(server, code, mod, "poll.open", poll_id=poll["poll_id"])
    _op(server, code, mod, "poll.reveal", poll_id=poll["poll_id"])
    people = [join(server.http, code, name=name, district="1") for name in c["names"]]
    for i, person in enumerate(people):
        _op(server, code, person["participant_token"], "vote", poll_id=poll["poll_id"],
            choice=i % 2)
    first = _op(server, code, people[0]["participant_token"], "question.ask",
                text=c["questions"][0])
    _op(server, code, mod, "question.approve", question_id=first["question_id"])
    _op(server, code, mod, "question.pin", question_id=first["question_id"])
    _op(server, code, people[1]["participant_token"], "question.ask", text=c["questions"][1])
    _op(server, code, people[2]["participant_token"], "speaker.request", topic=c["topic"])
    _op(server, code, people[1]["participant_token"], "speaker.request", topic=c["topic"])
    _op(server, code, mod, "speaker.next")
    _op(server, code, people[1]["participant_token"], "react", emoji="👏")
    return {"room": room, "code": code, "poll_id": poll["poll_id"], "people": people}


def _overflow(page: Any) -> int:
    """How far the page is wider than its viewport (0 when nothing sticks out)."""
    return int(page.evaluate(
        "() => document.scrollingElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("lang", list(CONTENT))
def test_pages_in_arabic_and_vietnamese(
    server: LiveServer, browser: Any, shots: Path, lang: str
) -> None:
    m = _meeting(server, lang)
    code, urls = m["code"], m["room"]["urls"]
    rtl = lang == "ar"
    for size, (width, height) in SIZES.items():
        phone = size == "phone"
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone,
            device_scale_factor=2 if phone else 1)
        # The room's default language speaks: the browser asks for nothing in particular.
        context.set_extra_http_headers({"accept-language": "tlh"})
        context.add_cookies([{"name": f"th_{code}", "url": server.http,
                              "value": m["people"][2]["participant_token"]}])
        page = context.new_page()
        for name, url in (("attendee", f"{server.http}/r/{code}"),
                          ("moderate", urls["moderate"]),
                          ("screen", urls["screen"]),
                          ("report", f"{server.http}/r/{code}/report")):
            page.goto(url)
            if name != "report":
                page.wait_for_selector("body[data-conn=online]")
                page.wait_for_timeout(300)  # the first render from the snapshot
            assert page.evaluate("document.documentElement.dir") == ("rtl" if rtl else "ltr")
            assert page.evaluate("document.documentElement.lang") == lang
            page.screenshot(path=str(shots / f"{name}-{lang}-{width}x{height}.png"),
                            full_page=True)
            assert _overflow(page) <= 0, (name, lang, size)
            if rtl and name != "report":
                # Mirrored: headings start at the right edge of their box.
                box = page.locator("main h2, main h1").first.bounding_box()
                assert box is not None and box["x"] + box["width"] > width / 2, (name, size)
        context.close()


def test_live_updates_keep_the_language(server: LiveServer, browser: Any) -> None:
    """What the page script renders after a change uses the server's plural forms and words."""
    for lang in CONTENT:
        m = _meeting(server, lang)
        context = browser.new_context(extra_http_headers={"accept-language": "tlh"})
        page = context.new_page()
        page.goto(m["room"]["urls"]["screen"])
        page.wait_for_selector("body[data-conn=online]")
        voters = CONTENT[lang]["voters"]
        page.locator("#current-poll").get_by_text(voters.format(n=3)).wait_for()
        extra = join(server.http, m["code"], name="+")
        _op(server, m["code"], extra["participant_token"], "vote", poll_id=m["poll_id"],
            choice=2)
        page.locator("#current-poll").get_by_text(voters.format(n=4)).wait_for()
        context.close()
