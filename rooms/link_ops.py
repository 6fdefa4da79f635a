"""Re-issuing a shared link: the organiser's, the big screen's, the overlay's.

A link is a signed token whose claims carry its generation; the room keeps the current
generation of each link, and `rooms.standing` refuses a token of an older one. Rotating a
link is how an organiser takes back one that leaked (a screenshot of the control panel, an
overlay URL shared too widely). Co-moderators each have their own link: `moderator.revoke`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.filters import TextFilters
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event, LinksRotated
from rooms.records import Record
from rooms.state import RoomState

__all__ = ["APPLIERS", "DECIDERS", "LINKS"]

# The links a room shares, each held by one (shared) participant id: the organiser's own id,
# or the fixed ids of the screen and overlay tokens.
LINKS = ("organiser", "screen", "embed")


def decide_rotate(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    link = f.get("link")
    if link not in LINKS:
        raise CommandError("field.invalid", f"link must be one of {', '.join(LINKS)}")
    return LinksRotated(link=str(link), generation=state.link_generations.get(link, 0) + 1)


def apply_rotated(state: RoomState, rec: Record, ev: LinksRotated, fx: Effects) -> None:
    if ev.link not in LINKS:
        raise CommandError("field.invalid")
    # Two organisers' windows rotating at once: both commit, the later generation wins.
    generation = max(ev.generation, state.link_generations.get(ev.link, 0) + 1)
    state.link_generations[ev.link] = generation
    holder = state.organiser if ev.link == "organiser" else ev.link
    fx.result = {"link": ev.link, "generation": generation}
    fx.target = f"link:{ev.link}"
    fx.touch("link", holder, ev.TYPE)


DECIDERS: dict[str, Decider] = {"links.rotate": decide_rotate}
APPLIERS: dict[type[Event], Applier] = {LinksRotated: apply_rotated}
