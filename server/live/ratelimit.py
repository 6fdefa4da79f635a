"""Token buckets: per connection, per IP. Time comes in as an argument so tests need no sleep."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["Bucket", "KeyedBuckets"]


class Bucket:
    __slots__ = ("burst", "level", "rate", "updated")

    def __init__(self, rate_per_s: float, burst: int, now: float) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self.level = float(burst)
        self.updated = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        elapsed = now - self.updated
        if elapsed > 0:
            self.level = min(self.burst, self.level + elapsed * self.rate)
            self.updated = now
        if self.level >= cost:
            self.level -= cost
            return True
        return False


class KeyedBuckets:
    """One bucket per key (an IP address), the least recently used forgotten past `max_keys`."""

    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str, now: float, cost: float = 1.0) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.rate, self.burst, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now, cost)
