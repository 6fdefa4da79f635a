"""TOWNHALL_TRACEMALLOC: SIGUSR1 takes a baseline, the next one reports growth since."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room


@pytest.mark.timeout(300)  # a start and a snapshot under tracemalloc, on a loaded machine
def test_sigusr1_writes_allocation_growth_since_the_baseline(tmp_path: Path) -> None:
    report = tmp_path / "growth.txt"
    server = LiveServer(tmp_path / "data", env={"TOWNHALL_TRACEMALLOC": str(report)})
    # Tracing every allocation slows the imports several times over: on a loaded machine the
    # default 20 s to come up was not enough (seen as a flaky start).
    server.start(timeout=120)
    try:
        assert server.proc is not None
        server.proc.send_signal(signal.SIGUSR1)  # baseline
        time.sleep(0.3)
        assert not report.exists()
        for _ in range(20):
            create_room(server.http)  # something to grow
        server.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 60  # a snapshot of every traced block, under load
        while not report.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        text = report.read_text()
        assert "growth since baseline" in text
        assert "KiB" in text and "File " in text
    finally:
        server.stop()
