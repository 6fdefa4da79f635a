from __future__ import annotations

import pytest

from server.store import open_store, sqlite_path
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/townhall.db", "data/townhall.db"),
        ("sqlite:////var/lib/townhall/t.db", "/var/lib/townhall/t.db"),
        ("sqlite://:memory:", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert sqlite_path(url) == path
    store = open_store(url)
    assert isinstance(store, SqliteStore) and store.path == path


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h:5433/db?sslmode=disable"])
def test_postgres_urls(url: str) -> None:
    assert isinstance(open_store(url), PostgresStore)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://rel.db", "mysql://x/y", "x"])
def test_bad_urls_are_refused_with_a_message(url: str) -> None:
    with pytest.raises(ValueError, match=r"sqlite|scheme"):
        open_store(url)
