"""The attendee page's fragments under a flood: one person hammering `/r/{code}/live` and
`/r/{code}/mine` is answered `429 rate.limited` (with Retry-After) past their own budget,
while a council chamber of 300 people behind the same address, each refreshing as the page
script does, gets every page it asks for."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from server.config import Limits
from server.edge.auth import cookie_name
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

pytestmark = pytest.mark.slow  # 300 people refreshing for a few seconds

HONEST = 300
ROUNDS = 5  # refreshes each honest person makes
FLOODERS = 16  # requests the flooding person keeps in flight, per fragment


async def _honest(
    http: httpx.AsyncClient, code: str, token: str, start: float, seen: list[int]
) -> None:
    """What the page script does in a busy room: /live once a second (304 while unchanged),
    and /mine after the person's own actions (here every other round)."""
    cookie = {"cookie": f"{cookie_name(code)}={token}"}  # the browser's room cookie
    etag = ""
    await asyncio.sleep(start)  # the room's phones spread over a second, as the script does
    for round_ in range(ROUNDS):
        headers = {**cookie, "if-none-match": etag} if etag else cookie
        r = await http.get(f"/r/{code}/live", headers=headers)
        seen.append(r.status_code)
        etag = r.headers.get("etag", etag)
        if round_ % 2 == 0:
            seen.append((await http.get(f"/r/{code}/mine", headers=cookie)).status_code)
        await asyncio.sleep(1.0)


async def _flood(
    http: httpx.AsyncClient,
    code: str,
    path: str,
    token: str,
    answers: list[httpx.Response],
    refused: asyncio.Event,
    done: asyncio.Event,
) -> None:
    cookie = {"cookie": f"{cookie_name(code)}={token}"}
    while not done.is_set():
        r = await http.get(f"/r/{code}/{path}", headers=cookie)
        answers.append(r)
        if r.status_code == 429:
            refused.set()


def test_a_flooding_person_is_limited_and_300_people_on_the_same_address_are_not(
    server: LiveServer,
) -> None:
    room = create_room(server.http, "Chamber")
    code = room["code"]
    people = [
        join(server.http, code, name=f"Resident {i}")["participant_token"] for i in range(HONEST)
    ]
    flooder = join(server.http, code, name="Script")["participant_token"]
    honest_seen: list[int] = []
    flood: dict[str, list[httpx.Response]] = {"live": [], "mine": []}

    async def run() -> float:
        limits = httpx.Limits(max_connections=HONEST + 2 * FLOODERS)
        refused = {path: asyncio.Event() for path in flood}
        done = asyncio.Event()
        async with httpx.AsyncClient(base_url=server.http, timeout=60, limits=limits) as http:
            started = time.monotonic()
            floods = [
                asyncio.create_task(
                    _flood(http, code, path, flooder, flood[path], refused[path], done)
                )
                for path in flood
                for _ in range(FLOODERS)
            ]
            # The flood runs over its budget first (a hang guard, not a timing), then the
            # chamber refreshes beside it, all from this one address.
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in refused.values())), 60)
            await asyncio.gather(
                *(
                    _honest(http, code, token, i / HONEST, honest_seen)
                    for i, token in enumerate(people)
                )
            )
            done.set()
            await asyncio.gather(*floods)
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    # Everyone behind the address got every page they asked for: not one refusal.
    assert len(honest_seen) == HONEST * (ROUNDS + (ROUNDS + 1) // 2)
    assert set(honest_seen) <= {200, 304}, sorted(set(honest_seen))
    assert 304 in honest_seen  # an unchanged room is answered "not modified"
    limits = Limits()
    for path, rate, burst in (
        ("live", limits.live_per_second_per_participant, limits.live_burst_per_participant),
        ("mine", limits.mine_per_second_per_participant, limits.mine_burst_per_participant),
    ):
        answers = flood[path]
        served = [r for r in answers if r.status_code == 200]
        refused = [r for r in answers if r.status_code == 429]
        assert len(served) + len(refused) == len(answers), {r.status_code for r in answers}
        # The person's own budget and nothing more: its burst, then its rate.
        assert 0 < len(served) <= burst + rate * elapsed + 1, (path, len(served), elapsed)
        sample = refused[0]
        assert 'data-error="rate.limited"' in sample.text
        assert int(sample.headers["retry-after"]) >= 1


def test_without_a_cookie_the_address_pays(tmp_path: Path) -> None:
    """Requests whose cookie does not verify have no person to count: the address budget
    does (refused `rate.limited` before any room is looked up); another address is not
    touched."""
    # A burst of 5 and (almost) no refill while the test runs.
    small = {
        "TOWNHALL_LIMIT_LIVE_PER_SECOND_PER_IP": "0.001",
        "TOWNHALL_LIMIT_LIVE_BURST_PER_IP": "5",
    }
    live = LiveServer(tmp_path, env=small).start()
    try:
        code = create_room(live.http, "Chamber")["code"]
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=live.http, timeout=10, transport=transport) as script:
            codes = [script.get(f"/r/{code}/live").status_code for _ in range(30)]
        assert set(codes[:5]) == {401}, codes  # no person: refused by the gate
        assert codes[5:] == [429] * 25, codes  # and past the address's burst, before it
        token = join(live.http, code, name="Ana")["participant_token"]
        page = httpx.get(
            f"{live.http}/r/{code}/live", cookies={cookie_name(code): token}, timeout=10
        )
        assert page.status_code == 200  # 127.0.0.1 has its own budget
    finally:
        live.stop()
