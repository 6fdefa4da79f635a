"""Quiz polls: correct options set at creation, points for being right and quick, and a
leaderboard over the room's revealed quizzes. Pure: every time comes from a record's `at`.

The rule (docs/ENGINE.md "Quiz"): a ballot on a right option earns 1000 points if cast the
instant the poll opened, falling linearly to 500 at the end of the poll's window, and 500
after it; a wrong ballot or none earns 0. The window is the poll's own timer when it was
first opened with one (`closes_at - opened_at`), else its `window_s` (default 20 s). A
changed ballot counts from when it was changed. Scores exist once the poll is revealed: until
then the correct options are sealed (rooms/render.py shows them only with the results), and
once revealed nobody may vote on it any more.

A player is the key their ballots are stored under (`Poll.ballots`): today the participant
id; a quiz's `ballot_scope` is "room" so one player's answers add up across the room's
quizzes. The leaderboard shows the name they gave, or a pseudonym tag derived from the room
code and that key (never the key itself).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from rooms.errors import CommandError
from rooms.fields import is_int
from rooms.state import Poll, PollDef, RoomState

__all__ = [
    "BOARD_SIZE",
    "MAX_POINTS",
    "MIN_POINTS",
    "Fields",
    "Score",
    "leaderboard",
    "player_score",
    "points",
    "pseudonym",
    "quiz_settings",
    "scored_polls",
    "scores",
    "sealed_quizzes",
    "window_ms",
]

MAX_POINTS = 1000  # right at the opening instant
MIN_POINTS = 500  # right, at or after the end of the window
DEFAULT_WINDOW_S = 20
BOARD_SIZE = 10  # players the views list
_TAG_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud from a screen
_TAG_LENGTH = 5  # 25 bits


class Fields(Protocol):
    """What a kind's settings read (rooms.poll_kinds.Settings is one)."""

    def integer(self, name: str, lo: int, hi: int, default: int) -> int: ...
    def given(self, name: str) -> Any: ...


def quiz_settings(d: PollDef, fields: Fields) -> PollDef:
    """The quiz's own fields: `correct` (one or more option indexes, not all of them) and
    `window_s` (5..3600)."""
    n = len(d.options)
    raw = fields.given("correct")
    if raw is None:
        raise CommandError("field.missing", "correct is required for a quiz")
    if is_int(raw):
        raw = [raw]
    if (
        not isinstance(raw, list | tuple)
        or not raw
        or not all(is_int(i) and 0 <= i < n for i in raw)
        or len(set(raw)) != len(raw)
    ):
        raise CommandError("poll.invalid", f"correct lists distinct option indexes, 0..{n - 1}")
    if len(raw) == n:
        raise CommandError("poll.invalid", "at least one option must be wrong")
    window = fields.integer("window_s", 5, 3600, DEFAULT_WINDOW_S)
    return replace(d, correct=tuple(sorted(int(i) for i in raw)), window_s=window)


def window_ms(poll: Poll, opened_at: int, closes_at: int | None) -> int:
    """The span over which points fall, fixed when the poll first opens."""
    if closes_at is not None and closes_at > opened_at:
        return closes_at - opened_at
    return max(poll.defn.window_s, 1) * 1000


def points(poll: Poll, key: str) -> int:
    """What `key`'s current ballot on `poll` earns (0 if wrong or absent)."""
    choice = poll.ballots.get(key)
    correct = poll.defn.correct or ()
    if choice is None or choice not in correct or poll.opened_at is None:
        return 0
    window = max(poll.window_ms, 1)
    elapsed = min(max(poll.cast_at.get(key, poll.opened_at) - poll.opened_at, 0), window)
    span = MAX_POINTS - MIN_POINTS
    return MIN_POINTS + (span * (window - elapsed)) // window


def scored_polls(state: RoomState) -> Iterator[Poll]:
    """The room's quizzes whose answers are out: the ones that count. (A definition holds
    correct options only when its kind is scored: rooms.poll_kinds.KINDS.)"""
    for poll in state.polls.values():
        if poll.revealed and not poll.deleted and poll.defn.correct is not None:
            yield poll


