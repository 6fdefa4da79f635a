"""The vote bench prices what it says: every vote acked, the writer's CPU read apart."""

from __future__ import annotations

from loadtests.vote_bench import measure


def test_every_round_is_priced_on_the_loop_and_on_the_writer_as_the_transcript_grows() -> None:
    result = measure(attendees=30, rounds=10)
    # Three set-up entries and 30 joins, then 30 votes a round: the last round starts at 303.
    assert result["first"]["transcript"] == [33, 33]
    assert result["last"]["transcript"] == [303, 303]
    for part in ("first", "last"):
        # The writer's own clock: it ran, and a thread's CPU never exceeds the process's.
        assert 0 < result[part]["writer_us"] < result[part]["process_us"]
        assert result[part]["loop_us"] > 0
