"""What every entry point shares in one process: settings, the hub, the per-address limits
and the security record. Built by `server.app`; read by the edge through `runtime_of`."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from server.config import Settings
from server.edge.security import SecurityLog
from server.live.hub import Hub
from server.live.ratelimit import KeyedBuckets

__all__ = ["Runtime", "client_ip", "runtime_of"]


@dataclass
class Runtime:
    settings: Settings
    hub: Hub
    joins_per_ip: KeyedBuckets
    creates_per_ip: KeyedBuckets
    ops_per_ip: KeyedBuckets
    sockets_per_ip: dict[str, int] = field(default_factory=dict)
    security: SecurityLog = field(default_factory=lambda: SecurityLog(b""))

    @classmethod
    def build(cls, settings: Settings, hub: Hub) -> Runtime:
        limits = settings.limits
        return cls(
            settings=settings,
            hub=hub,
            joins_per_ip=KeyedBuckets(
                limits.joins_per_minute_per_ip / 60, limits.joins_burst_per_ip
            ),
            creates_per_ip=KeyedBuckets(limits.creates_per_minute_per_ip / 60, 10),
            ops_per_ip=KeyedBuckets(limits.ops_per_second * 5, limits.ops_burst * 5),
            security=SecurityLog(settings.secret),
        )


def runtime_of(conn: HTTPConnection) -> Runtime:
    return conn.app.state.runtime  # type: ignore[no-any-return]


def client_ip(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "?"
