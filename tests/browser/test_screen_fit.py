"""The big screen as a projector view: every state fits 16:9 at four sizes without scrolling,
the code and the question are the largest text, axe finds nothing, and it works without
JavaScript. Screenshots go to test-output/screen/ for a person to look at."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = ((1280, 720), (1366, 768), (1920, 1080), (3840, 2160))
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screen"
_ids = itertools.count(1)

# Body text: what the slide says besides its question, its code and its display numbers.
BODY_TEXT = (
    ".bar-label, .bar-value, .answers li, .q-meta, .q-answer, .voters, .avg, .join-hint,"
    " .speaker-topic, .speaker-next, .strip .q-text, .strip .speaker-name, .welcome-pinned,"
    " .strip-label, .slide-meta"
)
LONG_QUESTION = (
    "Given that the riverside redevelopment plan adopted in 2019 promised a continuous public "
    "footpath from the old mill to the marina, why has the northern section still not opened, "
    "who decided to lease the quay to a private operator, and will the council publish the "
    "contract before the next budget vote? Supercalifragilisticexpialidociouslylongword!!"
)[:280]


# One client for every op (`httpx.post` builds one, and loads the CA bundle, per call), and a
# fresh connection for each: a kept-alive one may be closed by the server just as it is reused.
_HTTP = httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))


def op(server: LiveServer, code: str, token: str, name: str, **fields: Any) -> dict[str, Any]:
    r = _HTTP.post(f"{server.http}/api/rooms/{code}/ops",
                   headers={"authorization": f"Bearer {token}"},
                   json={"op": name, "op_id": f"s-{next(_ids)}", **fields})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


class Meeting:
    """A room with one poll of each kind (with ballots), questions and a speaker queue."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        room = create_room(server.http, "Riverside council: budget assembly 2026",
                           moderation="post", speaker_time_limit_s=90)
        self.code, self.mod, self.urls = room["code"], room["moderator_token"], room["urls"]
        self.people = [join(server.http, self.code, name=f"Resident {i}")["participant_token"]
                       for i in range(12)]
        self.polls: dict[str, int] = {}
        opts = ["North park playground", "River footpath lighting", "Old town square benches",
                "Library opening hours"]
        self.add("single", "Which project should we fund first?", options=opts,
                 votes=[i % 4 if i % 3 else 1 for i in range(12)])
        self.add("multiple", "Which days suit you for the next meeting?",
                 options=["Monday", "Tuesday", "Wednesday", "Thursday", "Saturday"],
                 max_selections=3, votes=[[i % 5, (i + 2) % 5] for i in range(12)])
        self.add("rating", "How well was this meeting run?", scale=5,
                 votes=[(i % 5) + 1 for i in range(12)])
        self.add("ranking", "Rank the priorities for next year", options=opts,
                 votes=[[(i + k) % 4 for k in range(4)] for i in range(12)])
        self.add("budget", "Share 100 credits between the projects", options=opts, total=100,
                 votes=[{"0": 40, "1": 30, "2": 20 + i, "3": 0} for i in range(8)])
        words = [
            "parks", "buses", "trees", "lights", "safety", "housing", "rent", "schools", "bikes",
            "jobs", "water", "noise", "trash", "art", "music", "sport", "youth", "elderly",
            "ferry", "bridge", "market", "library", "pool", "dogs", "flowers", "benches", "wifi",
            "cafes", "parking", "trams", "festival",
        ]
        self.add("wordcloud", "One word for the town in ten years?", max_words=3,
                 votes=[[words[(i * 3 + k) % len(words)] for k in range(3)] for i in range(12)])
        for i, token in enumerate(self.people[:6]):  # "parks" and "trees" lead
            op(server, self.code, token, "vote", poll_id=self.polls["wordcloud"],
               choice=["parks", "trees", words[(i * 5) % len(words)]])
        syllables = ["ba", "ko", "ri", "mu", "te", "lo", "san", "dre", "vi", "nu", "pel"]
        coined = [a + b + c for a in syllables for b in syllables[3:] for c in syllables[6:]]
        self.add("wordcloud-many", "A hundred and twenty words: what is the town made of?",
                 kind="wordcloud", max_words=10,
                 votes=[coined[i * 10:(i + 1) * 10] for i in range(12)])
        self.add("wordcloud-one", "One word, one voter?", kind="wordcloud", max_words=1,
                 votes=[["together"]])
        self.add("wordcloud-scripts", "In your language: what should the square be?",
                 kind="wordcloud", max_words=4,
                 votes=[["Donaudampfschifffahrtsgesellschaft", "مدرسة", "公園", "שלום"],
                        ["図書館", "자전거", "مدرسة", "parks"],
                        ["Bürgerbeteiligungsverfahren", "公園", "ساحة", "shade"],
                        ["公園", "verde", "المكتبة", "木陰"]])
        # Two hundred different words, one vote each (the most the screen shows, and the
        # hardest to pack: all of one size).
        extra = [join(server.http, self.code, name=f"Visitor {i}")["participant_token"]
                 for i in range(8)]
        self.add("wordcloud-200", "Two hundred words: what is the town made of?",
                 kind="wordcloud", max_words=10, voters=self.people + extra,
                 votes=[coined[i * 10:(i + 1) * 10] for i in range(20)])
        self.add("open", "What should the council do differently?",
                 votes=["Publish the agenda a week before.", "Hold meetings in the evening.",
                        "Stream the meetings online with captions.", "More time for residents."])
        for answer in self.snapshot()["room"]["answers"]:
            if answer["state"] == "pending":
                op(server, self.code, self.mod, "answer.approve", answer_id=answer["answer_id"])
        many = [f"Option {i}: resurface the lane behind the {w} and add a crossing"
                for i, w in enumerate(words[:30])]
        self.add("many", "Thirty options, long labels: which street next?", kind="single",
                 options=many, votes=[i % 30 for i in range(12)])
        self.question = op(server, self.code, self.people[0], "question.ask",
                           text=LONG_QUESTION, anonymous=False)["question_id"]
        self.short_q = op(server, self.code, self.people[1], "question.ask",
                          text="Will the park be lit at night?", anonymous=False)["question_id"]
        op(server, self.code, self.people[2], "speaker.request",
           topic="The ferry timetable and the night buses on weekdays")
        op(server, self.code, self.people[3], "speaker.request", topic="Parking")
        op(server, self.code, self.mod, "speaker.next")

    def add(self, key: str, question: str, *, votes: list[Any], kind: str | None = None,
            voters: list[str] | None = None, **fields: Any) -> None:
        poll_id = op(self.server, self.code, self.mod, "poll.create", kind=kind or key,
                     question=question, **fields)["poll_id"]
        op(self.server, self.code, self.mod, "poll.open", poll_id=poll_id)
        for token, choice in zip(voters or self.people, votes, strict=False):
            op(self.server, self.code, token, "vote", poll_id=poll_id, choice=choice)
        op(self.server, self.code, self.mod, "poll.reveal", poll_id=poll_id)
        self.polls[key] = poll_id

    def snapshot(self) -> dict[str, Any]:
        r = httpx.get(f"{self.server.http}/api/rooms/{self.code}", timeout=10,
                      headers={"authorization": f"Bearer {self.mod}"})
        return r.json()  # type: ignore[no-any-return]

    def show(self, target: str, target_id: int | None = None) -> None:
        fields = {"target": target} if target_id is None else {
            "target": target, "target_id": target_id}
        op(self.server, self.code, self.mod, "screen.show", **fields)

    def states(self) -> Iterator[tuple[str, str, int | None]]:
        yield "welcome", "welcome", None
        for key, poll_id in self.polls.items():
            yield f"poll-{key}", "poll", poll_id
        yield "question-long", "question", self.question
        yield "speaker", "speaker", None
        yield "nothing", "nothing", None


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> Meeting:
    return Meeting(server)


