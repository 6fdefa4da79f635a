"""The rehearsal's helpers (tests/browser/test_rehearsal.py): what every step checks (axe,
screenshots, a big screen that never scrolls), the panel by mouse and by keyboard alone, and the
attendees' phones. Everything goes through the pages; nothing here calls the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import SHOTS
from tests.support.live_server import LiveServer

OUT = SHOTS / "rehearsal"
SCREEN_SIZES = ((1280, 720), (1366, 768), (1920, 1080))
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
QUEUE_COUNT = "() => document.querySelector('.sections a[href=\"#queue\"] .count')?.textContent"


# -- what every step checks -------------------------------------------------------------------


def axe(page: Any) -> list[str]:
    """Every violation, of any impact, with the first nodes it names."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']} [{v['impact']}]: {v['help']} "
            f"{[n['target'] for n in v['nodes']][:3]}" for v in violations]


def axe_without_script(page: Any, scratch: Any) -> list[str]:
    """axe needs script (and timers) to run; a page in a context without JavaScript is
    checked as a copy of its DOM, its scripts dropped, in a scratch page of the same origin."""
    html = re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S)
    scratch.set_viewport_size(page.viewport_size)
    scratch.goto(page.url.split("/r/")[0] + "/static/vendor/axe.min.js")
    scratch.set_content(html)
    return axe(scratch)


def clean(page: Any, what: str, scratch: Any | None = None) -> None:
    found = axe(page) if scratch is None else axe_without_script(page, scratch)
    assert found == [], f"axe on {what}: {page.url}"


def photo(page: Any, path: Path) -> None:
    """A full-page screenshot. Chromium's hit testing is left one scroll behind by the
    full-page capture (a click then lands on what used to be there), so the page is scrolled
    to the top and back, which puts it right."""
    at = page.evaluate("() => scrollY")
    page.screenshot(path=str(path), full_page=True)
    page.evaluate("(y) => { scrollTo(0, 0); scrollTo(0, y); }", at)


def fits(page: Any) -> tuple[int, int, int, int]:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => [document.scrollingElement.scrollHeight, innerHeight,"
        " document.scrollingElement.scrollWidth, innerWidth]")


class Meeting:
    """The panel and the big screen it opened; `step` photographs and checks both."""

    def __init__(self, mod: Any, screen: Any | None = None, scratch: Any | None = None) -> None:
        self.mod = mod
        self.screen = screen
        self.scratch = scratch  # where axe checks a page that runs without JavaScript
        self.n = 0
        OUT.mkdir(parents=True, exist_ok=True)

    def step(self, name: str, screen_text: str | None = None) -> None:
        self.n += 1
        label = f"{self.n:02d}-{name}"
        mod = self.mod
        mod.wait_for_load_state()
        clean(mod, f"the panel at {label}", self.scratch)
        mod.screenshot(path=str(OUT / f"{label}-panel-1440x900.png"))  # what the laptop shows
        if self.screen is None:
            return
        screen = self.screen
        if screen_text is not None:
            screen.locator("#stage", has_text=screen_text).wait_for()
        for width, height in SCREEN_SIZES:
            screen.set_viewport_size({"width": width, "height": height})
            screen.wait_for_function(f"() => innerWidth === {width}")
            tall, inner_h, wide, inner_w = fits(screen)
            assert tall <= inner_h and wide <= inner_w, (label, width, height, fits(screen))
            screen.screenshot(path=str(OUT / f"{label}-screen-{width}x{height}.png"))
        clean(screen, f"the big screen at {label}")


# -- the panel, by mouse ----------------------------------------------------------------------


def online(page: Any) -> None:
    page.wait_for_selector("body[data-conn=online]")


def tab(page: Any, section: str) -> None:
    page.locator(f'.sections a[href="#{section}"]').click()
    page.locator(f"#{section}").wait_for()


def confirm(page: Any, link: Any, button: str, reason: str | None = None,
            scratch: Any | None = None) -> None:
    """A destructive action asks first, on a page of its own (checked by axe)."""
    link.click()
    page.wait_for_url("**/moderate/confirm?**")
    clean(page, f"the confirmation step for {button}", scratch)
    if reason is not None:
        page.get_by_label("Reason").select_option(label=reason)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url("**/moderate?**")
    if scratch is None:
        online(page)


def show(mod: Any, what: str, label: str) -> None:
    """The panel's "On the big screen": pick the poll or question, Show on screen."""
    form = mod.locator("#presenting form.present-pick", has=mod.locator(f"#present-{what}"))
    form.get_by_label("Poll" if what == "poll" else "Question", exact=True).select_option(
        label=label)
    form.get_by_role("button", name="Show on screen").click()
    mod.locator("#present-now", has_text=label[:40]).wait_for()


# -- the attendees ----------------------------------------------------------------------------


def phone(browser: Any, server: LiveServer, code: str, name: str, one_time: str) -> Any:
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    page.goto(f"{server.http}/r/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your one-time code").fill(one_time)
    page.get_by_role("button", name="Join").click()
    online(page)
    return page


def vote(page: Any, poll_id: int, kind: str, n: int) -> None:
    """One attendee's ballot in a poll of this kind, through the phone's own controls."""
    card = page.locator(f"#poll-{poll_id}")
    card.wait_for()
    if kind in ("Single choice", "Quiz"):
        card.locator("label.choice").nth(n % 3).click()
    elif kind == "Multiple choice":
        card.locator("label.choice").nth(n % 4).click()
        card.locator("label.choice").nth((n + 1) % 4).click()
    elif kind == "Rating":
        card.locator("label.choice", has_text=str(3 + n % 3)).click()
    elif kind == "Word cloud":
        card.get_by_label("Your words").fill(("trees benches", "trees", "light ferry")[n % 3])
    elif kind == "Open text":
        card.get_by_label("Your answer").fill(f"A bus line to the hospital, says person {n}")
    elif kind == "Ranking":
        if n % 2:  # the buttons beside each option, as a phone without dragging uses them
            card.get_by_role("button", name=re.compile("^Move down: ")).first.click()
    elif kind == "Budget":
        for _ in range(n + 2):
            card.get_by_role("button", name="More for Footpath").click()
    card.get_by_role("button", name="Vote").click()
    page.wait_for_selector(f"#poll-{poll_id}[data-voted]")


# -- the moderator's round by keyboard alone ---------------------------------------------------


def tab_to(page: Any, target: Any, limit: int = 300) -> None:
    """Tab forward until `target` has the focus, as a person without a mouse would: it fails
    if the control cannot be reached (or focus is trapped on the way)."""
    target.wait_for()
    for _ in range(limit):
        if target.evaluate("(el) => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}; focus on "
                         + page.evaluate("document.activeElement?.outerHTML.slice(0, 120)"))


def press_on(page: Any, target: Any, key: str = "Enter") -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def keyboard_confirm(page: Any, link: Any, button: str, reason_steps: int = 0) -> None:
    press_on(page, link)
    page.wait_for_url("**/moderate/confirm?**")
    clean(page, f"the confirmation step for {button}")
    if reason_steps:
        tab_to(page, page.get_by_label("Reason"))
        for _ in range(reason_steps):
            page.keyboard.press("ArrowDown")
    press_on(page, page.get_by_role("button", name=button, exact=True))
    page.wait_for_url("**/moderate?**")
    online(page)
