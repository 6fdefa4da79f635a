"""One admission policy for every way of joining a room (the JSON API and the join form)
and of creating one: budgets per address, shared across processes, and a backoff on wrong
codes. Every refusal lands in the room's security record.

    await admission.before_join(room, ip, returning=...)   # rate.limited (Throttled)
    await admission.before_code(room, ip)                   # rate.limited while backing off
    await admission.code_failed(room, ip) / code_passed(room, ip)
"""

from __future__ import annotations

import math

from rooms import CommandError
from server.config import Limits
from server.edge.addresses import address_bucket
from server.edge.limiter import Limiter
from server.edge.security import SecurityLog

__all__ = ["Admission", "Throttled"]


class Throttled(CommandError):
    """`rate.limited`, with when to try again (the HTTP answer's Retry-After)."""

    __slots__ = ("retry_after",)

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__("rate.limited", f"{message}; try again in {self.retry_after} s")


class Admission:
    def __init__(self, limits: Limits, limiter: Limiter, security: SecurityLog) -> None:
        self.limits = limits
        self.limiter = limiter
        self.security = security

    async def before_create(self, ip: str) -> None:
        limits = self.limits
        wait = await self.limiter.take(
            f"create:{address_bucket(ip)}",
            rate_per_s=limits.creates_per_minute_per_ip / 60,
            burst=limits.creates_burst_per_ip,
        )
        if wait:
            raise Throttled("too many rooms created from your address", wait)

    async def before_join(self, room: str, ip: str, *, returning: bool) -> None:
        """A returning attendee (their own cookie) is no new person: not counted."""
        if returning:
            return
        limits, where = self.limits, address_bucket(ip)
        wait = await self.limiter.take(
            f"join:{room}:{where}",
            rate_per_s=limits.joins_per_minute_per_room_ip / 60,
            burst=limits.joins_burst_per_room_ip,
        )
        if not wait:
            wait = await self.limiter.take(
                f"join:{where}",
                rate_per_s=limits.joins_per_minute_per_ip / 60,
                burst=limits.joins_burst_per_ip,
            )
        if wait:
            self.security.join_throttled(room, ip)
            raise Throttled("too many people joined from your address just now", wait)

    def _code_key(self, room: str, ip: str) -> str:
        return f"code:{room}:{address_bucket(ip)}"

    async def before_code(self, room: str, ip: str) -> None:
        wait = await self.limiter.backoff_wait(self._code_key(room, ip))
        if wait:
            self.security.refused(room, "code.backoff", ip, "join while backing off")
            raise Throttled("too many wrong codes from your address", wait)

    async def code_failed(self, room: str, ip: str) -> None:
        await self.limiter.backoff_fail(
            self._code_key(room, ip),
            free=self.limits.code_failures_free,
            cap_s=self.limits.code_backoff_max_s,
        )

    async def code_passed(self, room: str, ip: str) -> None:
        await self.limiter.backoff_clear(self._code_key(room, ip))
