"""What every entry point shares in one process: settings, the hub, who counts as which
address, the admission policy and limits, and the security record. Built by `server.app`;
read by the edge through `runtime_of`."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from server.config import Settings
from server.edge.addresses import AddressPolicy, address_bucket
from server.edge.admission import Admission
from server.edge.budgets import IntakeBudgets
from server.edge.fragment_budgets import FragmentBudgets
from server.edge.limiter import Limiter, open_limiter
from server.edge.security import SecurityLog
from server.live.hub import Hub
from server.live.ratelimit import KeyedBuckets

__all__ = ["Runtime", "client_bucket", "client_ip", "runtime_of"]


@dataclass
class Runtime:
    settings: Settings
    hub: Hub
    addresses: AddressPolicy
    limiter: Limiter
    admission: Admission
    ops_per_ip: KeyedBuckets  # HTTP ops (forms, bots) per address
    reads_per_ip: KeyedBuckets  # anonymous downloads (a published transcript) per address
    security: SecurityLog
    budgets: IntakeBudgets  # what a WebSocket frame may cost before it is decoded
    fragments: FragmentBudgets  # the attendee page's /live and /mine fetches
    sockets_per_ip: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, hub: Hub) -> Runtime:
        limits = settings.limits
        security = SecurityLog(settings.secret)
        limiter = open_limiter(settings.broker_url)
        return cls(
            settings=settings,
            hub=hub,
            addresses=AddressPolicy.trusting(settings.trusted_proxies),
            limiter=limiter,
            admission=Admission(limits, limiter, security),
            ops_per_ip=KeyedBuckets(limits.ops_per_second * 5, limits.ops_burst * 5),
            reads_per_ip=KeyedBuckets(
                limits.downloads_per_minute_per_ip / 60, int(limits.downloads_per_minute_per_ip)
            ),
            security=security,
            budgets=IntakeBudgets(limits),
            fragments=FragmentBudgets(limits),
        )


def runtime_of(conn: HTTPConnection) -> Runtime:
    return conn.app.state.runtime  # type: ignore[no-any-return]


def client_ip(conn: HTTPConnection) -> str:
    """The client's address (behind trusted proxies, the one they name)."""
    return runtime_of(conn).addresses.client_ip(conn)


def client_bucket(conn: HTTPConnection) -> str:
    """What per-address limits count: the address, or an IPv6 /64."""
    return address_bucket(client_ip(conn))

