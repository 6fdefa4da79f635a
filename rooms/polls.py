"""Poll kinds as data: how a definition is validated, how a ballot is read, how it counts.

Ballots are normalised in `decide` (`read_choice`) to one canonical form per kind, so that
`apply` and the tally never see wire quirks:

    single    int index                    multiple  sorted tuple of distinct indexes
    rating    int 1..scale                 ranking   tuple: every index once, best first
    wordcloud tuple of normalised words    budget    tuple: amount per option
    open      the answer text (str)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

from moderation.filters import Verdict, normalise
from rooms.errors import CommandError
from rooms.events import Choice
from rooms.fields import MAX_ID, clean_line, clean_text, is_int, str_list
from rooms.state import Poll, PollDef, Tally

__all__ = [
    "KINDS",
    "Reading",
    "apply_ballot",
    "parse_definition",
    "read_choice",
    "recount",
    "results",
]

KINDS = ("single", "multiple", "rating", "wordcloud", "open", "ranking", "budget")
_WITH_OPTIONS = frozenset({"single", "multiple", "ranking", "budget"})
MAX_OPTIONS = 50
OPTION_MAX = 200
QUESTION_MAX = 500
WORD_MAX = 40
MAX_BUDGET = 10**9
WORDS_SHOWN = 200  # a word cloud's results list the most frequent words only


def _invalid(why: str) -> CommandError:
    return CommandError("poll.invalid", why)


def parse_definition(fields: Mapping[str, Any], base: PollDef | None) -> PollDef:
    """A complete, valid definition from `fields`, starting from `base` (poll.edit) if any."""
    kind = fields.get("kind", base.kind if base else None)
    if kind is None:
        raise CommandError("field.missing", "kind is required")
    if kind not in KINDS:
        raise _invalid(f"kind must be one of {', '.join(KINDS)}")
    question = fields.get("question", base.question if base else None)
    if question is None:
        raise CommandError("field.missing", "question is required")
    if not isinstance(question, str):
        raise CommandError("field.invalid", "question must be a string")
    question = clean_text(question, QUESTION_MAX)
    d = PollDef(kind=kind, question=question)
    if kind in _WITH_OPTIONS:
        raw = fields.get("options", base.options if base else None)
        if raw is None:
            raise CommandError("field.missing", "options are required for this kind")
        options = tuple(clean_line(o, OPTION_MAX) for o in str_list(raw, "options", max_items=99))
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise _invalid(f"a {kind} poll needs 2..{MAX_OPTIONS} options")
        if len(set(options)) != len(options):
            raise _invalid("options must differ")
        d = replace(d, options=options)
    n = len(d.options)
    inherit = base if base is not None and base.kind == kind else None

    def setting(name: str, lo: int, hi: int, default: int) -> int:
        value = fields.get(name)
        if value is None:
            value = getattr(inherit, name) if inherit is not None else default
        if not is_int(value) or not lo <= value <= hi:
            raise _invalid(f"{name} must be an integer in {lo}..{hi}")
        return int(value)

    if kind == "multiple":
        d = replace(d, max_selections=setting("max_selections", 1, n, n))
    elif kind == "rating":
        d = replace(d, scale=setting("scale", 2, 10, 5))
    elif kind == "wordcloud":
        d = replace(d, max_words=setting("max_words", 1, 10, 3))
    elif kind == "budget":
        total = setting("total", 1, MAX_BUDGET, 100)
        caps = fields.get("caps", inherit.caps if inherit is not None else None)
        if caps is not None:
            if (
                not isinstance(caps, list | tuple)
                or len(caps) != n
                or not all(is_int(c) and 0 <= c <= total for c in caps)
            ):
                raise _invalid("caps must be one integer in 0..total per option")
            caps = tuple(caps)
        d = replace(d, total=total, caps=caps)
    allow = fields.get("allow_changes", base.allow_changes if base else None)
    if allow is not None and not isinstance(allow, bool):
        raise CommandError("field.invalid", "allow_changes must be true, false or null")
    closes_at = fields.get("closes_at", base.closes_at if base else None)
    if closes_at is not None and (not is_int(closes_at) or not 0 < closes_at <= MAX_ID):
        raise CommandError("field.invalid", "closes_at must be ms since the epoch")
    return replace(d, allow_changes=allow, closes_at=closes_at)


def _bad_choice(why: str) -> CommandError:
    return CommandError("vote.invalid_choice", why)


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


def _budget_key(key: object, n: int) -> int:
    # JSON object keys are strings: accept "3" as well as 3 (msgpack), nothing fancier.
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 3:
        key = int(key)
    return _index(key, n)


@dataclass(frozen=True, slots=True)
class Reading:
    """A ballot read: its canonical choice, and for texts what the filters found."""

    choice: Choice
    verdict: Verdict = field(default_factory=Verdict)
    held: tuple[str, ...] = ()  # wordcloud words kept out of the count until reviewed


Screen = Callable[[str], Verdict]


def read_choice(d: PollDef, raw: object, screen: Screen) -> Reading:
    """The canonical ballot for `raw` with what `screen` (the room's filters) says about its
    text, or CommandError."""
    n = len(d.options)
    if raw is None:
        raise CommandError("field.missing", "choice is required")
    if d.kind == "wordcloud":
        return _read_words(d, raw, screen)
    if d.kind == "open":
        # the answer's text; limits as for questions are applied by the caller
        if not isinstance(raw, str):
            raise _bad_choice("an open answer is a text")
        return Reading(raw, screen(raw))
    return Reading(_read_index_choice(d, raw, n))


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


def _read_index_choice(d: PollDef, raw: object, n: int) -> Choice:
    if d.kind == "single":
        return _index(raw, n)
    if d.kind == "multiple":
        picked = _index_list(raw, n)
        if not 1 <= len(picked) <= d.max_selections:
            raise _bad_choice(f"pick 1..{d.max_selections} options")
        return tuple(sorted(picked))
    if d.kind == "rating":
        if not is_int(raw) or not 1 <= raw <= d.scale:
            raise _bad_choice(f"a rating is an integer in 1..{d.scale}")
        return raw
    if d.kind == "ranking":
        order = _index_list(raw, n)
        if len(order) != n:
            raise _bad_choice("rank every option exactly once")
        return tuple(order)
    if d.kind == "budget":
        if not isinstance(raw, Mapping):
            raise _bad_choice("a budget ballot is {option index: amount}")
        amounts = [0] * n
        for key, amount in raw.items():
            i = _budget_key(key, n)
            cap = d.caps[i] if d.caps is not None else d.total
            if not is_int(amount) or not 0 <= amount <= cap:
                raise _bad_choice(f"option {i} takes an integer amount in 0..{cap}")
            amounts[i] = int(amount)
        if sum(amounts) > d.total:
            raise _bad_choice(f"allocate at most {d.total} in all")
        return tuple(amounts)
    raise _bad_choice(f"no ballot of kind {d.kind}")


def _fresh_tally(d: PollDef) -> Tally:
    n = len(d.options)
    if d.kind in ("single", "multiple"):
        return Tally(counts=[0] * n)
    if d.kind == "rating":
        return Tally(counts=[0] * d.scale)
    if d.kind in ("ranking", "budget"):
        return Tally(points=[0] * n)
    return Tally()


def _count(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    # `choice` is in the canonical form of its kind (see read_choice); casts, not checks,
    # because this runs for every vote.
    t.voters += sign
    kind = d.kind
    if kind == "single":
        t.counts[cast(int, choice)] += sign
    elif kind == "multiple":
        for i in cast(tuple[int, ...], choice):
            t.counts[i] += sign
    elif kind == "rating":
        value = cast(int, choice)
        t.counts[value - 1] += sign
        t.total += sign * value
    elif kind == "ranking":
        last = len(d.options) - 1
        for pos, ranked in enumerate(cast(tuple[int, ...], choice)):
            t.points[ranked] += sign * (last - pos)
    elif kind == "budget":
        for index, amount in enumerate(cast(tuple[int, ...], choice)):
            t.points[index] += sign * amount
    elif kind == "wordcloud":
        for word in cast(tuple[str, ...], choice):
            left = t.words.get(word, 0) + sign
            if left:
                t.words[word] = left
            else:
                del t.words[word]  # a derived count of zero is no word at all


def apply_ballot(poll: Poll, voter: str, choice: Choice) -> Choice | None:
    """Record `voter`'s ballot, replacing (and uncounting) any earlier one; return that."""
    previous = poll.ballots.get(voter)
    if previous is not None:
        _count(poll.tally, poll.defn, previous, -1)
    poll.ballots[voter] = choice
    _count(poll.tally, poll.defn, choice, +1)
    return previous


def reset_tally(poll: Poll) -> None:
    poll.tally = _fresh_tally(poll.defn)


def recount(poll: Poll) -> Tally:
    """The tally from scratch: what the running one must always equal."""
    t = _fresh_tally(poll.defn)
    for choice in poll.ballots.values():
        _count(t, poll.defn, choice, +1)
    return t


def results(poll: Poll, approved_answers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The public results shape (API.md), fresh lists: frames never alias state."""
    t = poll.tally
    kind = poll.defn.kind
    out: dict[str, Any] = {"voters": t.voters}
    if kind in ("single", "multiple"):
        out["counts"] = list(t.counts)
    elif kind == "rating":
        out["counts"] = list(t.counts)
        out["average"] = round(t.total / t.voters, 2) if t.voters else None
    elif kind in ("ranking", "budget"):
        out["points"] = list(t.points)
    elif kind == "wordcloud":
        top = sorted(t.words.items(), key=lambda kv: (-kv[1], kv[0]))[:WORDS_SHOWN]
        out["words"] = dict(top)
    else:
        out["answers"] = approved_answers or []
    return out
