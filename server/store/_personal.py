"""The private records beside the chain, as both backends rewrite them: erasure and purge.

A private record (rooms/privacy.py) is stored as canonical JSON in the `personal` table, one
row per entry that has one, keyed by (room, seq) and indexed by participant. The entries
table is append-only and never touched: only these rows change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from rooms.chain import canonical_json
from rooms.privacy import aliased, erased

__all__ = ["erased_rows", "purged_rows"]


def erased_rows(rows: Iterable[Sequence[object]]) -> list[tuple[str, int]]:
    """(seq, data) rows of one participant -> (new data, seq), personal data blanked."""
    return [
        (canonical_json(erased(json.loads(str(data)))).decode("utf-8"), int(str(seq)))
        for seq, data in rows
    ]


def purged_rows(rows: Iterable[Sequence[object]]) -> list[tuple[str, int]]:
    """(seq, data) rows of a whole room, oldest first -> (new data, seq): personal data
    blanked and each participant named by an alias in order of first appearance (x1, x2...)
    that nothing else records (purging twice gives the same aliases again)."""
    aliases: dict[str, str] = {}

    def alias(participant: str) -> str:
        return aliases.setdefault(participant, f"x{len(aliases) + 1}")

    return [
        (canonical_json(aliased(json.loads(str(data)), alias)).decode("utf-8"), int(str(seq)))
        for seq, data in rows
    ]
