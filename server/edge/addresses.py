"""Who is asking, as an address the limits can count: the peer, or the client a trusted proxy
names in X-Forwarded-For; IPv6 counted by its /64 (what one household or phone holds).

Without `TOWNHALL_TRUSTED_PROXIES` the header is ignored: anyone can write it. Behind nginx,
list nginx's address(es) so that people, not the proxy, are counted.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

__all__ = ["AddressPolicy", "address_bucket", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=65_536)  # asked for every WebSocket frame: parse each address once
def address_bucket(ip: str) -> str:
    """One IPv4 address, or the /64 of an IPv6 one."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.1, 192.168.0.0/16, ::1` -> networks; raises ValueError naming a bad entry."""
    networks = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"not an address or network: {entry!r}") from exc
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def of(cls, networks: Iterable[Network]) -> AddressPolicy:
        return cls(tuple(networks))

    @classmethod
    def trusting(cls, proxies: Iterable[str]) -> AddressPolicy:
        """From TOWNHALL_TRUSTED_PROXIES entries (addresses or networks)."""
        return cls.of(parse_networks(",".join(proxies)))

    def is_trusted_proxy(self, ip: str) -> bool:
        if not self.trusted_proxies:
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in network for network in self.trusted_proxies)

    def client_ip(self, conn: HTTPConnection) -> str:
        """The peer; behind trusted proxies, the right-most forwarded address that is not one
        of them (earlier entries were written by the client and prove nothing)."""
        peer = conn.client.host if conn.client else "?"
        if not self.is_trusted_proxy(peer):
            return peer
        forwarded = conn.headers.get("x-forwarded-for", "")
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not self.is_trusted_proxy(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # a garbled header: count the proxy, never a made-up name
        return peer

    def bucket(self, ip: str) -> str:
        return address_bucket(ip)
