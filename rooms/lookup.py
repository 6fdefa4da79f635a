"""Finding the item an op names, with the error code to give when it is not there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.audit import REJECT_REASONS
from rooms.errors import CommandError
from rooms.state import Answer, Participant, Poll, Question, RoomState

__all__ = ["answer", "participant", "poll", "question", "reject_reason"]


def poll(state: RoomState, poll_id: int) -> Poll:
    found = state.polls.get(poll_id)
    if found is None or found.deleted:
        raise CommandError("poll.not_found")
    return found


def question(state: RoomState, question_id: int) -> Question:
    found = state.questions.get(question_id)
    if found is None:
        raise CommandError("question.not_found")
    return found


def answer(state: RoomState, answer_id: int) -> Answer:
    found = state.answers.get(answer_id)
    if found is None:
        raise CommandError("answer.not_found")
    return found


def participant(state: RoomState, participant_id: str) -> Participant:
    found = state.participants.get(participant_id)
    if found is None:
        raise CommandError("participant.not_found")
    return found


def reject_reason(fields: Mapping[str, Any]) -> str:
    reason = fields.get("reason")
    if reason is None:
        raise CommandError("field.missing", "reason is required")
    if reason not in REJECT_REASONS:
        raise CommandError("reason.invalid", f"reason must be one of {', '.join(REJECT_REASONS)}")
    return str(reason)
