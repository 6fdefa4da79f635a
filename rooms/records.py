"""A committed entry of a room's log, as the reducer sees it."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.events import Event

__all__ = ["Record"]


@dataclass(frozen=True, slots=True)
class Record:
    seq: int  # assigned by the store at commit; contiguous from 1 per room
    at: int  # ms since the epoch, the server's clock when the op was decided
    actor: str
    op_id: str
    event: Event
