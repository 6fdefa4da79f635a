"""The report's breakdown by district in a real browser, on a phone: the merged rows, raw
beside weighted, a wide table that scrolls, and no serious axe violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
POPULATIONS = {"North": 6_000, "South": 3_000, "Hamlet": 1_000}


def _op(server: LiveServer, code: str, token: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.http}/api/rooms/{code}/ops", json=body, timeout=10,
                   headers={"authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_report_breakdown_on_a_phone(server: LiveServer, browser: Any, shots: Path) -> None:
    room = create_room(server.http, "Districts on a phone", districts=list(POPULATIONS),
                       min_cell_size=3, district_weights=POPULATIONS)  # fmt: skip
    code, org = room["code"], room["moderator_token"]
    options = ["Library", "Pool", "Park", "Bus lane", "Trees"]
    poll = _op(server, code, org, op="poll.create", op_id="p1", kind="single",
               question="What first?", options=options)["poll_id"]  # fmt: skip
    _op(server, code, org, op="poll.open", op_id="p2", poll_id=poll)
    voters = {"North": [0, 0, 1, 2], "South": [1, 1, 3], "Hamlet": [4]}
    for district, choices in voters.items():
        for i, choice in enumerate(choices):
            token = join(server.http, code, name=f"{district}{i}", district=district)
            _op(server, code, token["participant_token"], op="vote", op_id=f"v{district}{i}",
                poll_id=poll, choice=choice)  # fmt: skip

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{server.http}/r/{code}/report?token={org}")
    table = page.locator("table.districts")
    rows = table.locator("tr").all_inner_texts()
    # Hamlet's one voter would be alone in "other": South (3) joins it.
    assert [r.split("\t")[0] for r in rows] == [
        "District", "North", "other (smaller groups together)",
        "All voters, raw", "Weighted by population",
    ]  # fmt: skip
    assert "Hamlet" not in page.content()
    # North 60 % of the population: 2 of its 4 chose the library -> 0.6 * 0.5 = 30 %.
    assert rows[-1].split("\t")[2] == "30%"
    region = page.locator("div.wide")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # scrolls, not cut off
    page.screenshot(path=str(shots / "report-districts-phone.png"), full_page=True)
    page.locator("article.poll").screenshot(path=str(shots / "report-districts-poll.png"))
    page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == []
    context.close()
