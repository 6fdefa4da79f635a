"""A per-room security record: refused authentication attempts and joins per address.

Kept in memory, bounded, per process, and never written into the room log: what an
unauthenticated stranger sends must not grow the permanent transcript. Moderators read it
at `GET /api/rooms/{code}/security`; operators get a log line (sampled) and the counters.

Addresses are shown to moderators as short keyed labels (`a-3f9c2e1b`), never raw: enough
to see that 40 "different" attendees came from one place, without handing out IP addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from server.edge.addresses import address_bucket

__all__ = ["FLAG_JOINS", "SecurityLog"]

log = logging.getLogger("townhall.security")

RECENT = 100  # refused attempts kept per room
MAX_ROOMS = 10_000  # rooms tracked per process (least recently touched forgotten)
MAX_BUCKETS = 10_000  # address buckets tracked per room
FLAG_JOINS = 10  # new participants from one address bucket before it is flagged (a hint:
# a venue behind one NAT trips it too; moderators judge, nothing is blocked by it)


@dataclass(slots=True)
class RoomSecurity:
    refused: Counter[str] = field(default_factory=Counter)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT))
    joins: dict[str, int] = field(default_factory=dict)  # address label -> new participants
    joins_throttled: int = 0
    throttled: dict[str, int] = field(default_factory=dict)  # address label -> joins refused


class SecurityLog:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._rooms: OrderedDict[str, RoomSecurity] = OrderedDict()
        self.refused_total: Counter[str] = Counter()  # process-wide, by kind

    def label(self, ip: str) -> str:
        mac = hmac.new(self._secret, address_bucket(ip).encode(), hashlib.sha256)
        return "a-" + mac.hexdigest()[:8]

    def _room(self, room: str) -> RoomSecurity:
        entry = self._rooms.get(room)
        if entry is None:
            entry = self._rooms[room] = RoomSecurity()
            if len(self._rooms) > MAX_ROOMS:
                self._rooms.popitem(last=False)
        else:
            self._rooms.move_to_end(room)
        return entry

    def refused(self, room: str, kind: str, ip: str, detail: str, role: str | None = None) -> None:
        """An authentication or permission refusal: a bad token, a banned or revoked holder,
        a foreign origin, an op the role may not send."""
        entry = self._room(room)
        entry.refused[kind] += 1
        self.refused_total[kind] += 1
        entry.recent.append(
            {
                "at": int(time.time() * 1000),
                "kind": kind,
                "address": self.label(ip),
                "role": role,
                "detail": detail[:120],
            }
        )
        n = entry.refused[kind]
        if n <= 5 or n % 100 == 0:  # sampled: a flood of forgeries must not flood the log
            log.info("room %s: refused %s from %s (%s), %d so far", room, kind, ip, detail, n)

    def joined(self, room: str, ip: str) -> None:
        """A new participant joined (not a re-join with the same cookie)."""
        entry = self._room(room)
        label = self.label(ip)
        if label in entry.joins or len(entry.joins) < MAX_BUCKETS:
            entry.joins[label] = entry.joins.get(label, 0) + 1
            if entry.joins[label] == FLAG_JOINS:
                log.warning("room %s: %d new participants from %s", room, FLAG_JOINS, ip)

    def join_throttled(self, room: str, ip: str) -> None:
        """A join refused by the admission budget: the address is flagged for moderators."""
        entry = self._room(room)
        entry.joins_throttled += 1
        label = self.label(ip)
        if label in entry.throttled or len(entry.throttled) < MAX_BUCKETS:
            entry.throttled[label] = entry.throttled.get(label, 0) + 1
            n = entry.throttled[label]
            if n in (1, 100) or n % 1000 == 0:
                log.warning("room %s: joins from %s throttled (%d refused)", room, ip, n)

    def report(self, room: str) -> dict[str, Any]:
        entry = self._rooms.get(room) or RoomSecurity()
        busiest = sorted(entry.joins.items(), key=lambda item: -item[1])
        return {
            "refused": dict(entry.refused),
            "recent": list(entry.recent),
            "joins": {
                "addresses": len(entry.joins),
                "throttled": entry.joins_throttled,
                "flag_at": FLAG_JOINS,
                "flagged": [
                    {"address": label, "joins": n, "throttled": entry.throttled.get(label, 0)}
                    for label, n in busiest
                    if n >= FLAG_JOINS or label in entry.throttled
                ],
                "by_address": [{"address": label, "joins": n} for label, n in busiest[:50]],
            },
        }