def _axe(page: Any) -> list[str]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations]


FIT = """() => {
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const visible = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  const body = [...document.querySelectorAll(SELECTOR)].filter(visible).map(px);
  const stageIn = document.querySelector(".stage-in");
  const slide = document.querySelector(".slide");
  const outside = [...document.querySelectorAll(
      ".slide-title, .join-strip, .join-strip .qr svg, .code, .countdown, .welcome .qr svg,"
      + " .voters")]
    .filter(visible).filter((el) => { const r = el.getBoundingClientRect();
      return r.bottom > innerHeight + 1 || r.right > innerWidth + 1 || r.top < -1 || r.left < -1; })
    .map((el) => el.className || el.tagName);
  return {
    scroll: document.scrollingElement.scrollHeight, height: innerHeight,
    scrollW: document.scrollingElement.scrollWidth, width: innerWidth,
    stageClipped: stageIn ? stageIn.scrollHeight - stageIn.clientHeight : 0,
    slideClipped: slide ? slide.scrollHeight - slide.clientHeight : 0,
    bodyMax: body.length ? Math.max(...body) : 0,
    code: [...document.querySelectorAll(".code")].filter(visible).map(px),
    title: [...document.querySelectorAll(".slide-title")].filter(visible).map(px),
    outside,
  };
}""".replace("SELECTOR", repr(BODY_TEXT))


