"""Districts without exposure: the merge rules, a property over any counts, the report's
breakdowns built on them, and the weighting arithmetic written out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rooms.districts import OTHER, Grouping, cells, row_shares, weighted
from rooms.errors import CommandError
from rooms.evaluation import evaluate
from rooms.settings import RoomSettings, parse_settings
from tests.rooms.harness import ORG, Room

# -- the merge ---------------------------------------------------------------------------------


def test_groups_big_enough_are_shown_and_the_small_ones_count_as_other() -> None:
    g = cells({"North": 9, "South": 2, "East": 3, None: 6}, k=5)
    assert g == Grouping(shown=("North", None), merged=frozenset({"South", "East"}))
    assert g.rows == ("North", None, OTHER)
    assert g.totals({"North": 9, "South": 2, "East": 3, None: 6}) == {
        "North": 9,
        None: 6,
        OTHER: 5,
    }


def test_a_lone_small_district_takes_the_next_smallest_with_it() -> None:
    # Showing North and South beside "other" = East alone would give East away: the
    # smallest shown group (South) joins "other", which then holds 7.
    g = cells({"North": 9, "South": 6, "East": 1}, k=5)
    assert g is not None and g.shown == ("North",) and g.merged == {"South", "East"}
    assert g.totals({"North": 9, "South": 6, "East": 1})[OTHER] == 7


def test_of_equal_groups_the_last_listed_joins_other() -> None:
    g = cells({"A": 5, "B": 5, "C": 2}, k=5)
    assert g is not None and g.shown == ("A",) and g.merged == {"B", "C"}


def test_no_breakdown_below_the_threshold_or_when_all_would_be_other() -> None:
    assert cells({"North": 2, "South": 2}, k=5) is None  # 4 people in all
    assert cells({"North": 3, "South": 3, None: 3}, k=5) is None  # all in "other"
    assert cells({}, k=5) is None


def test_empty_groups_are_neither_shown_nor_merged() -> None:
    g = cells({"North": 5, "South": 0, None: 5}, k=5)
    assert g == Grouping(shown=("North", None), merged=frozenset())
    assert g.rows == ("North", None)


def test_a_threshold_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        cells({"North": 3}, k=0)


counts = st.dictionaries(
    st.one_of(st.none(), st.sampled_from(["North", "South", "East", "West", "other", ""])),
    st.integers(0, 30),
    max_size=6,
)


@given(counts, st.integers(1, 12))
def test_no_group_under_k_can_be_read_from_a_breakdown(
    groups: dict[str | None, int], k: int
) -> None:
    g = cells(groups, k)
    total = sum(groups.values())
    big = [n for n in groups.values() if n >= k]
    small = total - sum(big)
    # No breakdown: too few in all, nobody in a group of k, or one such group whose
    # complement (under k) would be read off the total.
    assert (g is None) == (total < k or not big or (len(big) == 1 and 0 < small < k))
    if g is None:
        return
    rows = g.totals(groups)
    assert sum(rows.values()) == total >= k
    for row, n in rows.items():
        assert n >= k, (row, n)  # every row shown, "other" too, holds k people or more
    for key, n in groups.items():
        # Each person counts in exactly one row; a group under k is only ever in "other".
        assert (key in g.shown) + (key in g.merged) == (1 if n else 0)
        if 0 < n < k:
            assert g.row_of(key) is OTHER
    # A group of k or more is merged only to bring a too-small "other" up to k.
    if small == 0 or small >= k:
        assert g.merged == {key for key, n in groups.items() if 0 < n < k}


# -- the report --------------------------------------------------------------------------------


def _room(people: dict[str | None, list[int]], **settings: Any) -> tuple[Room, int]:
    """A room whose people in each district vote `choices` (one per person) in a yes/no
    poll; settings default to districts North, South, East and a threshold of 3."""
    settings = {"districts": ["North", "South", "East"], "min_cell_size": 3, **settings}
    room = Room(**settings)
    poll = room.poll(options=["Yes", "No"])
    n = 0
    for district, choices in people.items():
        for choice in choices:
            n += 1
            who = f"p{n}"
            room.do(who, "participant.join", name=who, district=district)
            room.do(who, "vote", poll_id=poll, choice=choice)
    room.do(ORG, "poll.close", poll_id=poll)
    return room, poll


def _rows(rows: list[dict[str, Any]]) -> list[tuple[str | None, bool]]:
    return [(r["district"], r["other"]) for r in rows]


def test_the_report_merges_a_lone_voters_district_in_every_table() -> None:
    # East has one voter: its row would be their ballot. With nobody else small, South
    # (the smallest shown) joins "other" with East.
    room, _poll = _room({"North": [0, 0, 1, 1], "South": [1, 1, 1], "East": [0]})
    report = evaluate(room.records)
    assert report["room"]["min_cell_size"] == 3
    joined = report["participants"]["by_district"]
    assert joined == [
        {"district": "North", "other": False, "joined": 4},
        {"district": None, "other": True, "joined": 4},
    ]
    (poll,) = report["polls"]
    b = poll["by_district"]
    assert _rows(b["rows"]) == [("North", False), (None, True)]
    assert [r["results"] for r in b["rows"]] == [
        {"voters": 4, "counts": [2, 2]},
        {"voters": 4, "counts": [1, 3]},
    ]
    assert "weighted" not in b and b["raw"] == [0.375, 0.625]


def test_too_few_voters_in_a_poll_means_no_breakdown_even_when_joined_has_one() -> None:
    room = Room(districts=["North", "South"], min_cell_size=3)
    poll = room.poll(options=["Yes", "No"])
    for i in range(6):
        room.do(f"p{i}", "participant.join", district="North" if i < 3 else "South")
    room.do("p0", "vote", poll_id=poll, choice=0)  # the one voter
    report = evaluate(room.records)
    assert _rows(report["participants"]["by_district"]) == [("North", False), ("South", False)]
    assert report["polls"][0]["by_district"] is None


def test_word_and_open_polls_have_no_breakdown() -> None:
    room = Room(districts=["North"], min_cell_size=3)
    poll = room.poll("wordcloud")
    for i in range(4):
        room.do(f"p{i}", "participant.join", district="North")
        room.do(f"p{i}", "vote", poll_id=poll, choice=["trees"])
    assert evaluate(room.records)["polls"][0]["by_district"] is None


# -- weighting ---------------------------------------------------------------------------------


def test_weighted_beside_raw_written_out() -> None:
    # North 4 voters: 3 yes; South 4: 1 yes; 3 gave no district: all yes.
    # raw yes = 7/11; weighted (North 0.25, South 0.75, East 0 voters: its share left out)
    #   yes = (0.25 * 3/4 + 0.7 * 1/4) / (0.25 + 0.7) = 0.3625 / 0.95 = 0.38158
    #   no  = (0.25 * 1/4 + 0.7 * 3/4) / 0.95 = 0.5875 / 0.95 = 0.61842
    weights = {"North": 2_500, "South": 7_000, "East": 500}  # 25 %, 70 %, 5 %
    room, _ = _room(
        {"North": [0, 0, 0, 1], "South": [0, 1, 1, 1], None: [0, 0, 0]},
        district_weights=weights,
    )
    b = evaluate(room.records)["polls"][0]["by_district"]
    assert _rows(b["rows"]) == [("North", False), ("South", False), (None, False)]
    assert [r["share"] for r in b["rows"]] == [0.25, 0.7, 0.0]
    assert b["raw"] == [round(7 / 11, 4), round(4 / 11, 4)]
    assert b["weighted"] == [0.3816, 0.6184]
    assert b["coverage"] == 0.95


def test_other_stands_for_the_sum_of_its_districts_shares() -> None:
    # South (1) and East (2) are "other" (3 voters) with 0.3 + 0.2 of the population.
    # yes = 0.5 * 4/5 + 0.5 * 1/3 = 0.56667
    room, _ = _room(
        {"North": [0, 0, 0, 0, 1], "South": [0], "East": [1, 1]},
        district_weights={"North": 50_000, "South": 30_000, "East": 20_000},
    )
    b = evaluate(room.records)["polls"][0]["by_district"]
    assert _rows(b["rows"]) == [("North", False), (None, True)]
    assert [r["share"] for r in b["rows"]] == [0.5, 0.5]
    assert b["weighted"] == [0.5667, 0.4333] and b["coverage"] == 1.0


def test_a_rating_polls_weighted_average() -> None:
    room = Room(
        districts=["North", "South"],
        min_cell_size=3,
        district_weights={"North": 1, "South": 4},
    )
    poll = room.poll("rating", scale=5)
    votes = {"North": [5, 5, 5], "South": [1, 1, 4]}
    n = 0
    for district, values in votes.items():
        for value in values:
            n += 1
            room.do(f"p{n}", "participant.join", district=district)
            room.do(f"p{n}", "vote", poll_id=poll, choice=value)
    b = evaluate(room.records)["polls"][0]["by_district"]
    # raw mean (15 + 6) / 6 = 3.5; weighted 0.2 * 5 + 0.8 * 2 = 2.6
    assert b["average"] == {"raw": 3.5, "weighted": 2.6}


def test_weighting_functions_directly() -> None:
    assert weighted([(0.5, 2, [2, 0]), (0.5, 4, [1, 3])]) == [0.625, 0.375]
    assert weighted([(0.0, 2, [2, 0]), (0.3, 0, [0, 0])]) is None  # nobody takes part
    g = cells({"A": 5, "B": 1, "C": 4, "D": 0}, k=5)
    assert g is not None
    # D had nobody: its share still goes to "other", which names no small district.
    assert row_shares(g, {"A": 0.4, "B": 0.1, "C": 0.3, "D": 0.2}) == {
        "A": 0.4,
        OTHER: pytest.approx(0.6),
    }
    bare = cells({"A": 5, "B": 0}, k=5)  # no "other": B's share is left out
    assert bare is not None and row_shares(bare, {"A": 0.7, "B": 0.3}) == {"A": 0.7}


# -- the settings ------------------------------------------------------------------------------


def _settings(**raw: Any) -> RoomSettings:
    return parse_settings(raw, RoomSettings(districts=("North", "South")))


def test_min_cell_size_is_5_by_default_and_at_least_3() -> None:
    assert RoomSettings().min_cell_size == 5
    assert _settings(min_cell_size=3).min_cell_size == 3
    for bad in (2, 0, 1001, "5", True):
        with pytest.raises(CommandError) as e:
            _settings(min_cell_size=bad)
        assert "min_cell_size" in str(e.value)


def test_weights_round_trip_through_the_events_json() -> None:
    s = _settings(district_weights={"North": 40_312, "South": 60_001})
    assert s.district_weights == (("North", 40_312), ("South", 60_001))
    assert RoomSettings.from_dict(s.to_dict()) == s
    assert s.to_dict()["district_weights"] == {"North": 40_312, "South": 60_001}
    assert _settings(district_weights=None).district_weights == ()
    assert parse_settings({"district_weights": {}}, s).district_weights == ()


@pytest.mark.parametrize(
    ("weights", "why"),
    [
        ({"North": 0, "South": 10}, "whole numbers"),
        ({"North": -5, "South": 10}, "whole numbers"),
        ({"North": 0.5, "South": 0.5}, "whole numbers"),  # no float enters the log
        ({"North": "5", "South": 5}, "whole numbers"),
        ({"North": True, "South": 5}, "whole numbers"),
        ({"North": 10**9 + 1, "South": 5}, "whole numbers"),
        ({"North": 10}, "each of the room's districts"),
        ({"North": 5, "South": 2, "East": 2}, "each of the room's districts"),
        ({"North": 5, " North": 5}, "repeat"),
        ([5, 5], "object"),
    ],
)
def test_bad_weights_are_refused(weights: object, why: str) -> None:
    with pytest.raises(CommandError) as e:
        _settings(district_weights=weights)
    assert e.value.code == "field.invalid" and why in str(e.value)


def test_changing_the_districts_needs_new_weights() -> None:
    s = _settings(district_weights={"North": 4, "South": 6})
    with pytest.raises(CommandError):
        parse_settings({"districts": ["North", "South", "East"]}, s)
    both = {"districts": ["North"], "district_weights": {"North": 1}}
    assert parse_settings(both, s).district_weights == (("North", 1),)


shares = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3, 3),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
near_valid = st.tuples(st.integers(-2, 10**9 + 2), st.integers(-2, 10**9 + 2)).map(
    lambda t: {"North": t[0], "South": t[1]}
)
any_weights = st.one_of(
    st.none(),
    near_valid,
    st.dictionaries(st.sampled_from(["North", "South", "East", " North", ""]), shares, max_size=4),
    st.lists(shares, max_size=3),
    shares,
)


@given(any_weights)
def test_any_weights_are_refused_cleanly_or_kept_valid(raw: object) -> None:
    try:
        s = _settings(district_weights=raw)
    except CommandError as e:
        assert e.code == "field.invalid" and "district_weights" in str(e)
        return
    weights = dict(s.district_weights)
    if weights:
        assert set(weights) == {"North", "South"} and len(s.district_weights) == 2
        assert all(type(v) is int and 1 <= v <= 10**9 for v in weights.values())
    assert RoomSettings.from_dict(s.to_dict()) == s
