"""The benchmark harness still runs end to end (at toy scale): JSON shape and no lost votes.

Figures are not asserted: this machine is shared and a benchmark reports, it does not judge.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_headline_at_toy_scale_prints_one_complete_json_line() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests.bench",
            "--quick",
            "--scenario",
            "headline",
            "--scale",
            "0.05",
            "--workers",
            "2",
            "--duration",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert len(lines) == 1, run.stdout
    result = json.loads(lines[0])
    for key in (
        "scenario",
        "clients",
        "processes",
        "votes_offered_per_s",
        "votes_acked_per_s",
        "frames_delivered_per_s",
        "server_cpu_us_per_frame",
        "rss_kb_per_socket",
        "errors",
        "lost_votes",
    ):
        assert key in result, key
    assert set(result["vote_to_screen_ms"]) == {"p50", "p99", "max"}
    assert set(result["ack_ms"]) == {"p50", "p99"}
    assert result["scenario"] == "headline"
    assert result["connected"] == result["clients"] == 50
    assert result["votes_acked_per_s"] > 0
    assert result["lost_votes"] == 0
    assert result["errors"] == 0, result["error_kinds"]
