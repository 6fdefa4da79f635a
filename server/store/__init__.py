"""Transcript stores: the durable, ordered, hash-chained log of every room.

`open_store(url)` picks the backend by URL scheme and imports it only then, so the embedded
default never needs a PostgreSQL driver loaded.
"""

from __future__ import annotations

from .base import Committed, Entry, EntryRefused, Store, StoreUnavailable

__all__ = [
    "Committed",
    "Entry",
    "EntryRefused",
    "Store",
    "StoreUnavailable",
    "open_store",
    "sqlite_path",
]


def sqlite_path(url: str) -> str:
    """The file path in a `sqlite://` URL, SQLAlchemy style.

    `sqlite:///data/townhall.db` is relative to the working directory,
    `sqlite:////var/lib/townhall.db` is absolute, `sqlite://:memory:` (or
    `sqlite:///:memory:`) is a private in-memory database.
    """
    if not url.startswith("sqlite://"):
        raise ValueError(f"not a sqlite:// URL: {url!r}")
    rest = url[len("sqlite://") :].split("?", 1)[0]
    if rest in (":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/") or len(rest) == 1:
        raise ValueError(f"expected sqlite:///relative/path.db or sqlite:////abs/path.db: {url!r}")
    return rest[1:]


def open_store(url: str) -> Store:
    """A store for `url`, not yet opened: `await store.open()` before use."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from .sqlite import SqliteStore

        return SqliteStore(sqlite_path(url))
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unsupported store URL scheme {scheme!r}: use sqlite:// or postgresql://")
