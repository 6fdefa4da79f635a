"""Issue 13 item 3: one admission policy for every join path. A chamber of 300 behind one
guest Wi-Fi gets in; a script making participants by the thousand is slowed and flagged;
wrong access codes back off; X-Forwarded-For counts only from trusted proxies; IPv6 counts
by /64; at scale the budgets are shared through Redis."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import Limits
from server.edge.admission import Admission, Throttled
from server.edge.limiter import MemoryLimiter, RedisLimiter
from server.edge.security import SecurityLog
from tests.broker.conftest import RedisServer
from tests.security.conftest import PRODUCTION_LIMITS
from tests.security.helpers import security_report
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room


def _joins(http: str, code: str, count: int, **headers: str) -> list[httpx.Response]:
    """`count` new people at once (no cookie: each a new participant), 16 in flight."""

    def one(_: int) -> httpx.Response:
        return httpx.post(f"{http}/api/rooms/{code}/join", json={}, headers=headers, timeout=20)

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))


def test_a_chamber_of_300_on_one_address_gets_in_and_a_script_is_slowed_and_flagged(
    strict: LiveServer,
) -> None:
    room = create_room(strict.http)
    code, mod = room["code"], room["moderator_token"]
    started = time.monotonic()
    chamber = _joins(strict.http, code, 300)
    assert [r.status_code for r in chamber] == [200] * 300
    assert time.monotonic() - started < 60
    assert not security_report(strict.http, code, mod)["joins"]["throttled"]

    script = _joins(strict.http, code, 300)  # the same address keeps going
    refused = [r for r in script if r.status_code == 429]
    # Past the burst only the refill gets through: 300 a minute, 5 a second.
    admitted = len(script) - len(refused)
    assert admitted <= 5 * (time.monotonic() - started) + 5, admitted
    assert refused[0].json()["error"]["code"] == "rate.limited"
    assert int(refused[0].headers["retry-after"]) >= 1
    report = security_report(strict.http, code, mod)
    assert report["joins"]["throttled"] == len(refused)
    (flagged,) = report["joins"]["flagged"]
    assert flagged["throttled"] == len(refused) and flagged["address"].startswith("a-")
    assert "127.0.0.1" not in json.dumps(report)


def test_the_join_form_has_the_same_budget(tmp_path: Path) -> None:
    env = {
        **PRODUCTION_LIMITS,
        "TOWNHALL_LIMIT_JOINS_BURST_PER_ROOM_IP": "3",
        "TOWNHALL_LIMIT_JOINS_PER_MINUTE_PER_ROOM_IP": "1",  # no refill while the test runs
    }
    strict = LiveServer(tmp_path, env=env).start()
    try:
        _form_join_after_the_api_spent_the_budget(strict)
    finally:
        strict.stop()


def _form_join_after_the_api_spent_the_budget(strict: LiveServer) -> None:
    code = create_room(strict.http)["code"]
    assert [r.status_code for r in _joins(strict.http, code, 3)] == [200] * 3
    with httpx.Client(base_url=strict.http, timeout=10) as browser:
        page = browser.get(f"/r/{code}")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        posted = browser.post(
            f"/r/{code}/join",
            data={"csrf": csrf, "name": "Bot 301"},
            headers={"origin": strict.http},
        )
    assert posted.status_code == 303 and "error=rate.limited" in posted.headers["location"]


def test_wrong_access_codes_back_off_per_address_and_are_recorded(strict: LiveServer) -> None:
    room = create_room(strict.http, access_code="4711")
    code, mod = room["code"], room["moderator_token"]

    def attempt(guess: str) -> httpx.Response:
        return httpx.post(
            f"{strict.http}/api/rooms/{code}/join", json={"access_code": guess}, timeout=10
        )

    answers = []
    started = time.monotonic()
    while time.monotonic() - started < 3:
        answers.append(attempt(f"{len(answers):04d}9"))
    wrong = [a for a in answers if a.json()["error"]["code"] == "auth.access_code"]
    held = [a for a in answers if a.json()["error"]["code"] == "rate.limited"]
    # Five free guesses, then 1 s, 2 s ... between them: a handful in 3 s, not thousands.
    assert 5 <= len(wrong) <= 8, len(wrong)
    assert held and int(held[0].headers["retry-after"]) >= 1
    report = security_report(strict.http, code, mod)
    assert report["refused"]["auth.access_code"] == len(wrong)
    assert report["refused"]["code.backoff"] == len(held)
    time.sleep(float(held[-1].headers["retry-after"]))
    assert attempt("4711").status_code == 200  # the right code still opens the door


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(tmp_path: Path) -> None:
    strict = {
        **PRODUCTION_LIMITS,
        "TOWNHALL_LIMIT_JOINS_BURST_PER_ROOM_IP": "3",
        "TOWNHALL_LIMIT_JOINS_PER_MINUTE_PER_ROOM_IP": "1",
    }
    for trusted, expect_separate in (("", False), ("127.0.0.1", True)):
        server = LiveServer(
            tmp_path / (trusted or "none"), env={**strict, "TOWNHALL_TRUSTED_PROXIES": trusted}
        ).start()
        try:
            code = create_room(server.http)["code"]
            statuses = [
                r.status_code
                for n in range(4)
                for r in _joins(server.http, code, 2, **{"x-forwarded-for": f"198.51.100.{n}"})
            ]
            # Untrusted: the header is ignored and all 8 share 127.0.0.1's burst of 3.
            assert (statuses.count(200) == 8) is expect_separate, statuses
        finally:
            server.stop()


def _admission(limiter: Any, **limits: Any) -> Admission:
    return Admission(Limits(**limits), limiter, SecurityLog(b"k"))


def test_ipv6_addresses_of_one_64_share_a_budget_and_other_64s_do_not() -> None:
    async def scenario() -> None:
        admission = _admission(MemoryLimiter(), joins_burst_per_room_ip=2)
        await admission.before_join("R", "2001:db8:1:2::1", returning=False)
        await admission.before_join("R", "2001:db8:1:2:ffff::9", returning=False)
        with pytest.raises(Throttled):
            await admission.before_join("R", "2001:db8:1:2::77", returning=False)
        await admission.before_join("R", "2001:db8:1:3::1", returning=False)  # another /64
        await admission.before_join("R", "2001:db8:1:2::1", returning=True)  # own cookie

    asyncio.run(scenario())


def test_budgets_are_shared_by_every_process_through_redis(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:

        async def scenario() -> None:
            # Two processes' limiters on one Redis: one budget of 3, not two.
            first, second = RedisLimiter(redis.url), RedisLimiter(redis.url)
            a, b = _admission(first, joins_burst_per_room_ip=3), _admission(second)
            b.limits = a.limits
            for admission in (a, b, a):
                await admission.before_join("R", "203.0.113.5", returning=False)
            with pytest.raises(Throttled):
                await b.before_join("R", "203.0.113.5", returning=False)
            for _ in range(5):  # five free wrong codes, counted across both
                await (a if _ % 2 else b).code_failed("R", "203.0.113.5")
            await a.before_code("R", "203.0.113.5")  # still free
            await b.code_failed("R", "203.0.113.5")
            with pytest.raises(Throttled):
                await a.before_code("R", "203.0.113.5")
            await first.close()
            await second.close()

        asyncio.run(scenario())
    finally:
        redis.kill()
