"""The collector is tended: survivors frozen, thresholds raised, all restored on stop."""

from __future__ import annotations

import asyncio
import gc

from server.live.gc_tuning import THRESHOLDS, GcTender


def test_start_freezes_raises_the_thresholds_and_stop_restores_them() -> None:
    before = gc.get_threshold()

    async def run() -> tuple[int, tuple[int, int, int], int]:
        tender = GcTender(freeze_every_s=0.01, full_every_s=3600)
        tender.start()
        frozen, during = gc.get_freeze_count(), gc.get_threshold()
        young = [[i] for i in range(1000)]  # survivors made after the first freeze
        await asyncio.sleep(0.05)  # a few tending rounds
        refrozen = gc.get_freeze_count() - frozen
        del young
        await tender.stop()
        return frozen, during, refrozen

    frozen, during, refrozen = asyncio.run(run())
    assert frozen > 0
    assert during == THRESHOLDS
    assert refrozen >= 1000  # what survived since the start was frozen by the tending loop
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_full_collection_finds_cycles_among_frozen_objects() -> None:
    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    async def run() -> int:
        tender = GcTender(freeze_every_s=3600, full_every_s=3600)
        tender.start()
        a, b = Node(), Node()
        a.other, b.other = b, a
        gc.freeze()  # the cycle is frozen, then becomes garbage
        del a, b
        frozen = gc.get_freeze_count()
        tender.collect_all()
        after = gc.get_freeze_count()
        await tender.stop()
        return frozen - after

    assert asyncio.run(run()) >= 2
    assert not any(type(o).__name__ == "Node" for o in gc.get_objects())


def test_by_default_survivors_wait_at_most_a_second_for_the_freeze() -> None:
    """A gen1 collection walks every survivor since the last freeze, with the loop held: the
    server's default tending leaves it at most about a second of them (docs/PERFORMANCE.md,
    `burst`), not ten seconds' worth."""

    async def run() -> tuple[int, int]:
        tender = GcTender()
        tender.start()
        try:
            survivors = [[i] for i in range(30_000)]  # a surge's ballots, say
            gc.collect(0)  # they survive a gen0 collection: now in gen1, waiting
            young = len(gc.get_objects(1))
            await asyncio.sleep(1.3)
            left = len(gc.get_objects(1)) + len(gc.get_objects(0))
            del survivors
            return young, left
        finally:
            await tender.stop()

    young, left = asyncio.run(run())
    assert young >= 30_000
    assert left < 1_000, f"{left} survivors still wait for a gen1 walk after a second"
