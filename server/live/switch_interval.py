"""How long a thread holds the GIL while another waits for it (CPython's switch interval).

The event loop thread rarely blocks while it writes a tick to thousands of sockets; the
store's writer thread needs the GIL back after every SQLite step (each row of an
`executemany`, each statement). At CPython's default of 5 ms, every step of a group commit
could wait that long behind the fan-out, so an ack waited for a convoy of them.

Measured at 0.5 ms against the default, interleaved pairs (docs/PERFORMANCE.md, fourth
round): the issue-18 scenario with other work sharing the two cores, ack p99 305/280 ->
179/191 ms; a 10,000-phone reconnect storm, resynced in 14.0/12.3 s instead of 17.1/16.6,
ack p99 155/143 instead of 509/495 ms. The issue-18 scenario on a quiet machine: inside the
run-to-run noise. 0.2 ms and 1 ms were no better.
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
