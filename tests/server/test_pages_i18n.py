"""Pages in every shipped language: lang and dir on <html>, the room's default language, and
no English left on an Arabic or Chinese page (every visible string went through `_()`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from server.edge.i18n import LANGUAGES
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

# User content without Latin words, so any Latin word on an Arabic page is ours.
TITLE, OPTIONS = "☀ 2026", ["🚲", "🚌"]
# Latin that belongs on any page: names of things, not words to translate.
ALLOWED = {"QR", "UTC", "townhall", "verify", "CSV", "JSON"}  # names of file formats


class _Visible(HTMLParser):
    """Text a person sees or hears: text nodes and aria-label/title/alt/placeholder, except in
    <script>, <style>, <code> and elements in another language (the picker's own names)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang, self.skip, self.parts = lang, [False], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        other = a.get("lang") not in (None, self.lang) and tag != "html"
        void = tag in ("input", "meta", "link", "br", "img")
        skip = self.skip[-1] or other or tag in ("script", "style", "code")
        if not skip:
            heard = ("aria-label", "title", "alt", "placeholder")
            self.parts += [v for k, v in attrs if k in heard and v]
        if not void:
            self.skip.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "meta", "link", "br", "img") and len(self.skip) > 1:
            self.skip.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip[-1]:
            self.parts.append(data)


def _latin_words(html: str, lang: str, code: str) -> set[str]:
    parser = _Visible(lang)
    parser.feed(html)
    text = re.sub(r"https?://\S+", " ", " ".join(parser.parts)).replace(code, " ")
    return set(re.findall(r"[A-Za-z_]{3,}", text)) - ALLOWED


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> Iterator[dict[str, Any]]:
    room = create_room(server.http, TITLE, moderation="pre", districts=["🏠", "🏢"])
    code = room["code"]
    auth = {"authorization": f"Bearer {room['moderator_token']}"}
    n = iter(range(1000))

    def op(token: str, op: str, **fields: Any) -> dict[str, Any]:
        r = httpx.post(f"{server.http}/api/rooms/{code}/ops", timeout=10,
                       headers={"authorization": f"Bearer {token}"},
                       json={"op": op, "op_id": f"i-{next(n)}", **fields})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    moderator = room["moderator_token"]
    poll = op(moderator, "poll.create", kind="single", question="🚦", options=OPTIONS)
    op(moderator, "poll.open", poll_id=poll["poll_id"])
    people = [join(server.http, code, name="🙂", district="🏠") for _ in range(3)]
    for i, person in enumerate(people):
        op(person["participant_token"], "vote", poll_id=poll["poll_id"], choice=i % 2)
    asked = op(people[0]["participant_token"], "question.ask", text="🚲🚲🚲")
    op(people[1]["participant_token"], "question.ask", text="🚌🚌🚌")
    op(moderator, "question.approve", question_id=asked["question_id"])
    op(people[2]["participant_token"], "speaker.request", topic="🌳")
    op(people[1]["participant_token"], "react", emoji="👏")
    op(moderator, "poll.reveal", poll_id=poll["poll_id"])
    yield {"room": room, "code": code, "auth": auth, "people": people}


def _pages(server: LiveServer, meeting: dict[str, Any], lang: str) -> dict[str, str]:
    room, code = meeting["room"], meeting["code"]
    pages = {}
    with httpx.Client(base_url=server.http, timeout=10, follow_redirects=True) as staff:
        pages["moderate"] = staff.get(room["urls"]["moderate"] + f"&lang={lang}").text
        pages["report"] = staff.get(f"/r/{code}/report?lang={lang}").text
        pages["screen"] = staff.get(room["urls"]["screen"] + f"&lang={lang}").text
        pages["embed"] = staff.get(room["urls"]["embed"] + f"&lang={lang}").text
    with httpx.Client(base_url=server.http, timeout=10) as visitor:
        pages["home"] = visitor.get(f"/?lang={lang}&error=room.not_found").text
        pages["join"] = visitor.get(f"/r/{code}?lang={lang}").text
        pages["missing"] = visitor.get(f"/r/NOSUCH?lang={lang}").text
    cookie = {f"th_{code}": meeting["people"][2]["participant_token"]}
    with httpx.Client(base_url=server.http, timeout=10, cookies=cookie) as attendee:
        pages["attendee"] = attendee.get(f"/r/{code}?lang={lang}").text
    return pages


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_says_its_language_and_direction(
    server: LiveServer, meeting: dict[str, Any], lang: str
) -> None:
    direction = "rtl" if lang == "ar" else "ltr"
    for name, html in _pages(server, meeting, lang).items():
        assert f'<html lang="{lang}" dir="{direction}">' in html, (lang, name)


@pytest.mark.parametrize("lang", ["ar", "zh-Hans"])
def test_no_english_is_left_on_the_page(
    server: LiveServer, meeting: dict[str, Any], lang: str
) -> None:
    for name, html in _pages(server, meeting, lang).items():
        assert _latin_words(html, lang, meeting["code"]) == set(), (lang, name)


def test_the_detector_sees_english(server: LiveServer, meeting: dict[str, Any]) -> None:
    html = _pages(server, meeting, "en")["attendee"]
    assert {"Polls", "Questions", "Speak"} <= _latin_words(html, "ar", meeting["code"])


def test_plurals_and_formats_on_the_page(server: LiveServer, meeting: dict[str, Any]) -> None:
    pages = _pages(server, meeting, "ar")
    assert "صوّت 3 أشخاص" in pages["attendee"] and "شخص واحد في الانتظار" in pages["attendee"]
    english = _pages(server, meeting, "en")
    assert "3 voters" in english["screen"] and "1 person waiting" in english["attendee"]
    assert "3 voters of 3 (100%)" in english["report"]
    assert "Off topic" in english["moderate"] and ">off_topic<" not in english["moderate"]
    assert "Single choice" in english["moderate"]


def test_the_room_default_language(server: LiveServer) -> None:
    room = create_room(server.http, TITLE, language="vi")
    page = f"{server.http}/r/{room['code']}"
    assert 'lang="vi"' in httpx.get(page, timeout=10).text
    asked = httpx.get(page, timeout=10, headers={"accept-language": "de-DE,de;q=0.9"})
    assert 'lang="de"' in asked.text  # the person's own languages come first
    assert 'lang="es"' in httpx.get(page + "?lang=es", timeout=10).text
    screen = httpx.get(room["urls"]["screen"], timeout=10, follow_redirects=True)
    assert 'lang="vi"' in screen.text
    refused = httpx.post(f"{server.http}/api/rooms", timeout=10,
                         json={"title": TITLE, "language": "Vietnamese please"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "field.invalid"
