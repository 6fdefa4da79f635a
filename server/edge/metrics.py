"""Prometheus metrics: `GET /metrics` in the text exposition format.

Nothing here runs on the hot path: the hub and the rooms bump plain counters in
`server.live.stats.Stats`, and a custom collector turns them into metric families when
Prometheus scrapes. Gauges (connections,
rooms, store and broker health) are computed at scrape time, and so are the standard
process and Python families (resident memory, open descriptors, CPU, garbage collection).

The metrics and what they mean are listed in docs/DEPLOY.md (section "Metrics").
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rooms import CommandError
from server.edge.answers import error_body
from server.edge.runtime import runtime_of
from server.live.hub import Hub
from server.live.lean import SPLIT

__all__ = ["CONTENT_TYPE", "metrics_endpoint", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


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
        writers = GaugeMetricFamily(
            "townhall_connections_by_writer",
            "Open WebSockets by write path (raw: uvicorn's transport, the fast path)",
            labels=["writer"],
        )
        for writer, count in sorted(hub.connections_by_writer().items()):
            writers.add_metric([writer], count)
        yield writers
        intakes = GaugeMetricFamily(
            "townhall_connections_by_intake",
            "Open WebSockets by read path (lean: frames straight from the protocol)",
            labels=["intake"],
        )
        for intake, count in sorted(hub.connections_by_intake().items()):
            intakes.add_metric([intake], count)
        yield intakes
        yield GaugeMetricFamily("townhall_rooms", "Rooms hosted here", value=len(hub.rooms))
        yield CounterMetricFamily(
            "townhall_frames_sent", "Shared view frames handed to sockets", value=hub.frames_sent
        )
        by_writer = CounterMetricFamily(
            "townhall_frames_by_writer",
            "Shared view frames written by the tick's worker thread (GIL released) or the loop",
            labels=["writer"],
        )
        worker = hub.fanout.sends if hub.fanout is not None else 0
        by_writer.add_metric(["worker"], worker)
        by_writer.add_metric(["loop"], max(0, hub.frames_sent - worker))
        yield by_writer
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
        yield CounterMetricFamily(
            "townhall_intake_held",
            "Times an attendee's socket waited, unread, for its saturated room's writer",
            value=stats.intake_held,
        )
        yield CounterMetricFamily(
            "townhall_frames_split",
            "Client frames the lean intake split and unmasked in C (the rest: websockets' parser)",
            value=SPLIT.frames,
        )
        yield stats.tick.family("townhall_tick_seconds", "Time spent rendering one tick")
        yield GaugeMetricFamily(
            "townhall_tick_interval_seconds",
            "Current adaptive tick interval",
            value=hub.tick_ms / 1000,
        )
        yield CounterMetricFamily(
            "townhall_chain_breaks",
            "Breaks found in hosted rooms' chain tails (each counted once)",
            value=hub.chain.found,
        )
        yield GaugeMetricFamily(
            "townhall_chain_broken_rooms",
            "Hosted rooms whose chain tail is broken now",
            value=len(hub.chain.breaks),
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
    # The standard process_* (RSS, CPU, open descriptors, start time), python_info and
    # python_gc_* families, read from /proc and the interpreter at scrape time.
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return generate_latest(registry)


def _may_scrape(request: Request) -> bool:
    """With TOWNHALL_METRICS_TOKEN set, a bearer token (or `public` for anyone); otherwise
    only from this machine (the TCP peer, whatever a proxy header says)."""
    token = runtime_of(request).settings.metrics_token
    if token == "public":
        return True
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    peer = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


async def metrics_endpoint(request: Request) -> Response:
    """`GET /metrics`, for your Prometheus, not the internet (see docs/DEPLOY.md)."""
    if not _may_scrape(request):
        return JSONResponse(error_body(CommandError("auth.forbidden")), status_code=403)
    return Response(await render_metrics(runtime_of(request).hub), media_type=CONTENT_TYPE)
