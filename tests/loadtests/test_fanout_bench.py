"""The fan-out benchmark writes what it says through each path: every frame to every socket,
by the town hall's Delivery and by the bare transport, each priced per frame."""

from __future__ import annotations

from loadtests.fanout_bench import measure


def test_both_paths_write_every_frame_to_every_socket_and_are_priced() -> None:
    result = measure(sockets=30, rounds=2, repeats=2)
    for path in ("delivery", "transport"):
        assert result[path]["frames"] == 30 * 2 * 2, path
        assert result[path]["user_us_per_frame"] >= 0 and result[path]["sys_us_per_frame"] >= 0
    assert "python_us_per_frame" in result
