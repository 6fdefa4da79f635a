"""Districts without exposure: a breakdown never shows a group smaller than the room's
minimum cell size `k` (`settings.min_cell_size`, 5 by default).

    grouping = cells({"North": 9, "South": 2, None: 6}, k=5)
    grouping.rows   # ("North", None, OTHER): South is counted in "other"

The rules, in order:

1. A breakdown of fewer than `k` people in all is not shown at all (`cells` returns None).
2. A group (a district, or the people who gave none) of fewer than `k` is merged into
   "other" (an empty one is left out: it has nobody to show or to hide).
3. "Other" is shown only with at least `k` people in it. While it has between 1 and k-1, the
   smallest group still shown joins it: otherwise the total minus the groups shown would give
   a lone district away (the differencing attack).
4. A breakdown where every group ended in "other" is no breakdown: None as well.

The report's tables (`joined_breakdown`, `poll_breakdown`) are cut from their own counts:
people who joined, and each poll's voters. Weighting (`weighted`) works on the rows a
breakdown shows, never on the groups inside "other", so a weighted figure is a function of
what is published and of the populations the organiser entered, and cannot be solved back
into a merged group either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rooms.polls import apply_ballot, reset_tally, results
from rooms.state import Poll, RoomState

__all__ = [
    "OTHER",
    "Grouping",
    "Row",
    "cells",
    "joined_breakdown",
    "poll_breakdown",
    "row_shares",
    "weighted",
]


class _Other:
    """The row of the merged groups; a district may be called "other", this is not a name."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OTHER"


OTHER: Final = _Other()
Key = str | None  # a district, or None: the people who gave none
Row = Key | _Other


@dataclass(frozen=True, slots=True)
class Grouping:
    """Which groups a breakdown shows on their own (`shown`, in the input's order), and
    which it counts together as "other" (`merged`, possibly empty)."""

    shown: tuple[Key, ...]
    merged: frozenset[Key]

    @property
    def rows(self) -> tuple[Row, ...]:
        return (*self.shown, OTHER) if self.merged else self.shown

    def row_of(self, key: Key) -> Row:
        return OTHER if key in self.merged else key

    def totals(self, counts: Mapping[Key, int]) -> dict[Row, int]:
        out: dict[Row, int] = {row: 0 for row in self.rows}
        for key, n in counts.items():
            if n:  # an empty group is in no row
                out[self.row_of(key)] += n
        return out


def cells(counts: Mapping[Key, int], k: int) -> Grouping | None:
    """The grouping of `counts` (people per group) that shows no group of fewer than `k`,
    or None when no breakdown can be shown (see the module docstring)."""
    if k < 1:
        raise ValueError("the minimum cell size is at least 1")
    total = sum(counts.values())
    if total < k:
        return None
    shown = [key for key, n in counts.items() if n >= k]
    other = total - sum(counts[key] for key in shown)
    while 0 < other < k and shown:
        # The smallest, and of equals the last listed: which one is a rule, not an accident.
        smallest = min(reversed(shown), key=lambda key: counts[key])
        shown.remove(smallest)
        other += counts[smallest]
    if not shown:
        return None
    merged = frozenset(key for key, n in counts.items() if n and key not in shown)
    return Grouping(shown=tuple(shown), merged=merged)


def row_shares(grouping: Grouping, shares: Mapping[str, float]) -> dict[Row, float]:
    """The population share each row stands for: a district's own, and "other" the sum of
    every district not shown on its own (those with nobody in the breakdown too: its share
    then says nothing about which small district had anyone). People who gave no district
    stand for no share. Without an "other" row, the unshown districts had nobody: their
    share is left out (`weighted` rescales)."""
    out: dict[Row, float] = {row: 0.0 for row in grouping.rows}
    for district, share in shares.items():
        row: Row = district if district in grouping.shown else OTHER
        if row in out:
            out[row] += share
    return out


