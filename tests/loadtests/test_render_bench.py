"""The render benchmark builds its rooms at the sizes asked, renders a real tick for every
view and prices each (small sizes; figures are not asserted)."""

from __future__ import annotations

import json

import pytest

from loadtests.render_bench import main, measure


def test_each_room_is_built_at_its_size_and_every_view_priced() -> None:
    result = measure([40, 80], ticks=2, repeats=1)
    assert [row["questions"] for row in result["rooms"]] == [42, 82]  # the tick asks two more
    for row in result["rooms"]:
        assert 0 < row["pending"] < row["questions"]
        assert set(row["us_per_tick"]) == {
            "moderator", "attendee", "screen", "embed", "personal", "total",
        }  # fmt: skip
        # The tick renders something for each view it should: it measures real work.
        assert row["frames"]["moderator"] > row["frames"]["attendee"] > 0
        assert row["frames"]["embed"] > 0 and row["frames"]["personal"] > 0


def test_it_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--questions", "20", "--ticks", "1", "--repeats", "1"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["ticks"] == 1 and len(printed["rooms"]) == 1
