"""Fixtures for the scale-out tests: real PostgreSQL (a private schema per test, dropped
after) and real Redis (the shared one on 6379, or a private redis-server a test may kill).

In CI (CI=true) a missing PostgreSQL or Redis fails the run; locally it skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker.conftest import REDIS_URL, RedisServer, require_redis
from tests.store.conftest import pg_server, pg_url

__all__ = ["own_redis", "pg_server", "pg_url", "shared_redis"]


@pytest.fixture
def shared_redis() -> str:
    require_redis(REDIS_URL)
    return REDIS_URL


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, on a fixed port, so it can be killed and restarted."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.kill()
