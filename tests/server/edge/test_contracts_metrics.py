"""`/metrics`: the process collectors are there, and every name follows Prometheus's
conventions (base units in the name, `_total` on counters, one prefix per source)."""

from __future__ import annotations

import re

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live_server import LiveServer

_NAME = re.compile(r"^(townhall|process|python)_[a-z0-9_]+$")
# Units Prometheus prefers; a duration or a size must say which, in base units.
_UNITS = ("_seconds", "_bytes", "_ratio")
_NOT_BASE = ("_milliseconds", "_ms", "_kilobytes", "_megabytes", "_minutes")


def _families(server: LiveServer) -> dict[str, tuple[str, list[str]]]:
    text = httpx.get(server.http + "/metrics", timeout=5).text
    return {
        family.name: (family.type, [sample.name for sample in family.samples])
        for family in text_string_to_metric_families(text)
    }


def test_metrics_include_the_process_collectors(server: LiveServer) -> None:
    families = _families(server)
    text = httpx.get(server.http + "/metrics", timeout=5).text
    for name in (
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_cpu_seconds",
        "process_start_time_seconds",
        "python_info",
        "python_gc_collections",
    ):
        assert name in families, name
    rss = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("process_resident_memory_bytes ")
    )
    assert 10 * 2**20 < rss < 4 * 2**30  # a real figure in bytes, not a placeholder


def test_metric_names_follow_the_conventions(server: LiveServer) -> None:
    families = _families(server)
    assert sum(name.startswith("townhall_") for name in families) >= 15
    for name, (kind, samples) in families.items():
        assert _NAME.match(name), name
        assert not name.endswith(_NOT_BASE), f"{name}: use base units (seconds, bytes)"
        if kind == "counter":
            # The family's samples carry `_total` (and `_created`), the name itself does not.
            assert {s for s in samples if not s.endswith("_created")} <= {name + "_total"}, name
        if kind == "histogram":
            assert name.endswith(_UNITS), f"{name}: a histogram names its unit"
        if any(word in name for word in ("latency", "duration", "interval", "time")):
            assert name.endswith("_seconds"), f"{name}: a time is in seconds"
