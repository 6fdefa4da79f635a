"""The write floor measures what it says: every send counted, a CPU figure per send."""

from __future__ import annotations

from loadtests.write_floor import measure


def test_every_frame_to_every_socket_is_sent_and_priced() -> None:
    result = measure(sockets=20, rounds=3, size=60)
    assert result["sends"] == 60
    assert result["bytes_per_frame"] == 62  # two header bytes and the padded payload
    assert result["cpu_us_per_send"] >= 0
