"""The counters the hub and its rooms bump on the hot path, read only when scraped.

A few integer operations per op, per commit batch or per tick, never per socket write; no
locks (one event loop). `server/edge/metrics.py` turns them into Prometheus families.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from prometheus_client.core import HistogramMetricFamily

__all__ = ["LATENCY_BUCKETS", "TICK_BUCKETS", "Histogram", "Stats"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
TICK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class Histogram:
    """A cumulative-on-export histogram: observe() is one bisect and two additions."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last bucket is +Inf
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def family(self, name: str, documentation: str) -> HistogramMetricFamily:
        buckets: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=self.total)


class Stats:
    """Plain counters bumped by the hub and its rooms; read only when scraped."""

    def __init__(self) -> None:
        self.acked = 0
        self.acked_duplicate = 0
        self.refused: dict[str, int] = {}
        self.ack_latency = Histogram(LATENCY_BUCKETS)
        self.append_latency = Histogram(LATENCY_BUCKETS)
        self.appended = 0
        self.publishes = 0
        self.published = 0
        self.intake_held = 0  # sockets held unread by a saturated room (intake_gate.py)
        self.tick = Histogram(TICK_BUCKETS)

    def refuse(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1
