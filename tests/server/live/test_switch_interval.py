"""A serving process hands the GIL on within half a millisecond, so the store's writer
thread (one GIL round trip per SQLite step) never queues behind a tick's fan-out for
CPython's default 5 ms a step; the interval it replaced comes back when serving stops."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from server.live.switch_interval import SERVER_SWITCH_INTERVAL_S
from tests.support.lean_server import lean_server


def test_the_server_sets_the_switch_interval_while_it_serves(tmp_path: Path) -> None:
    before = sys.getswitchinterval()
    assert before != SERVER_SWITCH_INTERVAL_S, "the test proves nothing at this interval"

    async def scenario() -> float:
        async with lean_server(tmp_path):
            return sys.getswitchinterval()

    assert asyncio.run(scenario()) == SERVER_SWITCH_INTERVAL_S
    assert sys.getswitchinterval() == before