def weighted(rows: Sequence[tuple[float, int, Sequence[int]]]) -> list[float] | None:
    """Post-stratified means: for rows of (population share, voters, totals per item), the
    mean per voter of each item within each row, averaged with the rows' shares as weights
    (rows with no voters or no share take no part). None if no row can take part."""
    taking = [(share, n, totals) for share, n, totals in rows if share > 0 and n > 0]
    weight = sum(share for share, _n, _totals in taking)
    if not taking or weight <= 0:
        return None
    size = len(taking[0][2])
    return [sum(share * totals[i] / n for share, n, totals in taking) / weight for i in range(size)]


# -- the report's breakdowns -------------------------------------------------------------

# What a breakdown by district counts per kind: the totals a row's results list per item.
_ITEMS = {
    "single": "counts",
    "multiple": "counts",
    "rating": "counts",
    "ranking": "points",
    "budget": "points",
}


def _row_label(row: Row) -> dict[str, Any]:
    if row is OTHER:
        return {"district": None, "other": True}
    return {"district": row, "other": False}


def _groups(state: RoomState, people: Iterable[str | None]) -> dict[str | None, int]:
    """People per group, every district of the settings listed (with 0) in their order."""
    counts: dict[str | None, int] = dict.fromkeys((*state.settings.districts, None), 0)
    for district in people:
        counts[district] = counts.get(district, 0) + 1
    return counts


def joined_breakdown(state: RoomState) -> list[dict[str, Any]] | None:
    """The report's people who joined, per group: rows of {district, other, joined}."""
    counts = _groups(state, (p.district for p in state.participants.values()))
    grouping = cells(counts, state.settings.min_cell_size)
    if grouping is None:
        return None
    return [{**_row_label(row), "joined": n} for row, n in grouping.totals(counts).items()]


def poll_breakdown(state: RoomState, poll: Poll) -> dict[str, Any] | None:
    """A poll's results per group of its voters (rows of {district, other, results}), the
    raw figures per voter, and weighted ones beside them when the room has populations."""
    items = _ITEMS.get(poll.defn.kind)
    if items is None:  # words and open answers are text: no breakdown of them
        return None
    district = {
        voter: (person.district if person is not None else None)
        for voter, person in ((v, state.participants.get(v)) for v in poll.ballots)
    }
    grouping = cells(_groups(state, district.values()), state.settings.min_cell_size)
    if grouping is None:
        return None
    parts: dict[Row, Poll] = {}
    for row in grouping.rows:
        parts[row] = Poll(id=poll.id, defn=poll.defn, created_at=poll.created_at)
        reset_tally(parts[row])
    for voter, choice in poll.ballots.items():
        apply_ballot(parts[grouping.row_of(district[voter])], voter, choice)
    rows = [{**_row_label(row), "results": results(part)} for row, part in parts.items()]
    out: dict[str, Any] = {"items": items, "rows": rows, "raw": _raw(poll, items)}
    populations = dict(state.settings.district_weights)
    if populations:
        whole = sum(populations.values())
        shares = row_shares(grouping, {d: n / whole for d, n in populations.items()})
        taking = [
            (shares[row], part.tally.voters, getattr(part.tally, items))
            for row, part in parts.items()
        ]
        mean = weighted(taking)
        out["weighted"] = None if mean is None else [round(v, 4) for v in mean]
        out["coverage"] = round(sum(s for s, n, _t in taking if n and s > 0), 4)
        for row_out, row in zip(rows, parts, strict=True):
            row_out["share"] = round(shares[row], 4)
    if poll.defn.kind == "rating":  # the mean value, from the per-value shares
        out["average"] = {k: _mean_value(out.get(k)) for k in ("raw", "weighted")}
    return out


def _mean_value(per_value: list[float] | None) -> float | None:
    if per_value is None:
        return None
    return round(sum((i + 1) * share for i, share in enumerate(per_value)), 2)


def _raw(poll: Poll, items: str) -> list[float] | None:
    """Per voter, each item's total over every voter: the unweighted figure."""
    voters = poll.tally.voters
    if not voters:
        return None
    return [round(v / voters, 4) for v in getattr(poll.tally, items)]
