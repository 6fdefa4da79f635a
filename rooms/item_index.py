"""Moderated items (questions, open answers) filed by where they stand, so that a view can
count and page them without reading every item in the room.

Each item is filed under one bucket, `(state, detail)`: a pending item's detail is its
language (the panel pages its queue by language), a rejected one's its reason (no reason
counts as "other", as the ledger counts it); other states have none. A bucket holds its ids
ascending, which is asking order: an id is the seq of the record that made the item.

Derived, like a poll's tally: the appliers file an item again whenever they touch it, and
rooms/snapshot.py files every item of a state it loads; never snapshotted. The property
tests check after every step that it equals an index filed afresh.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from heapq import merge
from typing import Protocol

__all__ = ["Bucket", "ItemIndex", "bucket_of"]

Bucket = tuple[str, str | None]
# The states the public ledger counts as approved.
_APPROVED = ("approved", "answered", "archived")


class _Filed(Protocol):
    """What an item is filed by (rooms.state.Question and Answer have it)."""

    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def lang(self) -> str | None: ...


def bucket_of(item: _Filed) -> Bucket:
    if item.state == "pending":
        return ("pending", item.lang)
    if item.state == "rejected":
        return ("rejected", item.reason or "other")
    return (item.state, None)


@dataclass(slots=True)
class ItemIndex:
    buckets: dict[Bucket, list[int]] = field(default_factory=dict)  # never an empty one
    where: dict[int, Bucket] = field(default_factory=dict)  # item id -> its bucket

    @classmethod
    def of(cls, items: Iterable[_Filed]) -> ItemIndex:
        index = cls()
        for item in items:
            index.file(item)
        return index

    def file(self, item: _Filed) -> None:
        """File `item` where it stands now: new, moved, or (most often) where it was."""
        to = bucket_of(item)
        was = self.where.get(item.id)
        if was == to:
            return
        if was is not None:
            self._take(was, item.id)
        self.where[item.id] = to
        insort(self.buckets.setdefault(to, []), item.id)

    def drop(self, item_id: int) -> None:
        """Forget an item that is gone (an open answer replaced by its voter's next one)."""
        was = self.where.pop(item_id, None)
        if was is not None:
            self._take(was, item_id)

    def _take(self, bucket: Bucket, item_id: int) -> None:
        ids = self.buckets[bucket]
        del ids[bisect_left(ids, item_id)]
        if not ids:
            del self.buckets[bucket]

    # -- what the views read --------------------------------------------------------------

    def pending(self, lang: str | None = None) -> Iterator[int]:
        """Ids of the pending items in asking order; only those in `lang` if given."""
        if lang is not None:
            return iter(self.buckets.get(("pending", lang), ()))
        return merge(*(ids for (state, _), ids in self.buckets.items() if state == "pending"))

    def pending_count(self, lang: str | None = None) -> int:
        if lang is not None:
            return len(self.buckets.get(("pending", lang), ()))
        return self.count("pending")

    def pending_langs(self) -> list[str]:
        """The languages of the pending items, sorted (an item of unknown language: none)."""
        return sorted(d for (state, d) in self.buckets if state == "pending" and d)

    def count(self, *states: str) -> int:
        return sum(len(ids) for (state, _), ids in self.buckets.items() if state in states)

    def ledger(self) -> dict[str, object]:
        """`{pending, approved, rejected: {reason: n}, hidden}`, the reasons in the order of
        their first item (the order a scan of the items in asking order meets them)."""
        rejected = sorted(
            (ids[0], reason, len(ids))
            for (state, reason), ids in self.buckets.items()
            if state == "rejected" and reason is not None
        )
        return {
            "pending": self.count("pending"),
            "approved": self.count(*_APPROVED),
            "rejected": {reason: n for _, reason, n in rejected},
            "hidden": self.count("hidden"),
        }
