"""How each poll kind looks outside the engine: its results export, its ballots as people
read them, its ballot from the pages' HTML form. Rows of rooms/poll_kinds.KINDS name these.

Pure: the export's clock format comes in as `when`, and forms are read through `Form`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rooms.events import Choice
from rooms.forms import Form, form_int
from rooms.state import Poll, PollDef, RoomState, Tally

__all__ = [
    "PER_OPTION",
    "QUIZ_COLUMNS",
    "TimeFormat",
    "answer_rows",
    "form_amounts",
    "form_checked",
    "form_number",
    "form_ranks",
    "form_text",
    "joined",
    "label_amounts",
    "label_as_is",
    "label_option",
    "label_words",
    "option_rows",
    "point_rows",
    "quiz_rows",
    "ranked_words",
    "value_rows",
    "word_rows",
]

TimeFormat = Callable[[int | None], str]  # ms since the epoch as the export writes it


def ranked_words(t: Tally) -> list[tuple[str, int]]:
    """A word cloud's words, most frequent first (ties alphabetical)."""
    return sorted(t.words.items(), key=lambda kv: (-kv[1], kv[0]))


# -- the results export -------------------------------------------------------------------------

PER_OPTION = ("option_index", "option", "votes", "percent_of_voters")


def _percent(t: Tally, n: int) -> float:
    return round(100 * n / t.voters, 1) if t.voters else 0.0


def _voters(t: Tally) -> list[object]:
    return ["voters", "", t.voters]


def option_rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    t = poll.tally
    rows: list[list[object]] = [
        [i, label, t.counts[i], _percent(t, t.counts[i])]
        for i, label in enumerate(poll.defn.options)
    ]
    return [*rows, _voters(t)]


QUIZ_COLUMNS = (*PER_OPTION, "correct")


def quiz_rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    """Per option as for a single-choice poll, with whether it was a right answer."""
    right = poll.defn.correct or ()
    rows = option_rows(state, poll, when)
    return [[*row, row[0] in right] for row in rows[:-1]] + [rows[-1]]


def value_rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    t = poll.tally
    rows: list[list[object]] = [[v + 1, n, _percent(t, n)] for v, n in enumerate(t.counts)]
    return [*rows, _voters(t)]


def point_rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    t = poll.tally
    rows: list[list[object]] = [
        [i, label, t.points[i]] for i, label in enumerate(poll.defn.options)
    ]
    return [*rows, _voters(t)]


def word_rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    t = poll.tally
    return [*([w, n] for w, n in ranked_words(t)), ["voters", t.voters]]


def answer_rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    # The answers, moderated like questions, without their authors.
    answers = (state.answers[i] for i in poll.answer_ids)
    rows: list[list[object]] = [
        [a.id, when(a.at), a.state, a.text, a.reason or ""] for a in answers
    ]
    return [*rows, _voters(poll.tally)]


# -- a ballot as people read it -----------------------------------------------------------------


def _option(d: PollDef, i: object) -> str:
    return d.options[i] if isinstance(i, int) and 0 <= i < len(d.options) else str(i)


def label_option(d: PollDef, choice: Choice) -> str:
    return _option(d, choice)


def joined(sep: str) -> Callable[[PollDef, Choice], str]:
    def label(d: PollDef, choice: Choice) -> str:
        if not isinstance(choice, tuple):
            return str(choice)
        return sep.join(_option(d, i) for i in choice)

    return label


def label_amounts(d: PollDef, choice: Choice) -> str:
    if not isinstance(choice, tuple):
        return str(choice)
    return "; ".join(f"{_option(d, i)}={amount}" for i, amount in enumerate(choice))


def label_words(d: PollDef, choice: Choice) -> str:
    return " ".join(str(w) for w in choice) if isinstance(choice, tuple) else str(choice)


def label_as_is(d: PollDef, choice: Choice) -> str:
    return str(choice)


# -- a ballot from the pages' form --------------------------------------------------------------


def form_number(form: Form, d: PollDef) -> Any:
    raw = form.get("choice")
    return form_int(raw) if isinstance(raw, str) else None


def form_checked(form: Form, d: PollDef) -> Any:
    return [form_int(v) for v in form.getlist("choice") if isinstance(v, str)]


def form_ranks(form: Form, d: PollDef) -> Any:
    # One "rank_<option>" select per option; the ballot lists options best first.
    n = len(d.options)
    ranks: list[tuple[int | str, int]] = []
    for i in range(n):
        raw = form.get(f"rank_{i}")
        ranks.append((form_int(raw) if isinstance(raw, str) else "", i))
    if any(not isinstance(r, int) for r, _ in ranks) or len({r for r, _ in ranks}) != n:
        return ["?"]  # not a full order: let the engine refuse it with its own message
    return [i for _, i in sorted(ranks, key=lambda pair: pair[0])]


def form_amounts(form: Form, d: PollDef) -> Any:
    amounts: dict[str, Any] = {}
    for i in range(len(d.options)):
        raw = form.get(f"amount_{i}")
        if isinstance(raw, str) and raw.strip():
            amounts[str(i)] = form_int(raw)
    return amounts


def form_text(form: Form, d: PollDef) -> Any:
    return form.get("choice")  # the text itself
