"""The quiz benchmark runs and reports what it measured (small sizes; figures are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_quiz_benchmark_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loadtests.quiz_bench", "--players", "30", "--quizzes", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    assert done.stdout.startswith("60 quiz ballots: leaderboard at a reveal ")
    assert "an attendee's snapshot" in done.stdout
