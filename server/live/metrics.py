"""Prometheus metrics: `GET /metrics` in the text exposition format.

Hot-path cost is kept to a few integer operations. Nothing here touches prometheus_client on
the hot path: the hub and the rooms bump plain ints and lists in `Stats` (one event loop, no
locks needed), once per op, per commit batch or per tick, never per socket write; a custom
collector turns them into metric families when Prometheus scrapes. Gauges (connections,
rooms, store and broker health) are computed at scrape time.

The metrics and what they mean are listed in docs/DEPLOY.md (section "Metrics").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from server.live.hub import Hub

__all__ = ["CONTENT_TYPE", "Histogram", "Stats", "metrics_endpoint", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

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

    def observe_many(self, value: float, count: int) -> None:
        self.counts[bisect_left(self.bounds, value)] += count
        self.total += value * count

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
        self.tick = Histogram(TICK_BUCKETS)

    def refuse(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1


class _HubCollector(Collector):
    def __init__(self, hub: Hub, store_up: bool, broker_up: bool) -> None:
        self.hub = hub
        self.store_up = store_up
        self.broker_up = broker_up

    def collect(self) -> Iterable[Metric]:
        return list(self._families())

    def _families(self) -> Iterator[Metric]:
        hub, stats = self.hub, self.hub.stats
        connections = GaugeMetricFamily(
            "townhall_connections", "Open WebSockets by view", labels=["role"]
        )
        for role, count in sorted(hub.connections_by_view().items()):
            connections.add_metric([role], count)
        yield connections
        yield GaugeMetricFamily("townhall_rooms", "Rooms hosted here", value=len(hub.rooms))
        yield CounterMetricFamily(
            "townhall_frames_sent", "Shared view frames handed to sockets", value=hub.frames_sent
        )
        acked = CounterMetricFamily("townhall_ops_acked", "Ops acknowledged", labels=["duplicate"])
        acked.add_metric(["false"], stats.acked - stats.acked_duplicate)
        acked.add_metric(["true"], stats.acked_duplicate)
        yield acked
        refused = CounterMetricFamily(
            "townhall_ops_refused", "Ops answered with an error", labels=["code"]
        )
        for code, count in sorted(stats.refused.items()):
            refused.add_metric([code], count)
        yield refused
        yield stats.ack_latency.family(
            "townhall_ack_latency_seconds", "Op received to its ack or error"
        )
        yield stats.append_latency.family(
            "townhall_store_append_seconds", "One group-committed store append"
        )
        yield CounterMetricFamily(
            "townhall_store_append_entries", "Entries appended", value=stats.appended
        )
        yield CounterMetricFamily(
            "townhall_broker_publishes", "Pipelined publish round trips", value=stats.publishes
        )
        yield CounterMetricFamily(
            "townhall_broker_messages", "Room messages published", value=stats.published
        )
        yield stats.tick.family("townhall_tick_seconds", "Time spent rendering one tick")
        yield GaugeMetricFamily(
            "townhall_tick_interval_seconds",
            "Current adaptive tick interval",
            value=hub.tick_ms / 1000,
        )
        yield GaugeMetricFamily(
            "townhall_store_up", "1 when the store is healthy", value=self.store_up
        )
        yield GaugeMetricFamily(
            "townhall_broker_up", "1 when the broker is healthy", value=self.broker_up
        )


async def render_metrics(hub: Hub) -> bytes:
    """The exposition text for one scrape (health is checked now, off the hot path)."""
    store_up = await hub.store.healthy()
    broker_up = await hub.broker.healthy()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HubCollector(hub, store_up, broker_up))
    return generate_latest(registry)


async def metrics_endpoint(request: Request) -> Response:
    """`GET /metrics`. Expose it to your Prometheus, not to the internet (see docs/DEPLOY.md)."""
    hub: Hub = request.app.state.runtime.hub
    return Response(await render_metrics(hub), media_type=CONTENT_TYPE)