def sealed_quizzes(state: RoomState) -> list[int]:
    """Quizzes whose right options are still secret: not revealed, not deleted. While any
    is, the transcript (which holds them in poll.created) is for staff only."""
    return [
        p.id
        for p in state.polls.values()
        if p.defn.correct is not None and not p.revealed and not p.deleted
    ]


@dataclass(slots=True)
class Score:
    key: str
    points: int = 0
    right: int = 0
    answered: int = 0
    time_ms: int = 0  # total time to answer: breaks ties between equal points


def scores(state: RoomState) -> dict[str, Score]:
    """Every player's totals over the revealed quizzes, derived from the ballots each time
    (`points`, inlined: this runs over every quiz ballot of the room)."""
    out: dict[str, Score] = {}
    span = MAX_POINTS - MIN_POINTS
    for poll in scored_polls(state):
        right = frozenset(poll.defn.correct or ())
        opened = poll.opened_at
        window = max(poll.window_ms, 1)
        cast_at = poll.cast_at
        for key, choice in poll.ballots.items():
            s = out.get(key)
            if s is None:
                s = out[key] = Score(key)
            s.answered += 1
            if opened is None:
                continue
            elapsed = max(cast_at.get(key, opened) - opened, 0)
            s.time_ms += elapsed
            if choice in right:
                s.points += MIN_POINTS + (span * (window - min(elapsed, window))) // window
                s.right += 1
    return out


def pseudonym(room: str, key: str) -> str:
    """A stable tag for a player who gave no name: the same in every quiz of the room, not
    the same across rooms, and not the key (25 bits of a hash of room and key)."""
    digest = hashlib.sha256(f"quiz-player\0{room}\0{key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(_TAG_LENGTH):
        number, index = divmod(number, len(_TAG_ALPHABET))
        chars.append(_TAG_ALPHABET[index])
    return "".join(chars)


def _ranking(state: RoomState) -> list[tuple[Score, str]]:
    """Every player's totals, best first, with their tag. Derived from the ballots, and kept
    in `state.derived` for as long as the revealed quizzes and their ballots stay the same
    (every snapshot carries the leaderboard: joining must not recount every quiz)."""
    polls = list(scored_polls(state))
    key = tuple((p.id, p.ballots_seq) for p in polls)
    kept = state.derived.get("quiz")
    if kept is not None and kept[0] == key:
        return kept[1]  # type: ignore[no-any-return]
    table = scores(state)
    tags = {k: pseudonym(state.code, k) for k in table}
    ranked = sorted(table.values(), key=lambda s: (-s.points, s.time_ms, tags[s.key]))
    out = [(s, tags[s.key]) for s in ranked]
    state.derived["quiz"] = (key, out)
    return out


def leaderboard(state: RoomState, size: int = BOARD_SIZE) -> list[dict[str, Any]]:
    """The top `size` players: `{rank, name, tag, points, right, answered}`; equal points
    share a rank. `name` is what the player gave when joining (None: anonymous, shown by
    `tag`). Ties are ordered by total answering time, then tag: deterministic."""
    board: list[dict[str, Any]] = []
    rank = 0
    last: int | None = None
    for place, (s, tag) in enumerate(_ranking(state)[:size], start=1):
        if s.points != last:
            rank, last = place, s.points
        person = state.participants.get(s.key)
        name = person.name if person is not None else None
        board.append(
            {
                "rank": rank,
                "name": name,
                "tag": None if name else tag,
                "points": s.points,
                "right": s.right,
                "answered": s.answered,
            }
        )
    return board


def player_score(state: RoomState, key: str) -> dict[str, Any] | None:
    """One player's own points: `{points, polls: {poll_id: points}}`, None before any
    revealed quiz they answered."""
    polls = {str(p.id): points(p, key) for p in scored_polls(state) if key in p.ballots}
    if not polls:
        return None
    return {"points": sum(polls.values()), "polls": polls}
