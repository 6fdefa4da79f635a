from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer

# The production defaults of server/config.py Limits: LiveServer raises the per-address join
# and create limits for other tests; the abuse tests need the real ones.
PRODUCTION_LIMITS = {
    "TOWNHALL_LIMIT_CREATES_PER_MINUTE_PER_IP": "5",
    "TOWNHALL_LIMIT_JOINS_PER_MINUTE_PER_IP": "600",
    "TOWNHALL_LIMIT_JOINS_BURST_PER_IP": "600",
    "TOWNHALL_LIMIT_JOINS_PER_MINUTE_PER_ROOM_IP": "300",
    "TOWNHALL_LIMIT_JOINS_BURST_PER_ROOM_IP": "300",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Path(tmp_path_factory.mktemp("security"))).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Production join limits; rooms are created with the room-creation key (no per-IP cap)."""
    live = LiveServer(
        Path(tmp_path_factory.mktemp("strict")),
        env={
            **PRODUCTION_LIMITS,
            "TOWNHALL_LIMIT_CREATES_PER_MINUTE_PER_IP": "100000",
        },
    ).start()
    yield live
    live.stop()
