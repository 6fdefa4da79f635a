"""How long a thread holds the GIL while another waits for it (CPython's switch interval).

The event loop thread rarely blocks while it writes a tick to thousands of sockets; the
store's writer thread needs the GIL back after every SQLite step (each row of an
`executemany`, each statement). At CPython's default of 5 ms, every step of a group commit
could wait that long behind the fan-out, so an ack waited for a convoy of them. At 0.5 ms,
the issue-18 scenario (5,000 sockets, 1,000 votes/s, 100 ms tick), interleaved with the
default, two pairs: ack p99 305/280 -> 179/191 ms, vote-to-screen p99 416/417 -> 305/286 ms,
frames delivered 46.6k -> 49.6-49.8k of 50k a second, CPU per frame 18.5 -> 17.8 us.
0.2 ms and 1 ms measured no better (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import sys

__all__ = ["SERVER_SWITCH_INTERVAL_S", "tune_switch_interval"]

SERVER_SWITCH_INTERVAL_S = 0.0005


def tune_switch_interval() -> float:
    """Set the server's switch interval; returns the one it replaced."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL_S)
    return before
