"""Role-filtered projections of a room: the snapshot, per-tick coalesced frames, personal facts.

`view_frames` is rendered once per role per tick and the same bytes go to every socket of
that role, so nothing here may depend on who is watching; what only one person may see goes
through `personal_frames`. Frames carry no `seq`: the hub adds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from moderation.roles import Role
from rooms import quiz
from rooms.changes import Change
from rooms.presenting import shown
from rooms.render import (
    answer_view,
    content_ban,
    content_bans,
    is_moderator,
    ledger,
    participant_view,
    poll_results,
    poll_view,
    poll_visible,
    question_view,
    question_visible,
    reactions_view,
    results_visible,
    room_header,
    speaker_view,
)
from rooms.state import Question, RoomState

__all__ = [
    "QUEUE_PAGE",
    "SCREEN_QUESTIONS",
    "moderation_queue",
    "personal_frames",
    "snapshot_view",
    "view_frames",
    "you_frame",
]

SCREEN_QUESTIONS = 20  # the big screen's snapshot lists the top questions only
# Pending questions a moderator's snapshot, frames and panel page carry at once: a flooded
# queue must not make every tick and every panel render grow with it (docs/PROTOCOL.md).
QUEUE_PAGE = 50
_BALLOT = "ballot.cast"
# Question events that move the public moderation counts.
_LEDGER_TYPES = frozenset(
    {
        "question.asked",
        "question.withdrawn",
        "question.approved",
        "question.rejected",
        "question.restored",
        "question.hidden",
    }
)
_PERSONAL_QUESTION = frozenset(
    {
        "question.approved",
        "question.rejected",
        "question.restored",
        "question.hidden",
        "question.answered",
    }
)
_PERSONAL_ANSWER = frozenset({"answer.approved", "answer.rejected", "answer.restored"})
# A quiz leaving the leaderboard (its reveal undone, or deleted) moves it too.
_UNSCORED = frozenset({"poll.hidden", "poll.deleted", "poll.restored"})


def _you(state: RoomState, role: Role, participant_id: str | None) -> dict[str, Any]:
    you: dict[str, Any] = {"participant_id": participant_id, "role": role.value}
    person = state.participants.get(participant_id) if participant_id is not None else None
    if role is not Role.ATTENDEE or person is None:
        return you
    pid = person.id
    ballots: dict[str, Any] = {}
    for poll in state.polls.values():
        choice = poll.ballots.get(pid)
        if choice is not None and poll_visible(poll, role):
            ballots[str(poll.id)] = list(choice) if isinstance(choice, tuple) else choice
    queue = list(state.queue)
    you.update(
        name=person.name,
        district=person.district,
        banned=person.barred,
        erased=person.erased,
        ballots=ballots,
        upvotes=[q.id for q in state.questions.values() if pid in q.upvoters],
        downvotes=[q.id for q in state.questions.values() if pid in q.downvoters],
        questions=[
            {
                "question_id": q.id,
                "text": q.text,
                "state": q.state,
                "anonymous": q.anonymous,
                "reason": q.reason,
            }
            for q in (state.questions[i] for i in person.questions)
        ],
        answers=[
            {
                "answer_id": a.id,
                "poll_id": a.poll_id,
                "text": a.text,
                "state": a.state,
                "reason": a.reason,
            }
            for a in state.answers.values()
            if a.author == pid
        ],
        speaker={
            "position": queue.index(pid) + 1 if pid in state.queue else None,
            "speaking": state.floor is not None and state.floor.participant_id == pid,
        },
        quiz=quiz.player_score(state, pid),  # None until a quiz they answered is revealed
    )
    return you


def you_frame(state: RoomState, role: Role, participant_id: str | None) -> dict[str, Any]:
    """Everything only this person sees, whole: what a resumed client gets in place of the
    personal frames sent while it was away (they are not kept in the shared resume window)."""
    return {"type": "you", "you": _you(state, role, participant_id)}


def _pending(state: RoomState, lang: str | None = None) -> Iterator[Question]:
    """The pending questions in asking order (only those in `lang` if given), from the
    question index: a page of them costs the page, not the room (rooms/item_index.py)."""
    questions = state.questions
    return (questions[i] for i in state.question_index.pending(lang))


def _queue_head(state: RoomState) -> list[Question]:
    """The first QUEUE_PAGE pending questions, in asking order."""
    return list(islice(_pending(state), QUEUE_PAGE))


def moderation_queue(
    state: RoomState, page: int = 0, lang: str | None = None, size: int = QUEUE_PAGE
) -> dict[str, Any]:
    """One page of the pending questions (asking order; only those in `lang` if given), for
    moderators: `{questions, pending_total, page, pages, first, langs}`. Only the page is
    rendered; the rest is counted, so the cost of a view stays that of one page."""
    index = state.question_index
    total = index.pending_count(lang)
    pages = max(1, -(-total // size))
    page = min(max(page, 0), pages - 1)
    shown = list(islice(_pending(state, lang), page * size, (page + 1) * size))
    return {
        "questions": [question_view(state, q, Role.MODERATOR) for q in shown],
        "pending_total": total,
        "page": page,
        "pages": pages,
        "first": page * size + 1 if shown else 0,
        "langs": index.pending_langs(),
    }


def _listed(state: RoomState, role: Role) -> list[Question]:
    """The questions a snapshot lists: all the role may see, but for moderators only the
    first QUEUE_PAGE of the pending ones (the rest is `pending_total`)."""
    if not is_moderator(role):
        return [q for q in state.questions.values() if question_visible(q, role)]
    allowance = QUEUE_PAGE
    listed: list[Question] = []
    for q in state.questions.values():
        if q.state == "pending":
            if allowance == 0:
                continue
            allowance -= 1
        listed.append(q)
    return listed


def snapshot_view(state: RoomState, role: Role, participant_id: str | None) -> dict[str, Any]:
    """`{"room": ..., "you": ...}` as `role` may see it. Questions are in asking order."""
    room = room_header(state, role)
    room["polls"] = [
        poll_view(state, p, role) for p in state.polls.values() if poll_visible(p, role)
    ]
    room["reactions"] = reactions_view(state)
    room["leaderboard"] = quiz.leaderboard(state)  # revealed quizzes only: public to all
    if role is not Role.EMBED:
        questions = _listed(state, role)
        if role is Role.SCREEN:
            questions.sort(key=lambda q: (-q.score, q.id))
            questions = sorted(questions[:SCREEN_QUESTIONS], key=lambda q: q.id)
        room["questions"] = [question_view(state, q, role) for q in questions]
        room["pinned"] = state.pinned
        room["speaker"] = speaker_view(state, role)
        room["ledger"] = ledger(state)
    if is_moderator(role):
        room["answers"] = [answer_view(a) for a in state.answers.values()]
        room["moderators"] = [
            {"moderator_id": m.id, "name": m.name, "active": m.active}
            for m in state.moderators.values()
        ]
        room["banned"] = [participant_view(p) for p in state.participants.values() if p.banned]
        room["bans"] = content_bans(state)
        room["audit"] = [e.to_dict() for e in state.audit]
        room["pending_total"] = state.question_index.pending_count()
    return {"room": room, "you": _you(state, role, participant_id)}


class _Touched:
    __slots__ = ("ballot", "last", "other", "types")

    def __init__(self) -> None:
        self.last = ""
        self.other = ""  # the last non-ballot type (polls)
        self.ballot = False
        self.types: set[str] = set()


def _coalesce(changes: Sequence[Change]) -> dict[tuple[str, int | str | None], _Touched]:
    touched: dict[tuple[str, int | str | None], _Touched] = {}
    for c in changes:
        k = (c.kind, c.key)
        t = touched.get(k)
        if t is None:
            t = touched[k] = _Touched()
        t.last = c.type
        t.types.add(c.type)
        if c.type == _BALLOT:
            t.ballot = True
        else:
            t.other = c.type
    return touched


def view_frames(state: RoomState, role: Role, changes: Sequence[Change]) -> list[dict[str, Any]]:
    """One frame per touched item, as `role` sees it now (see the module docstring)."""
    mod = is_moderator(role)
    embed = role is Role.EMBED
    frames: list[dict[str, Any]] = []
    once: set[str] = set()
    head: set[int] | None = None  # ids of the queue's first page, computed when needed
    queue_moved = False

    def singleton(name: str, frame: dict[str, Any]) -> None:
        if name not in once:
            once.add(name)
            frames.append(frame)

    for (kind, key), t in _coalesce(changes).items():
        if kind == "poll":
            poll = state.polls.get(key) if isinstance(key, int) else None
            if poll is None:
                continue
            if poll.defn.correct is not None and (poll.revealed or t.types & _UNSCORED):
                board = {"type": "quiz.leaderboard", "leaderboard": quiz.leaderboard(state)}
                singleton("leaderboard", board)
            if not poll_visible(poll, role):
                if poll.deleted and (mod or poll.was_public):
                    frames.append({"type": "poll.removed", "poll_id": poll.id})
            elif t.other:
                frames.append({"type": t.other, "poll": poll_view(state, poll, role)})
            elif results_visible(poll, role):
                frames.append(
                    {"type": "poll.tally", "poll_id": poll.id, "results": poll_results(state, poll)}
                )
        elif kind == "reactions":
            singleton("reactions", {"type": "reaction.counts", **reactions_view(state)})
        elif kind == "screen":  # every view, the overlay too: it may follow the big screen
            frames.append({"type": t.last, "room": room_header(state, role)})
        elif embed:
            # The overlay's frames carry results and reactions only; when what it follows on
            # the big screen (a question, the speaker) changes, it hears only that it did.
            if _moves_screen(state, kind, key, t.types):
                singleton("screen", {"type": "screen.shown", "room": room_header(state, role)})
            continue
        elif kind == "question":
            q = state.questions.get(key) if isinstance(key, int) else None
            if q is None:
                continue
            if mod and (q.state == "pending" or t.types & _LEDGER_TYPES):
                queue_moved = True
            if mod and q.state == "pending":
                # Beyond the first page, a pending question is only counted: a flood of
                # asks must not become a flood of frames to every moderator.
                if head is None:
                    head = {h.id for h in _queue_head(state)}
                if q.id in head:
                    frames.append({"type": t.last, "question": question_view(state, q, role)})
            elif question_visible(q, role):
                frames.append({"type": t.last, "question": question_view(state, q, role)})
            elif q.was_public:
                frames.append({"type": "question.removed", "question_id": q.id})
            if t.types & _LEDGER_TYPES:
                singleton("ledger", {"type": "moderation.ledger", "ledger": ledger(state)})
        elif kind == "answer":
            if mod:
                a = state.answers.get(key) if isinstance(key, int) else None
                if a is None:
                    frames.append({"type": "answer.removed", "answer_id": key})
                else:
                    frames.append({"type": t.last, "answer": answer_view(a)})
            singleton("ledger", {"type": "moderation.ledger", "ledger": ledger(state)})
        elif kind == "speaker":
            singleton("speaker", {"type": "speaker.queue", **speaker_view(state, role)})
        elif kind == "participant":
            singleton(
                "participants",
                {"type": "room.participants", "count": len(state.participants)},
            )
            person = state.participants.get(str(key))
            if mod and person is not None and t.types - {"participant.joined"}:
                frames.append({"type": t.last, "participant": participant_view(person)})
        elif kind == "ban" and mod:  # a content ban: its id and content, never its person
            ban_id = f"b{key}"
            frames.append({"type": t.last, "ban_id": ban_id, "ban": content_ban(state, ban_id)})
        elif kind == "room":
            frames.append({"type": t.last, "room": room_header(state, role)})
        elif kind == "moderation":
            if mod and isinstance(key, int) and key < len(state.audit):
                frames.append({"type": "audit.entry", "entry": state.audit[key].to_dict()})
        elif kind == "moderator" and mod:
            m = state.moderators.get(str(key))
            if m is not None:
                frames.append(
                    {
                        "type": t.last,
                        "moderator": {"moderator_id": m.id, "name": m.name, "active": m.active},
                    }
                )
    if queue_moved:
        frames.append(_queue_frame(state))
    return frames


# What moves the pin (answering a pinned question unpins it: rooms/question_ops.py touches
# "question.unpinned" then), and with it what the screen shows by itself.
_PIN_MOVES = frozenset({"question.pinned", "question.unpinned"})

_FLOOR_MOVES = frozenset({"speaker.called", "speaker.finished", "participant.banned"})


def _moves_screen(state: RoomState, kind: str, key: int | str | None, types: set[str]) -> bool:
    if kind == "speaker":
        return shown(state).target == "speaker" or bool(types & _FLOOR_MOVES)
    if kind == "question":
        now = shown(state)
        return bool(types & _PIN_MOVES) or (now.target == "question" and now.target_id == key)
    return False


def _queue_frame(state: RoomState) -> dict[str, Any]:
    """The moderators' queue in one bounded frame: its first page whole (replace your copy
    of the pending questions with it) and how many wait in all."""
    head = _queue_head(state)
    return {
        "type": "moderation.queue",
        "questions": [question_view(state, q, Role.MODERATOR) for q in head],
        "pending_total": state.question_index.pending_count(),
    }


def _quiz_scored(state: RoomState, poll_id: int) -> list[tuple[str, dict[str, Any]]]:
    """When a quiz is revealed, each of its players hears what they scored on it."""
    poll = state.polls.get(poll_id)
    if poll is None or poll.defn.correct is None or not poll.revealed:
        return []
    totals = quiz.scores(state)
    return [
        (
            key,
            {
                "type": "quiz.scored",
                "poll_id": poll.id,
                "points": quiz.points(poll, key),
                "total": totals[key].points,
            },
        )
        for key in poll.ballots
    ]


def personal_frames(
    state: RoomState, changes: Sequence[Change]
) -> list[tuple[str, dict[str, Any]]]:
    """(participant_id, frame) for facts only that person may see."""
    out: list[tuple[str, dict[str, Any]]] = []
    queue_moved = False
    for (kind, key), t in _coalesce(changes).items():
        if kind == "poll" and isinstance(key, int) and "poll.revealed" in t.types:
            out.extend(_quiz_scored(state, key))
        if kind == "question" and isinstance(key, int) and t.types & _PERSONAL_QUESTION:
            q = state.questions.get(key)
            if q is not None:
                out.append(
                    (
                        q.author,
                        {
                            "type": t.last,
                            "question_id": q.id,
                            "state": q.state,
                            "text": q.text,
                            "reason": q.reason,
                        },
                    )
                )
        elif kind == "answer" and isinstance(key, int) and t.types & _PERSONAL_ANSWER:
            a = state.answers.get(key)
            if a is not None:
                out.append(
                    (
                        a.author,
                        {
                            "type": t.last,
                            "answer_id": a.id,
                            "poll_id": a.poll_id,
                            "state": a.state,
                            "text": a.text,
                            "reason": a.reason,
                        },
                    )
                )
        elif kind == "speaker":
            queue_moved = True
            floor = state.floor
            if "speaker.called" in t.types and floor is not None and floor.participant_id == key:
                out.append(
                    (
                        floor.participant_id,
                        {
                            "type": "speaker.called",
                            "topic": floor.topic,
                            "since": floor.since,
                            "time_limit_s": floor.time_limit_s,
                        },
                    )
                )
            elif "speaker.skipped" in t.types and isinstance(key, str):
                out.append((key, {"type": "speaker.skipped"}))
        elif (
            kind in ("participant", "barred")
            and "participant.banned" in t.types
            and isinstance(key, str)
        ):
            person = state.participants.get(key)
            if person is not None and person.barred:
                out.append((key, {"type": "participant.banned", "reason": person.barred_reason}))
    if queue_moved:
        # Everyone still waiting may have moved up: tell each their place.
        for position, pid in enumerate(state.queue, start=1):
            out.append((pid, {"type": "speaker.position", "position": position}))
    return out
