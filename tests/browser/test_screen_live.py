"""The screen from the control panel: "show on screen" moves the big screen live (and without
JavaScript), results animate in place, reactions float up, and the overlay stays readable
over light and dark video. Screenshots go to test-output/screen/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_screen_fit import SHOTS, _axe, op
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Room:
    def __init__(self, server: LiveServer) -> None:
        room = create_room(server.http, "Harbour ward meeting", moderation="post")
        self.server, self.code, self.urls = server, room["code"], room["urls"]
        self.mod = room["moderator_token"]
        self.people = [join(server.http, self.code, name=f"P{i}")["participant_token"]
                       for i in range(4)]
        self.poll = op(server, self.code, self.mod, "poll.create", kind="single",
                       question="Extend the harbour car park?", options=["Yes", "No", "Later"])[
            "poll_id"]
        op(server, self.code, self.mod, "poll.open", poll_id=self.poll)
        op(server, self.code, self.mod, "poll.reveal", poll_id=self.poll)
        for i, token in enumerate(self.people[:3]):
            op(server, self.code, token, "vote", poll_id=self.poll, choice=i % 2)
        self.question = op(server, self.code, self.people[0], "question.ask",
                           text="When will the ferry run on Sundays?", anonymous=False)[
            "question_id"]

    def op(self, name: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
        return op(self.server, self.code, token or self.mod, name, **fields)


@pytest.fixture(scope="module")
def room(server: LiveServer) -> Room:
    return Room(server)


def test_show_on_screen_from_the_panel_moves_the_screen_live(browser: Any, room: Room) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    panel = context.new_page()
    panel.goto(room.urls["moderate"])
    panel.wait_for_selector("body[data-conn=online]")
    section = panel.locator("#presenting")
    # The panel's own "Big screen" link opens the screen in this browser (its panel cookie),
    # and the projected page's socket holds the screen's read-only token, not the organiser's.
    screen = context.new_page()
    href = panel.get_by_role("link", name="Big screen").first.get_attribute("href") or ""
    screen.goto(href if href.startswith("http") else room.server.http + href)
    screen.wait_for_selector("body[data-conn=online]")
    assert screen.evaluate("document.body.dataset.token") not in ("", room.mod)
    screen.locator("#current-poll").get_by_text("Extend the harbour car park?").wait_for()

    section.get_by_role("button", name="Welcome slide").click()
    screen.locator(".stage-in.show-welcome").wait_for()  # live: no reload
    assert screen.locator(".welcome .code").inner_text() == room.code
    panel.locator("#present-now").get_by_text("Welcome slide").wait_for()

    section.get_by_label("Question").select_option(str(room.question))
    section.locator("form.present-pick").filter(has=panel.locator("#present-question")).get_by_role(
        "button", name="Show on screen").click()
    screen.locator(".question-slide").get_by_text("ferry run on Sundays").wait_for()
    panel.wait_for_timeout(400)
    panel.screenshot(path=str(SHOTS / "panel-presenting-1366x768.png"), full_page=True)

    section.get_by_role("button", name="Follow the meeting").click()
    screen.locator("#current-poll").wait_for()
    context.close()


def test_results_animate_in_place_and_reactions_float_up(browser: Any, room: Room) -> None:
    room.op("screen.show", target="poll", target_id=room.poll)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    screen = context.new_page()
    screen.goto(room.urls["screen"])
    screen.wait_for_selector("body[data-conn=online]")
    bar = screen.locator("#current-poll progress").nth(2)
    assert bar.get_attribute("value") == "0"
    bar.evaluate("(el) => { el.kept = true; }")
    # A bar's value slides (its pseudo-element has no computed style to read: the rule is
    # read instead, and it applies only while the viewer has not asked for less motion).
    slides = """() => [...document.styleSheets].flatMap((s) => [...s.cssRules])
      .filter((r) => r.media && r.media.mediaText.includes("prefers-reduced-motion: no-preference")
        && matchMedia(r.media.mediaText).matches)
      .flatMap((r) => [...r.cssRules])
      .some((r) => r.selectorText.includes(".screen progress::-webkit-progress-value")
        && r.style.transitionDuration.startsWith("0.6s"))"""
    assert screen.evaluate(slides)
    room.op("vote", room.people[3], poll_id=room.poll, choice=2)
    expect(bar).to_have_attribute("value", "1")
    # The same element took the new value: the bar slides to it instead of being redrawn.
    assert bar.evaluate("(el) => el.kept === true")

    room.op("react", room.people[1], emoji="👏")
    room.op("react", room.people[2], emoji="👏")
    screen.locator("#floats .float").first.wait_for(state="attached")
    assert "👏" in screen.locator("#floats").inner_text()
    # Floating reactions never make the page scroll.
    assert screen.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    screen.screenshot(path=str(SHOTS / "reactions-1280x720.png"))

    moving = "(el) => getComputedStyle(el).animationName"
    assert screen.locator("#floats .float").first.evaluate(moving) == "float-up"
    screen.emulate_media(reduced_motion="reduce")
    assert not screen.evaluate(slides)
    room.op("react", room.people[3], emoji="❤️")
    screen.locator("#floats .float", has_text="❤️").first.wait_for(state="attached")
    assert screen.locator("#floats .float", has_text="❤️").first.evaluate(moving) == "float-fade"
    context.close()


def test_without_javascript_the_panel_shows_on_screen(browser: Any, room: Room) -> None:
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900})
    panel = context.new_page()
    panel.goto(room.urls["moderate"])
    panel.locator("#presenting").get_by_role("button", name="Blank screen").click()
    panel.wait_for_url("**/moderate?done=screen.show*")
    screen = context.new_page()
    screen.set_viewport_size({"width": 1280, "height": 720})
    screen.goto(f"{room.server.http}/r/{room.code}/screen")  # the panel's cookie admits it
    assert screen.locator(".stage-in.show-nothing").count() == 1
    panel.locator("#presenting").get_by_role("button", name="Follow the meeting").click()
    panel.wait_for_url("**/moderate?done=screen.show*")
    context.close()


VIDEO = {"light": "#f4f1e6", "dark": "#05070a"}
BEHIND = "(c) => document.documentElement.style.setProperty('background', c, 'important')"


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("backdrop", ["clear", "solid"])
def test_overlay_text_passes_axe_over_light_and_dark_video(
    browser: Any, room: Room, theme: str, backdrop: str
) -> None:
    room.op("screen.show", target="poll", target_id=room.poll)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(room.urls["embed"] + f"&theme={theme}&backdrop={backdrop}&size=m&show=follow")
    page.wait_for_selector("body[data-conn=online]")
    page.locator("#current-poll").get_by_text("Extend the harbour car park?").wait_for()
    for video, colour in VIDEO.items():
        # What OBS or a host page puts behind the transparent overlay.
        page.evaluate(BEHIND, colour)
        assert _axe(page) == [], (theme, backdrop, video)
        page.screenshot(path=str(SHOTS / f"overlay-{theme}-{backdrop}-over-{video}.png"))
    if backdrop == "clear":
        # The check can fail: without their panels, the overlay's words would be lost over
        # video of their own colour.
        page.evaluate(BEHIND, VIDEO["light" if theme == "dark" else "dark"])
        page.evaluate("() => document.body.style.setProperty('--o-plate', 'transparent')")
        assert any(v.startswith("color-contrast") for v in _axe(page))
    context.close()


def test_the_panel_previews_the_overlay_with_its_link(browser: Any, room: Room) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    panel = context.new_page()
    panel.goto(room.urls["moderate"])
    panel.wait_for_selector("body[data-conn=online]")
    section = panel.locator("#overlay")
    section.get_by_label("Theme").select_option("light")
    section.get_by_label("Size").select_option("l")
    preview = panel.frame_locator("iframe[name=overlay-preview]")
    link = preview.locator("#overlay-link")
    link.wait_for()
    expect(link).to_have_value(re.compile(r"theme=light.*size=l"))
    url = link.input_value()
    assert "/embed?token=" in url and "show=follow" in url
    inner = preview.frame_locator("iframe").first
    inner.locator("body.embed.theme-light.size-l").wait_for()
    section.scroll_into_view_if_needed()
    panel.wait_for_timeout(500)
    section.screenshot(path=str(SHOTS / "panel-overlay-options.png"))
    # The link works on its own, as an OBS browser source would open it.
    obs = context.new_page()
    obs.goto(url)
    obs.wait_for_selector("body[data-conn=online]")
    assert obs.locator("body.embed.theme-light.size-l").count() == 1
    context.close()


def test_screens_and_frames_keep_their_headers(room: Room) -> None:
    import httpx

    panel = httpx.get(room.urls["moderate"], follow_redirects=True, timeout=10)
    assert "frame-src 'self'" in panel.headers["content-security-policy"]
    shots = Path(SHOTS)
    assert shots.exists()


def test_the_overlay_follows_the_big_screen_live(browser: Any, room: Room) -> None:
    room.op("screen.show", target="poll", target_id=room.poll)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(room.urls["embed"] + "&show=follow")
    page.wait_for_selector("body[data-conn=online]")
    page.locator("#current-poll").wait_for()
    room.op("screen.show", target="question", target_id=room.question)
    page.locator(".ov-question").get_by_text("ferry run on Sundays").wait_for()
    room.op("question.answer", question_id=room.question, text="From June.")
    room.op("screen.show", target="nothing")
    expect(page.locator(".ov-panel")).to_have_count(0)
    page.evaluate(BEHIND, VIDEO["light"])
    assert _axe(page) == []
    context.close()


def test_the_panels_new_sections_and_the_preview_pass_axe(browser: Any, room: Room) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(room.urls["moderate"])
    page.wait_for_selector("body[data-conn=online]")
    page.add_script_tag(url="/static/vendor/axe.min.js")
    found = page.evaluate("""async () => (await axe.run(
        {include: [["#presenting"], ["#overlay"]]})).violations.map((v) => v.id)""")
    assert found == []
    page.goto(f"{room.server.http}/r/{room.code}/moderate/overlay?theme=light&show=reactions")
    assert _axe(page) == []
    context.close()
