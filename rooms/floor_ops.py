"""The floor: the speaker queue (public comment) and emoji reactions.

Where each person stands in the queue, and which move that allows, is the SPEAKER table in
rooms/lifecycles.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.filters import TextFilters
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import (
    Event,
    ReactionSent,
    SpeakerCalled,
    SpeakerFinished,
    SpeakerRequested,
    SpeakerSkipped,
    SpeakerWithdrawn,
)
from rooms.fields import clean_text, opt_str, req_str
from rooms.lifecycles import SPEAKER
from rooms.records import Record
from rooms.state import Floor, RoomState, SpeakerRequest

__all__ = ["APPLIERS", "DECIDERS", "REACTIONS", "WINDOW_MS"]

# The fixed set, in display order; the report keeps counts per window of WINDOW_MS.
REACTIONS = ("👍", "👏", "❤️", "😂", "😮", "🤔")
WINDOW_MS = 10_000
D = Mapping[str, Any]


def _check(state: RoomState, participant_id: str, move: type[Event]) -> None:
    SPEAKER.check(state.speaker_state(participant_id), move)


def _head(state: RoomState) -> str:
    if not state.queue:
        raise CommandError("speaker.queue_empty")
    return next(iter(state.queue))


def _speaker(state: RoomState) -> str:
    if state.floor is None:
        raise CommandError("speaker.no_floor")
    return state.floor.participant_id


def _check_reactions(state: RoomState) -> None:
    if not state.settings.reactions:
        raise CommandError("reaction.disabled")


def decide_request(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    topic = opt_str(f, "topic") or ""
    if topic.strip():
        topic = clean_text(topic, state.settings.question_max_length)
    elif len(topic) > state.settings.question_max_length:
        raise CommandError("text.too_long")
    _check(state, ctx.actor, SpeakerRequested)
    return SpeakerRequested(topic=topic.strip())


def decide_withdraw(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    _check(state, ctx.actor, SpeakerWithdrawn)
    return SpeakerWithdrawn()


def decide_next(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    return SpeakerCalled(
        participant_id=_head(state), time_limit_s=state.settings.speaker_time_limit_s
    )


def decide_skip(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    return SpeakerSkipped(participant_id=_head(state))


def decide_finish(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    return SpeakerFinished(participant_id=_speaker(state))


def decide_react(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    _check_reactions(state)
    emoji = req_str(f, "emoji")
    if emoji not in REACTIONS:
        raise CommandError("reaction.invalid")
    return ReactionSent(emoji=emoji)


DECIDERS: dict[str, Decider] = {
    "speaker.request": decide_request,
    "speaker.withdraw": decide_withdraw,
    "speaker.next": decide_next,
    "speaker.skip": decide_skip,
    "speaker.finish": decide_finish,
    "react": decide_react,
}


def _queue_changed(fx: Effects, participant_id: str, ev: Event) -> None:
    fx.target = f"participant:{participant_id}"
    fx.touch("speaker", participant_id, ev.TYPE)


def apply_requested(state: RoomState, rec: Record, ev: SpeakerRequested, fx: Effects) -> None:
    _check(state, rec.actor, SpeakerRequested)
    state.queue[rec.actor] = SpeakerRequest(participant_id=rec.actor, topic=ev.topic, at=rec.at)
    fx.result = {"position": len(state.queue)}
    _queue_changed(fx, rec.actor, ev)


def apply_withdrawn(state: RoomState, rec: Record, ev: SpeakerWithdrawn, fx: Effects) -> None:
    _check(state, rec.actor, SpeakerWithdrawn)
    del state.queue[rec.actor]
    _queue_changed(fx, rec.actor, ev)


def apply_called(state: RoomState, rec: Record, ev: SpeakerCalled, fx: Effects) -> None:
    # Another moderator may have called or skipped the same person meanwhile: then this
    # call lost the race, rather than silently calling whoever is next now.
    _check(state, ev.participant_id, SpeakerCalled)
    request = state.queue.pop(ev.participant_id)
    state.floor = Floor(ev.participant_id, request.topic, rec.at, ev.time_limit_s)
    fx.result = {"participant_id": ev.participant_id}
    _queue_changed(fx, ev.participant_id, ev)


def apply_skipped(state: RoomState, rec: Record, ev: SpeakerSkipped, fx: Effects) -> None:
    _check(state, ev.participant_id, SpeakerSkipped)
    del state.queue[ev.participant_id]
    fx.result = {"participant_id": ev.participant_id}
    _queue_changed(fx, ev.participant_id, ev)


def apply_finished(state: RoomState, rec: Record, ev: SpeakerFinished, fx: Effects) -> None:
    _check(state, ev.participant_id, SpeakerFinished)
    state.floor = None
    fx.result = {"participant_id": ev.participant_id}
    _queue_changed(fx, ev.participant_id, ev)


def apply_reaction(state: RoomState, rec: Record, ev: ReactionSent, fx: Effects) -> None:
    _check_reactions(state)
    window = rec.at // WINDOW_MS
    counts = state.reactions.setdefault(window, {})
    counts[ev.emoji] = counts.get(ev.emoji, 0) + 1
    if state.reaction_window is None or window > state.reaction_window:
        state.reaction_window = window
    fx.touch("reactions", None, ev.TYPE)


APPLIERS: dict[type[Event], Applier] = {
    SpeakerRequested: apply_requested,
    SpeakerWithdrawn: apply_withdrawn,
    SpeakerCalled: apply_called,
    SpeakerSkipped: apply_skipped,
    SpeakerFinished: apply_finished,
    ReactionSent: apply_reaction,
}
