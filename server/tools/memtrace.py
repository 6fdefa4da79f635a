"""Memory growth diagnostics for operators: `TOWNHALL_TRACEMALLOC=/path/report.txt`.

The first SIGUSR1 takes a baseline; each later one appends the top allocation growth since
that baseline to the report. Tracing costs CPU: use it to hunt a leak, not in production.
"""

from __future__ import annotations

import signal
import time
import tracemalloc
from pathlib import Path
from types import FrameType

__all__ = ["install"]


def install(report: str, frames: int = 4) -> None:
    tracemalloc.start(frames)
    baseline: list[tracemalloc.Snapshot] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if not baseline:
            baseline.append(snapshot)
            return
        lines = [f"--- {time.strftime('%H:%M:%S')} growth since baseline, by traceback"]
        for stat in snapshot.compare_to(baseline[0], "traceback")[:25]:
            lines.append(f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+8d} blocks")
            lines.extend(f"      {line}" for line in stat.traceback.format()[-frames * 2 :])
        with Path(report).open("a") as out:
            out.write("\n".join(lines) + "\n")

    signal.signal(signal.SIGUSR1, on_signal)
