"""Poll kinds as one table: everything that differs between kinds, one row each.

A row says whether the kind has options, and holds its functions: its own definition
settings, reading a ballot into its canonical form, its tally (fresh, and counting one
ballot in or out), its public results; and, from rooms/poll_formats.py, its export columns
and rows, a ballot as people read it, and a ballot from the pages' HTML form.
`rooms/polls.py`, the exports and the pages read the row; nothing switches on a kind's
name. Adding a kind is one row in `KINDS` plus its functions.

Canonical ballots (what `decide` stores, so `apply` and the tally never see wire quirks):

    single    int index                    multiple  sorted tuple of distinct indexes
    rating    int 1..scale                 ranking   tuple: every index once, best first
    wordcloud tuple of normalised words    budget    tuple: amount per option
    open      the answer text (str)       quiz      int index (rooms/quiz.py scores it)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from moderation.filters import Verdict, normalise
from rooms.errors import CommandError
from rooms.events import Choice
from rooms.fields import is_int, str_list
from rooms.forms import Form
from rooms.poll_formats import (
    PER_OPTION,
    QUIZ_COLUMNS,
    TimeFormat,
    answer_rows,
    form_amounts,
    form_checked,
    form_number,
    form_ranks,
    form_text,
    joined,
    label_amounts,
    label_as_is,
    label_option,
    label_words,
    option_rows,
    point_rows,
    quiz_rows,
    ranked_words,
    value_rows,
    word_rows,
)
from rooms.quiz import quiz_settings
from rooms.state import Poll, PollDef, RoomState, Tally

__all__ = ["KINDS", "WORD_MAX", "Answers", "Kind", "Reading", "Screen", "Settings"]

WORD_MAX = 40
MAX_BUDGET = 10**9
WORDS_SHOWN = 200  # a word cloud's results list the most frequent words only

Answers = list[dict[str, Any]]  # an open poll's approved answers, as results show them
Screen = Callable[[str], Verdict]  # what the room's filters say about a text


# What a ballot that no filter reads was found to hold: nothing. Built once; a fresh one per
# ballot (a default_factory) was a measurable part of deciding a vote.
NO_VERDICT = Verdict()


@dataclass(frozen=True, slots=True)
class Reading:
    """A ballot read: its canonical choice, and for texts what the filters found."""

    choice: Choice
    verdict: Verdict = NO_VERDICT  # one shared instance: a Verdict is immutable
    held: tuple[str, ...] = ()  # wordcloud words kept out of the count until reviewed


@dataclass(frozen=True, slots=True)
class Settings:
    """A kind's own definition fields: as given in the op, else kept from the poll being
    edited (when its kind is unchanged), else the default."""

    fields: Mapping[str, Any]
    inherit: PollDef | None

    def integer(self, name: str, lo: int, hi: int, default: int) -> int:
        value = self.fields.get(name)
        if value is None:
            value = getattr(self.inherit, name) if self.inherit is not None else default
        if not is_int(value) or not lo <= value <= hi:
            raise _invalid(f"{name} must be an integer in {lo}..{hi}")
        return int(value)

    def given(self, name: str) -> Any:
        """The field as given (an explicit null included), else the inherited value."""
        inherited = getattr(self.inherit, name) if self.inherit is not None else None
        return self.fields.get(name, inherited)


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    options: bool  # the definition lists options (2..MAX_OPTIONS, distinct)
    settings: Callable[[PollDef, Settings], PollDef]  # the kind's own fields, validated
    read: Callable[[PollDef, object, Screen], Reading]  # a wire ballot, screened if text
    fresh: Callable[[PollDef], Tally]
    count: Callable[[Tally, PollDef, Choice, int], None]  # add (+1) or remove (-1) a ballot
    results: Callable[[Tally, Answers | None], dict[str, Any]]  # beside "voters"
    columns: tuple[str, ...]  # the results export's header
    rows: Callable[[RoomState, Poll, TimeFormat], list[list[object]]]  # ... and rows
    label: Callable[[PollDef, Choice], str]  # a ballot as people read it (ballots export)
    form: Callable[[Form, PollDef], Any]  # a ballot from the pages' HTML form
    # Ballots are free texts moderated like questions: results list the approved ones, and
    # they are exported with the results, never as anonymous ballots (a text can name its
    # author).
    answers: bool = False
    # Ballots hold text the room's filters read (language, flags); what they hold waits for
    # review as an answer item (the whole text, or a word cloud's held words).
    screened: bool = False
    # Ballots earn points (rooms/quiz.py): their definition holds the correct options, sealed
    # until the results are revealed, and each ballot's time is kept; no votes once revealed.
    scored: bool = False
    # What one ballot key covers in the public record (rooms/privacy.py): "poll" (a secret
    # ballot: keys link neither across polls nor to the person) or "room" (a game whose
    # scores add up across its polls: one key per player for every poll of the kind).
    ballot_scope: str = "poll"


def _invalid(why: str) -> CommandError:
    return CommandError("poll.invalid", why)


def _bad_choice(why: str) -> CommandError:
    return CommandError("vote.invalid_choice", why)


# -- definition settings ------------------------------------------------------------------------


def _none(d: PollDef, s: Settings) -> PollDef:
    return d


def _max_selections(d: PollDef, s: Settings) -> PollDef:
    n = len(d.options)
    return replace(d, max_selections=s.integer("max_selections", 1, n, n))


def _scale(d: PollDef, s: Settings) -> PollDef:
    return replace(d, scale=s.integer("scale", 2, 10, 5))


def _max_words(d: PollDef, s: Settings) -> PollDef:
    return replace(d, max_words=s.integer("max_words", 1, 10, 3))


def _budget(d: PollDef, s: Settings) -> PollDef:
    total = s.integer("total", 1, MAX_BUDGET, 100)
    caps = s.given("caps")
    if caps is not None:
        if (
            not isinstance(caps, list | tuple)
            or len(caps) != len(d.options)
            or not all(is_int(c) and 0 <= c <= total for c in caps)
        ):
            raise _invalid("caps must be one integer in 0..total per option")
        caps = tuple(caps)
    return replace(d, total=total, caps=caps)


# -- reading a ballot ---------------------------------------------------------------------------


def _index(value: object, n: int) -> int:
    if not is_int(value) or not 0 <= value < n:
        raise _bad_choice(f"an option index must be an integer in 0..{n - 1}")
    return value


def _index_list(value: object, n: int) -> list[int]:
    if not isinstance(value, list | tuple) or len(value) > n:
        raise _bad_choice("expected a list of option indexes")
    indexes = [_index(v, n) for v in value]
    if len(set(indexes)) != len(indexes):
        raise _bad_choice("an option appears twice")
    return indexes


def _read_single(d: PollDef, raw: object, screen: Screen) -> Reading:
    return Reading(_index(raw, len(d.options)))


def _read_multiple(d: PollDef, raw: object, screen: Screen) -> Reading:
    picked = _index_list(raw, len(d.options))
    if not 1 <= len(picked) <= d.max_selections:
        raise _bad_choice(f"pick 1..{d.max_selections} options")
    return Reading(tuple(sorted(picked)))


def _read_rating(d: PollDef, raw: object, screen: Screen) -> Reading:
    if not is_int(raw) or not 1 <= raw <= d.scale:
        raise _bad_choice(f"a rating is an integer in 1..{d.scale}")
    return Reading(raw)


def _read_ranking(d: PollDef, raw: object, screen: Screen) -> Reading:
    order = _index_list(raw, len(d.options))
    if len(order) != len(d.options):
        raise _bad_choice("rank every option exactly once")
    return Reading(tuple(order))


def _budget_key(key: object, n: int) -> int:
    # JSON object keys are strings: accept "3" as well as 3 (msgpack), nothing fancier.
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 3:
        key = int(key)
    return _index(key, n)


def _read_budget(d: PollDef, raw: object, screen: Screen) -> Reading:
    if not isinstance(raw, Mapping):
        raise _bad_choice("a budget ballot is {option index: amount}")
    amounts = [0] * len(d.options)
    for key, amount in raw.items():
        i = _budget_key(key, len(d.options))
        cap = d.caps[i] if d.caps is not None else d.total
        if not is_int(amount) or not 0 <= amount <= cap:
            raise _bad_choice(f"option {i} takes an integer amount in 0..{cap}")
        amounts[i] = int(amount)
    if sum(amounts) > d.total:
        raise _bad_choice(f"allocate at most {d.total} in all")
    return Reading(tuple(amounts))


def _read_words(d: PollDef, raw: object, screen: Screen) -> Reading:
    """Words, each entry screened as typed (so that a phrase is seen whole); the words of an
    entry whose flags hold it are held for review, the others count at once. A mild flag does
    not hold a word, as it does not hold a question: read alone, in no known language, one
    civic word in fifty trips some language's mild list (docs/MODERATION.md)."""
    entries = [raw] if isinstance(raw, str) else raw
    texts = str_list(entries, "choice", max_items=d.max_words)
    found: list[str] = []
    held: list[str] = []
    flags: set[str] = set()
    terms: set[str] = set()
    for text in texts:
        entry = normalise(text).split()
        for word in entry:
            if len(word) > WORD_MAX:
                raise CommandError("text.too_long", f"words are at most {WORD_MAX} letters")
        verdict = screen(text)
        flags.update(verdict.flags)
        terms.update(verdict.terms)
        tripped: set[str] = set()
        if verdict.holds:  # the words that trip alone, or all of them for a phrase or a link
            tripped = {w for w in entry if screen(w).holds} or set(entry)
        for word in entry:
            bucket = held if word in tripped else found
            if word not in bucket:
                bucket.append(word)
    if not found and not held:
        raise CommandError("text.empty")
    if len(found) > d.max_words:
        raise _bad_choice(f"at most {d.max_words} words")
    verdict = Verdict(tuple(sorted(flags)), tuple(sorted(terms)))
    return Reading(tuple(found), verdict, tuple(held))