def _check_fit(page: Any, state: str, size: tuple[int, int]) -> None:
    m = page.evaluate(FIT)
    where = (state, size, m)
    assert m["scroll"] <= m["height"], where  # the page never scrolls
    assert m["scrollW"] <= m["width"], where
    assert m["stageClipped"] <= 1 and m["slideClipped"] <= 1, where  # nothing cut at the top
    assert m["outside"] == [], where
    if state != "nothing":
        assert m["code"], where  # the room code is on every slide
        assert min(m["code"]) >= m["bodyMax"], where
    for title in m["title"]:
        assert title >= m["bodyMax"], where


CLOUD = """() => {
  const svg = document.querySelector(".cloud-map");
  if (!svg) return null;
  const area = svg.getBoundingClientRect();
  const words = [...svg.querySelectorAll("text")].map((t) => {
    const r = t.getBoundingClientRect();
    return { text: t.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
             px: r.height };
  });
  const overlaps = [];
  for (let i = 0; i < words.length; i++) for (let j = i + 1; j < words.length; j++) {
    const a = words[i], b = words[j];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5
        && b.top < a.bottom - 0.5) overlaps.push([a.text, b.text]);
  }
  const outside = words.filter((w) => w.left < area.left - 0.5 || w.right > area.right + 0.5
    || w.top < area.top - 0.5 || w.bottom > area.bottom + 0.5).map((w) => w.text);
  return { count: words.length, overlaps, outside, smallest: Math.min(...words.map((w) => w.px)),
           words: words.map((w) => w.text) };
}"""


def _check_cloud(page: Any, state: str, size: tuple[int, int]) -> None:
    """The words as drawn: none overlaps another, all inside the slide, none too small."""
    m = page.evaluate(CLOUD)
    assert m is not None, state
    where = (state, size, m["overlaps"][:5], m["outside"][:5], m["smallest"])
    assert m["overlaps"] == [] and m["outside"] == [], where
    # a glyph box of 10 px at 720p is small print on a projector, but still read from the
    # front rows; 200 words of one size are the worst case
    assert m["smallest"] >= 10 * size[1] / 720, where


def _screen_page(browser: Any, meeting: Meeting, size: tuple[int, int], **opts: Any) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, **opts)
    page = context.new_page()
    page.goto(meeting.urls["screen"])  # the token moves into a cookie; the address is clean
    assert "token=" not in page.url
    return page


