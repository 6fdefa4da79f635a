"""The phone's section tabs (Polls, Q&A, Speak) in the languages with the longest labels,
at 390, 360 and 320 px, with two-digit counts and unread badges: every label is read whole
(wrapped between words if it must, never cut off or broken inside a word), the count and the
badge stay beside or below it, and the row never overflows the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.phone import Room
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGS = ["es", "de", "fr", "pt", "vi", "ar", "zh-Hans", "en"]
WIDTHS = [390, 360, 320]

# For each tab: is anything clipped, how many lines its label takes, how many words it has,
# and whether the label, count and badge lie inside the tab and the tab inside the screen.
_MEASURE = """() => {
for (const b of document.querySelectorAll('.sections .unread')) {
  b.hidden = false; b.textContent = '12';
}
return Array.from(document.querySelectorAll('.sections a')).map((a) => {
  const box = a.getBoundingClientRect();
  const inside = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= box.left - 0.5 && r.right <= box.right + 0.5
      && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  };
  const label = a.querySelector('.tab-label');
  const range = document.createRange();
  range.selectNodeContents(label);
  const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
  return {
    text: label.textContent,
    clipped: a.scrollWidth > a.clientWidth || a.scrollHeight > a.clientHeight,
    lines, words: label.textContent.trim().split(/\\s+/).length,
    inside: [label, a.querySelector('.n'), a.querySelector('.unread')].every(inside),
    onScreen: box.left >= 0 && box.right <= window.innerWidth,
  };
});
}"""

_SETTLED = """() => document.fonts.ready.then(() => new Promise(
  (done) => requestAnimationFrame(() => requestAnimationFrame(done))))"""


@pytest.mark.parametrize("lang", LANGS)
def test_section_tabs_fit_or_wrap_whole_words(
    server: LiveServer, browser: Any, shots: Path, lang: str
) -> None:
    room = Room(server, "Pleno", language=lang)
    for i in range(12):  # two digits in the Polls count
        room.poll("single", f"Q{i}?", options=["a", "b"])
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 740},
            is_mobile=True,
            has_touch=True,
            extra_http_headers={"accept-language": lang},
        )
        page = context.new_page()
        page.goto(room.url)
        page.fill("#name", "Ana")
        page.press("#name", "Enter")
        page.wait_for_selector("body[data-conn=online]")
        assert page.evaluate("document.documentElement.lang").lower() == lang.lower()
        # Once the page has its fonts and its first live refresh is in, the widest the row
        # gets (every badge showing a two-digit number), measured in the same task: a refresh
        # arriving in between would hide the badges again (a loaded machine caught one).
        page.wait_for_load_state("networkidle")
        page.evaluate(_SETTLED)
        tabs = page.evaluate(_MEASURE)
        page.locator(".sections").screenshot(path=str(shots / f"phone-tabs-{lang}-{width}.png"))
        for tab in tabs:
            where = (lang, width, tab["text"])
            assert not tab["clipped"], where
            assert tab["inside"] and tab["onScreen"], where
            assert tab["lines"] <= tab["words"], where  # wrapped between words only
        nav = page.evaluate(
            "(() => { const n = document.querySelector('.sections');"
            " return [n.scrollWidth, n.clientWidth]; })()"
        )
        assert nav[0] <= nav[1], (lang, width, nav)
        context.close()
