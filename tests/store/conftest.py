"""Fixtures that give every contract test each store backend in turn.

PostgreSQL runs against a real server (TOWNHALL_TEST_POSTGRES, default
postgresql://postgres@127.0.0.1:5432/test); each test gets its own schema, dropped after. In CI
(CI=true) an unreachable server fails the run: a skipped backend must never pass for tested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from server.store import Store
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore

PG_URL = os.environ.get("TOWNHALL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

StoreFactory = Callable[[], Store]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def pg_server() -> str:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable at {PG_URL}: {exc}".strip()
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, so parallel runs never see each other."""
    schema = f"townhall_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{sep}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """New, unopened store instances that all share one database."""
    if backend == "sqlite":
        path = tmp_path / "nested" / "dir" / "townhall.db"
        return lambda: SqliteStore(path)
    url = request.getfixturevalue("pg_url")
    return lambda: PostgresStore(url)
