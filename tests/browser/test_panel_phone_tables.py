"""The control panel's tables on a 360 px phone: People (with Ban and Unban), the moderation
log and the poll templates fit the screen (People and the log as small labelled cards, a row
each), every row's button within reach, with JavaScript and without; on a laptop they stay
tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.phone import Room
from tests.support.live_server import LiveServer
from tests.support.wsclient import join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH = 360
NARROW = {"viewport": {"width": WIDTH, "height": 740}}
TABLES = {"polls": "table.templates", "people": "table.people", "audit": "table.audit"}


def _room(server: LiveServer) -> Room:
    room = Room(server, "Tables on a phone", districts=["Riverside North", "Old Town"])
    people = [("Ana", "Riverside North"), ("Bartholomew Featherstonehaugh", "Old Town"),
              ("Chen", "Old Town"), ("Dolores", "Riverside North")]
    joined = [join(server.http, room.code, name=name, district=district)
              for name, district in people]
    room.op("participant.ban", participant_id=joined[1]["participant_id"], reason="abusive")
    poll = room.poll("single", "Which bridge should the council repair first?",
                     options=["North bridge", "South bridge"])
    room.op("template.save", poll_id=poll, name="Bridges and other long-lived infrastructure")
    return room


def _overflow(page: Any) -> list[str]:
    """What sticks out past the viewport's edge, or scrolls sideways inside a section."""
    found: list[str] = page.evaluate("""(width) => {
        const out = [];
        const doc = document.documentElement;
        if (doc.scrollWidth > width) out.push(`page: ${doc.scrollWidth}px wide`);
        for (const section of document.querySelectorAll(".panel-main > section")) {
            if (section.offsetParent === null) continue;  // a tab not shown
            if (section.scrollWidth > section.clientWidth)
                out.push(`#${section.id} scrolls: ${section.scrollWidth} > ${section.clientWidth}`);
        }
        return out;
    }""", WIDTH)
    return found


def _within(box: dict[str, float] | None) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH


def _show(page: Any, section: str, javascript: bool) -> None:
    if javascript:  # the sections are tabs
        page.locator(f'.sections a[href="#{section}"]').focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(f"body[data-tab={section}]")


@pytest.mark.parametrize(("javascript", "lang"), [(True, "en"), (False, "de")],
                         ids=["js-en", "nojs-de"])
def test_panel_tables_fit_a_phone(
    server: LiveServer, browser: Any, shots: Path, javascript: bool, lang: str
) -> None:
    room = _room(server)
    name = f"{'js' if javascript else 'nojs'}-{lang}"
    ctx = browser.new_context(java_script_enabled=javascript, **NARROW)
    page = ctx.new_page()
    page.goto(f"{room.info['urls']['moderate']}&lang={lang}")
    if javascript:
        page.wait_for_selector("body[data-conn=online]")

    for section, selector in TABLES.items():
        _show(page, section, javascript)
        if section == "polls":  # the templates are in the builder, folded once a poll exists
            page.locator("#polls details.builder > summary").focus()
            page.keyboard.press("Enter")
        table = page.locator(f"#{section} {selector}")
        table.wait_for()
        assert _overflow(page) == [], section
        for row in table.locator("tbody tr").all():
            assert _within(row.bounding_box()), (section, row.inner_text())
            for control in row.locator("a, button").all():
                assert _within(control.bounding_box()), (section, control.inner_text())
        table.screenshot(path=str(shots / f"panel-table-{section}-360-{name}.png"))

    # People: four cards, each with its standing and a button that fits, labelled cells
    _show(page, "people", javascript)
    rows = page.locator("#people table.people tbody tr")
    assert rows.count() == 4
    banned = rows.filter(has_text="Bartholomew")
    unban = banned.locator('a.button[href*="participant.unban"]')
    assert unban.count() == 1
    assert rows.locator('a.button[href*="op=participant.ban"]').count() == 3
    label = banned.locator("td").nth(3).evaluate(
        "td => getComputedStyle(td, '::before').content")
    standing = "Status" if lang == "de" else "Standing"
    assert standing in label, label
    page.screenshot(path=str(shots / f"panel-people-360-{name}.png"), full_page=True)

    # by keyboard: Unban is reached and asks first
    unban.focus()
    assert _within(unban.bounding_box())
    page.keyboard.press("Enter")
    page.wait_for_url("**/moderate/confirm?**")
    assert "participant.unban" in page.url

    # on a laptop the same markup is a table again: one line per row, the headers shown
    page.go_back()
    page.set_viewport_size({"width": 1280, "height": 800})
    for section in ("people", "audit"):
        _show(page, section, javascript)
        table = page.locator(f"#{section} {TABLES[section]}")
        assert table.locator("thead th").first.is_visible()
        for row in table.locator("tbody tr").all():
            tops = {round(cell.bounding_box()["y"]) for cell in row.locator("td").all()}
            assert len(tops) == 1, row.inner_text()
        assert table.locator("td").nth(1).evaluate(
            "td => getComputedStyle(td, '::before').content") in ("none", "normal")
        table.screenshot(path=str(shots / f"panel-table-{section}-1280-{name}.png"))
    ctx.close()


def _table_roles(ctx: Any, page: Any) -> dict[str, int]:
    """How many nodes of each table role Chromium's own accessibility tree holds: what a
    screen reader is given, not what the markup says."""
    tree = ctx.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    counts = {"table": 0, "row": 0, "columnheader": 0, "cell": 0}
    for node in tree:
        role = node.get("role", {}).get("value")
        if not node.get("ignored") and role in counts:
            counts[role] += 1
    return counts


def test_on_a_phone_the_cards_are_still_a_table_to_a_screen_reader(
    server: LiveServer, browser: Any
) -> None:
    """The cards are still one table in what Chromium gives a screen reader: a header row,
    a row per person, each cell announced with its column's name. (WebKit drops a table's
    semantics once its rows are blocks; the markup's explicit roles are for it, and this
    machine has no WebKit to check them in.)"""
    room = _room(server)
    ctx = browser.new_context(**NARROW)
    page = ctx.new_page()
    page.goto(room.info["urls"]["moderate"])
    page.wait_for_selector("body[data-conn=online]")
    _show(page, "people", True)
    assert page.locator("#people table.people tr").first.evaluate(
        "tr => getComputedStyle(tr).display") == "block"  # the cards are on
    roles = _table_roles(ctx, page)
    # People alone is shown: a header row and four people, five columns each
    assert roles == {"table": 1, "row": 5, "columnheader": 5, "cell": 20}, roles
    ctx.close()
