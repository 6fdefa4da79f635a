"""The check page in Chromium: the browser recounts the published record itself
(static/js/verify.js, WebCrypto), a quiz's leaderboard included, and agrees with `townhall
verify`; a receipt pasted into
the form is found counted, with and without JavaScript; a forged record is caught."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from rooms.recount import leaderboard
from server.tools.verify import verify_lines
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

T = TypeVar("T")
PHONE = {"width": 390, "height": 844}


def _run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _meeting(server: LiveServer) -> dict[str, Any]:
    room = create_room(server.http, "Budget assembly «Ω»", districts=["North"])
    code = room["code"]
    people = [join(server.http, code, name=f"Person {i}", district="North") for i in range(5)]

    async def run() -> dict[str, Any]:
        org = await Client.open(server.ws, code, room["moderator_token"])
        clients = [await Client.open(server.ws, code, p["participant_token"]) for p in people]
        polls = [
            (await org.op("poll.create", kind="single", question="Park?", options=["Yes", "No"])),
            (await org.op("poll.create", kind="rating", question="Rate it", scale=5)),
            (
                await org.op(
                    "poll.create", kind="multiple", question="Which?", options=["A", "B", "C"]
                )
            ),
            (await org.op("poll.create", kind="ranking", question="Rank", options=["X", "Y", "Z"])),
            (await org.op("poll.create", kind="wordcloud", question="One word")),
            (
                await org.op(
                    "poll.create", kind="quiz", question="Oldest tree?", options=["Oak", "Elm"],
                    correct=[1], window_s=10,
                )
            ),
            (await org.op("poll.create", kind="open", question="What else?")),
        ]
        ids = [p["poll_id"] for p in polls]
        for pid in ids:
            await org.op("poll.open", poll_id=pid)
        receipts = []
        for i, c in enumerate(clients):
            receipts.append((await c.op("vote", poll_id=ids[0], choice=i % 2))["receipt"])
            await c.op("vote", poll_id=ids[1], choice=1 + i % 5)
            await c.op("vote", poll_id=ids[2], choice=[i % 3])
            await c.op("vote", poll_id=ids[3], choice=[i % 3, (i + 1) % 3, (i + 2) % 3])
            await c.op("vote", poll_id=ids[4], choice=["trees"])
            await c.op("vote", poll_id=ids[5], choice=1 - i % 2)
            answers = await c.op("vote", poll_id=ids[6], choice=f"Idea {i}")
        await org.op("poll.reveal", poll_id=ids[5])  # its points count from here
        q = await clients[0].op("question.ask", text="Café «naïve» 🌳?", anonymous=False)
        await org.op("question.approve", question_id=q["question_id"])
        # an undone rejection: answer entries change no count in either recount
        await org.op("answer.reject", answer_id=answers["answer_id"], reason="off_topic")
        await org.op("answer.restore", answer_id=answers["answer_id"])
        # an undone delete: both recounts must count the poll again (poll.restored)
        await org.op("poll.delete", poll_id=ids[1])
        await org.op("poll.restore", poll_id=ids[1])
        for pid in ids:
            await org.op("poll.close", poll_id=pid)
        await org.op("room.close")
        assert (await org.op("room.publish"))["type"] == "ack"
        for c in [org, *clients]:
            await c.close()
        return {"code": code, "receipts": receipts}

    return _run(run())


def test_the_browser_recounts_the_record_as_townhall_verify_does(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    meeting = _meeting(server)
    code = meeting["code"]
    record = httpx.get(f"{server.http}/api/rooms/{code}/published").json()
    expected = verify_lines([json.dumps(record)])
    assert expected.ok, expected.problems
    counted = meeting["receipts"][1]["code"]

    page = browser.new_page(viewport=PHONE)
    page.goto(f"{server.http}/r/{code}/check?receipt={counted}")
    assert page.locator("#receipt-status").get_attribute("data-status") == "counted"
    page.click("#verify-run")
    page.wait_for_selector("#verify-state[data-state='ok']", timeout=20_000)
    ours = json.loads(page.locator("#verifier").get_attribute("data-recount") or "null")
    theirs = {str(p["poll_id"]): p["results"] for p in expected.polls}
    # A person reads how many polls were recounted, never the results' JSON.
    assert page.locator("#verify-polls").inner_text() == str(len(ours))
    for pid, results in theirs.items():
        mine = dict(ours[pid])
        if "average" in results:
            assert abs(mine.pop("average") - results["average"]) <= 0.0051
            results = {k: v for k, v in results.items() if k != "average"}
        assert mine == results, pid
    # The quiz's leaderboard too, recounted in the browser from the chain alone.
    board = json.loads(page.locator("#verifier").get_attribute("data-leaderboard") or "null")
    assert expected.recount is not None and record["leaderboard"]
    assert board == leaderboard(expected.recount.players) == record["leaderboard"]
    assert page.locator("#verifier").get_attribute("data-receipt") == "counted"
    assert page.locator("#verify-problems li").count() == 0
    page.screenshot(path=str(shots / "check-page-recounted.png"), full_page=True)
    # ... and shown to a person: rank, key, points in the page's table, from this recount
    table = page.locator("#verify-board")
    assert table.get_attribute("data-source") == "browser"
    assert table.locator("th").all_inner_texts() == ["Rank", "Player", "Points"]
    cells = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    assert [(c[0], c[2].replace(",", "")) for c in cells] == [
        (str(r["rank"]), str(r["points"])) for r in board]
    assert all(c[1] == r["player"][:10] + "…" for c, r in zip(cells, board, strict=True))
    for width, height in ((360, 780), (1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        page.locator("#verifier").screenshot(path=str(shots / f"check-board-{width}.png"))
    page.set_viewport_size(PHONE)

    # A record whose published results were changed: the browser says so.
    forged = json.loads(json.dumps(record))
    forged["polls"][0]["results"]["counts"] = [5, 0]

    def serve_forged(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(forged))

    page.route("**/api/rooms/*/published", serve_forged)
    page.click("#verify-run")
    page.wait_for_selector("#verify-state[data-state='failed']", timeout=20_000)
    assert "recount differs" in page.locator("#verify-problems").inner_text()
    page.screenshot(path=str(shots / "check-page-forged.png"), full_page=True)
    page.close()


def test_without_javascript_the_receipt_is_still_checked(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    meeting = _meeting(server)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{server.http}/r/{meeting['code']}/check")
    page.fill("#receipt", meeting["receipts"][0]["code"])
    page.click("#check button[type=submit]")
    assert page.locator("#receipt-status").get_attribute("data-status") == "counted"
    page.fill("#receipt", "1:" + "0" * 16)
    page.click("#check button[type=submit]")
    assert page.locator("#receipt-status").get_attribute("data-status") == "missing"
    assert page.locator("#verify-run").is_hidden()  # nothing to press without a script
    # the leaderboard is there to read all the same, as this server recounted it
    table = page.locator("#verify-board")
    assert table.get_attribute("data-source") == "server" and table.is_visible()
    assert table.locator("tbody tr").count() == 5
    page.locator("#verifier").screenshot(path=str(shots / "check-board-nojs-phone.png"))
    page.goto(f"{server.http}/r/{meeting['code']}/check?lang=ar")  # right to left
    assert page.locator("#verify-board th").first.inner_text() == "المرتبة"
    page.locator("#verifier").screenshot(path=str(shots / "check-board-nojs-ar.png"))
    context.close()
