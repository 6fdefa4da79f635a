"""The WebSocket Origin check: browsers send Origin; a foreign page must not ride a cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["origin_allowed"]


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    """No Origin (bots, native apps, load generators) is fine: they carry no ambient cookie.

    A browser Origin must be our own host or one listed in TOWNHALL_ALLOWED_ORIGINS.
    """
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in allowed or "*" in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return host is not None and parts.netloc.lower() == host.lower()