@pytest.mark.timeout(600)  # 4 projectors x every state, a reload and axe each: minutes here
def test_every_state_fits_every_projector(browser: Any, meeting: Meeting) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {size: _screen_page(browser, meeting, size) for size in SIZES}
    for state, target, target_id in meeting.states():
        meeting.show(target, target_id)
        for size, page in pages.items():
            page.reload()
            page.wait_for_selector("body[data-conn=online]")
            page.wait_for_selector(f".stage-in.show-{target}")
            page.wait_for_load_state("networkidle")
            _check_fit(page, state, size)
            if state.startswith("poll-wordcloud"):
                _check_cloud(page, state, size)
            page.screenshot(path=str(SHOTS / f"{state}-{size[0]}x{size[1]}.png"))
            if size in ((1280, 720), (1920, 1080)):
                assert _axe(page) == [], (state, size)
    for page in pages.values():
        page.context.close()


def test_following_the_meeting_shows_the_poll_the_pinned_question_and_the_floor(
    browser: Any, meeting: Meeting
) -> None:
    timed = op(meeting.server, meeting.code, meeting.mod, "poll.create", kind="single",
               question="Should the market move to Saturdays?", options=["Yes", "No"])["poll_id"]
    op(meeting.server, meeting.code, meeting.mod, "poll.open", poll_id=timed, duration_s=600)
    op(meeting.server, meeting.code, meeting.mod, "question.pin", question_id=meeting.short_q)
    meeting.show("auto")
    for size in SIZES:
        page = _screen_page(browser, meeting, size)
        page.wait_for_selector("body[data-conn=online]")
        page.locator("#current-poll").get_by_text("Should the market move").wait_for()
        page.locator("#pinned").get_by_text("lit at night").wait_for()
        assert page.locator("#floor .countdown").count() == 1
        countdown = page.locator("#current-poll .countdown")
        assert re.fullmatch(r"10:00|9:[0-5]\d", countdown.inner_text())
        _check_fit(page, "auto", size)
        page.screenshot(path=str(SHOTS / f"auto-{size[0]}x{size[1]}.png"))
        if size == (1920, 1080):
            assert _axe(page) == []
            first = countdown.inner_text()
            page.wait_for_timeout(1300)
            assert countdown.inner_text() != first  # it ticks
        page.context.close()
    op(meeting.server, meeting.code, meeting.mod, "poll.close", poll_id=timed)
    op(meeting.server, meeting.code, meeting.mod, "question.unpin", question_id=meeting.short_q)


@pytest.mark.parametrize("query", ["theme=light", "contrast=high", "theme=light&contrast=high"])
def test_themes_pass_axe(browser: Any, meeting: Meeting, query: str) -> None:
    page = _screen_page(browser, meeting, (1920, 1080))
    name = query.replace("&", "-").replace("=", "-")
    for state, target, target_id in (("welcome", "welcome", None),
                                     ("poll-single", "poll", meeting.polls["single"]),
                                     ("poll-wordcloud", "poll", meeting.polls["wordcloud"]),
                                     ("speaker", "speaker", None)):
        meeting.show(target, target_id)
        page.goto(f"{meeting.server.http}/r/{meeting.code}/screen?{query}")
        page.wait_for_selector(f".stage-in.show-{target}")
        _check_fit(page, state, (1920, 1080))
        page.screenshot(path=str(SHOTS / f"{state}-{name}-1920x1080.png"))
        assert _axe(page) == [], (query, state)
    page.context.close()


def test_without_javascript_the_screen_shows_the_current_state(
    browser: Any, meeting: Meeting
) -> None:
    meeting.show("poll", meeting.polls["rating"])
    page = _screen_page(browser, meeting, (1280, 720), java_script_enabled=False)
    assert page.locator(".slide-title").inner_text() == "How well was this meeting run?"
    assert page.locator("noscript").count() == 1  # its meta refresh keeps it current
    _check_fit(page, "nojs-rating", (1280, 720))
    meeting.show("welcome")
    page.reload()
    assert page.locator(".welcome .qr svg").count() == 1
    page.context.close()