def _read_text(d: PollDef, raw: object, screen: Screen) -> Reading:
    # The answer's text; limits as for questions are applied by the caller.
    if not isinstance(raw, str):
        raise _bad_choice("an open answer is a text")
    return Reading(raw, screen(raw))


# -- tallies: `choice` is in its kind's canonical form, so casts, not checks (every vote) -------


def _per_option(d: PollDef) -> Tally:
    return Tally(counts=[0] * len(d.options))


def _per_value(d: PollDef) -> Tally:
    return Tally(counts=[0] * d.scale)


def _points(d: PollDef) -> Tally:
    return Tally(points=[0] * len(d.options))


def _empty(d: PollDef) -> Tally:
    return Tally()


def _count_single(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    t.counts[cast(int, choice)] += sign


def _count_multiple(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    for i in cast(tuple[int, ...], choice):
        t.counts[i] += sign


def _count_rating(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    value = cast(int, choice)
    t.counts[value - 1] += sign
    t.total += sign * value


def _count_ranking(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    last = len(d.options) - 1  # Borda: n-1 points for the first, ... 0 for the last
    for pos, ranked in enumerate(cast(tuple[int, ...], choice)):
        t.points[ranked] += sign * (last - pos)


def _count_budget(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    for index, amount in enumerate(cast(tuple[int, ...], choice)):
        t.points[index] += sign * amount


def _count_words(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    for word in cast(tuple[str, ...], choice):
        left = t.words.get(word, 0) + sign
        if left:
            t.words[word] = left
        else:
            del t.words[word]  # a derived count of zero is no word at all


def _count_nothing(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    return None  # open answers are listed, not counted (beyond voters)


# -- results: fresh lists, frames never alias state ---------------------------------------------


def _counts(t: Tally, answers: Answers | None) -> dict[str, Any]:
    return {"counts": list(t.counts)}


def _counts_average(t: Tally, answers: Answers | None) -> dict[str, Any]:
    return {
        "counts": list(t.counts),
        "average": round(t.total / t.voters, 2) if t.voters else None,
    }


def _points_results(t: Tally, answers: Answers | None) -> dict[str, Any]:
    return {"points": list(t.points)}


def _words_results(t: Tally, answers: Answers | None) -> dict[str, Any]:
    return {"words": dict(ranked_words(t)[:WORDS_SHOWN])}


def _answers(t: Tally, answers: Answers | None) -> dict[str, Any]:
    return {"answers": answers or []}


# -- the table ----------------------------------------------------------------------------------

KINDS: Mapping[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "single",
            options=True,
            settings=_none,
            read=_read_single,
            fresh=_per_option,
            count=_count_single,
            results=_counts,
            columns=PER_OPTION,
            rows=option_rows,
            label=label_option,
            form=form_number,
        ),
        Kind(
            "multiple",
            options=True,
            settings=_max_selections,
            read=_read_multiple,
            fresh=_per_option,
            count=_count_multiple,
            results=_counts,
            columns=PER_OPTION,
            rows=option_rows,
            label=joined("; "),
            form=form_checked,
        ),
        Kind(
            "rating",
            options=False,
            settings=_scale,
            read=_read_rating,
            fresh=_per_value,
            count=_count_rating,
            results=_counts_average,
            columns=("value", "votes", "percent_of_voters"),
            rows=value_rows,
            label=label_as_is,
            form=form_number,
        ),
        Kind(
            "wordcloud",
            options=False,
            settings=_max_words,
            read=_read_words,
            fresh=_empty,
            count=_count_words,
            results=_words_results,
            columns=("word", "count"),
            rows=word_rows,
            label=label_words,
            form=form_text,
            screened=True,
        ),
        Kind(
            "open",
            options=False,
            settings=_none,
            read=_read_text,
            fresh=_empty,
            count=_count_nothing,
            results=_answers,
            columns=("answer_id", "at", "state", "text", "reason"),
            rows=answer_rows,
            label=label_as_is,
            form=form_text,
            answers=True,
            screened=True,
        ),
        Kind(
            "ranking",
            options=True,
            settings=_none,
            read=_read_ranking,
            fresh=_points,
            count=_count_ranking,
            results=_points_results,
            columns=("option_index", "option", "points"),
            rows=point_rows,
            label=joined(" > "),
            form=form_ranks,
        ),
        Kind(
            "budget",
            options=True,
            settings=_budget,
            read=_read_budget,
            fresh=_points,
            count=_count_budget,
            results=_points_results,
            columns=("option_index", "option", "amount"),
            rows=point_rows,
            label=label_amounts,
            form=form_amounts,
        ),
        Kind(
            "quiz",
            options=True,
            settings=quiz_settings,
            read=_read_single,
            fresh=_per_option,
            count=_count_single,
            results=_counts,
            columns=QUIZ_COLUMNS,
            rows=quiz_rows,
            label=label_option,
            form=form_number,
            scored=True,
            ballot_scope="room",
        ),
    )
}
