"""Rate budgets shared by every process that serves the same rooms.

    wait = await limiter.take("join:K7F3QX:203.0.113.9", rate_per_s=5, burst=300)
    # 0.0: allowed (and counted); else the seconds until it would be

One process: in memory. Several processes behind a load balancer: in Redis (the broker's
URL), so a script cannot multiply its budget by the number of processes. Redis runs the
budget as one Lua script (GCRA: one key per budget holding the time its bucket is full
again), atomic across processes. If Redis is unreachable the process falls back to its own
memory for that call rather than refusing honest people: limits are a defence, not a
dependency.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

__all__ = ["Limiter", "MemoryLimiter", "RedisLimiter", "open_limiter"]

log = logging.getLogger("townhall.limits")


class Limiter(Protocol):
    async def take(self, key: str, *, rate_per_s: float, burst: float, cost: float = 1) -> float:
        """0.0 when `cost` fits in the budget (and is spent); else seconds to wait."""

    async def backoff_wait(self, key: str) -> float:
        """Seconds until the next attempt under `key` is allowed (0.0: now)."""

    async def backoff_fail(self, key: str, *, free: int, cap_s: float) -> float:
        """Count a failure: after `free` of them each one doubles the wait, up to `cap_s`.
        Returns the wait it set. Failures are forgotten an hour after the last one."""

    async def backoff_clear(self, key: str) -> None: ...

    async def close(self) -> None: ...


BACKOFF_MEMORY_S = 3600.0


def _backoff(failures: int, free: int, cap_s: float) -> float:
    return 0.0 if failures <= free else float(min(cap_s, 2 ** (failures - free - 1)))


def _gcra(tat: float, now: float, rate: float, burst: float, cost: float) -> tuple[float, float]:
    """Generic cell rate: `tat` is when the bucket is full again. (new tat, wait)."""
    interval = 1.0 / rate
    tat = max(tat, now)
    new_tat = tat + cost * interval
    allowed_at = new_tat - burst * interval
    if allowed_at > now:
        return tat, allowed_at - now
    return new_tat, 0.0


class MemoryLimiter:
    def __init__(self, max_keys: int = 200_000) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys
        # key -> (failures, allowed again at, last failure at)
        self._failures: OrderedDict[str, tuple[int, float, float]] = OrderedDict()

    async def backoff_wait(self, key: str) -> float:
        entry = self._failures.get(key)
        return 0.0 if entry is None else max(0.0, entry[1] - time.monotonic())

    async def backoff_fail(self, key: str, *, free: int, cap_s: float) -> float:
        now = time.monotonic()
        failures, _until, last = self._failures.get(key, (0, now, now))
        if now - last > BACKOFF_MEMORY_S:
            failures = 0
        failures += 1
        wait = _backoff(failures, free, cap_s)
        self._failures[key] = (failures, now + wait, now)
        self._failures.move_to_end(key)
        if len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
        return wait

    async def backoff_clear(self, key: str) -> None:
        self._failures.pop(key, None)

    async def take(self, key: str, *, rate_per_s: float, burst: float, cost: float = 1) -> float:
        return self.take_now(key, rate_per_s=rate_per_s, burst=burst, cost=cost)

    def take_now(
        self,
        key: str,
        *,
        rate_per_s: float,
        burst: float,
        cost: float = 1,
        now: float | None = None,
    ) -> float:
        now = time.monotonic() if now is None else now
        tat, wait = _gcra(self._tat.get(key, now), now, rate_per_s, burst, cost)
        self._tat[key] = tat
        self._tat.move_to_end(key)
        if len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)
        return wait

    async def close(self) -> None:
        return None


# KEYS[1] the budget; ARGV: rate per second, burst, cost. Time from the Redis server, so that
# processes on machines with different clocks share one notion of "now".
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local interval = 1 / rate
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + cost * interval
local allowed_at = new_tat - burst * interval
if allowed_at > now then return tostring(allowed_at - now) end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return '0'
"""


# KEYS[1] the failures hash; ARGV: free failures, cap in seconds, memory in seconds.
_FAIL_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
if n > free then wait = math.min(cap, 2 ^ (n - free - 1)) end
redis.call('HSET', KEYS[1], 'until', tostring(now + wait))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return tostring(wait)
"""
_WAIT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local untl = tonumber(redis.call('HGET', KEYS[1], 'until') or now)
if untl > now then return tostring(untl - now) end
return '0'
"""


class RedisLimiter:
    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.cluster import RedisCluster

        scheme, rest = url.split("://", 1)
        self._redis: Redis | RedisCluster
        if scheme.endswith("+cluster"):  # one key per budget, so one slot per script call
            self._redis = RedisCluster.from_url(
                f"{scheme.removesuffix('+cluster')}://{rest}", socket_timeout=1.0
            )
        else:
            self._redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._gcra = self._redis.register_script(_GCRA_LUA)
        self._fail = self._redis.register_script(_FAIL_LUA)
        self._wait = self._redis.register_script(_WAIT_LUA)
        self._fallback = MemoryLimiter()
        self._failing = False

    def _lost(self) -> None:
        if not self._failing:
            log.warning("shared limits unavailable; counting in this process for now")
            self._failing = True

    def _back(self) -> None:
        if self._failing:
            log.info("shared limits available again")
            self._failing = False

    async def take(self, key: str, *, rate_per_s: float, burst: float, cost: float = 1) -> float:
        try:
            answer = await self._gcra(
                keys=[f"townhall:limit:{{{key}}}"], args=[rate_per_s, burst, cost]
            )
        except Exception:  # Redis away: fall back to this process's own budget
            self._lost()
            return self._fallback.take_now(key, rate_per_s=rate_per_s, burst=burst, cost=cost)
        self._back()
        return float(answer)

    async def backoff_wait(self, key: str) -> float:
        try:
            answer = await self._wait(keys=[f"townhall:fail:{{{key}}}"])
        except Exception:
            self._lost()
            return await self._fallback.backoff_wait(key)
        self._back()
        return float(answer)

    async def backoff_fail(self, key: str, *, free: int, cap_s: float) -> float:
        try:
            answer = await self._fail(
                keys=[f"townhall:fail:{{{key}}}"], args=[free, cap_s, int(BACKOFF_MEMORY_S)]
            )
        except Exception:
            self._lost()
            return await self._fallback.backoff_fail(key, free=free, cap_s=cap_s)
        self._back()
        return float(answer)

    async def backoff_clear(self, key: str) -> None:
        try:
            await self._redis.delete(f"townhall:fail:{{{key}}}")
        except Exception:
            self._lost()
        await self._fallback.backoff_clear(key)

    async def close(self) -> None:
        await self._redis.aclose()


def open_limiter(broker_url: str) -> Limiter:
    """Redis when the broker is Redis (the same server), else memory."""
    if broker_url.startswith(("redis://", "rediss://", "redis+cluster://", "rediss+cluster://")):
        return RedisLimiter(broker_url)
    return MemoryLimiter()
