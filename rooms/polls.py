"""Polls, whatever their kind: a definition, ballots read into canonical form, a tally.

Everything that differs between kinds is a row of `rooms.poll_kinds.KINDS`; this module is
what every kind shares: the question, options and timing of a definition, replacing a
person's ballot, and keeping the tally equal to a recount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rooms.errors import CommandError
from rooms.events import Choice
from rooms.fields import MAX_ID, clean_line, clean_text, is_int, str_list
from rooms.poll_kinds import KINDS, Answers, Reading, Screen, Settings
from rooms.state import Poll, PollDef, Tally

__all__ = [
    "KINDS",
    "Reading",
    "apply_ballot",
    "parse_definition",
    "read_choice",
    "recount",
    "reset_tally",
    "results",
]

MAX_OPTIONS = 50
OPTION_MAX = 200
# Options read before the count is checked (more than MAX_OPTIONS is then poll.invalid).
OPTIONS_READ = 99
QUESTION_MAX = 500


def _invalid(why: str) -> CommandError:
    return CommandError("poll.invalid", why)


def parse_definition(fields: Mapping[str, Any], base: PollDef | None) -> PollDef:
    """A complete, valid definition from `fields`, starting from `base` (poll.edit) if any."""
    kind = fields.get("kind", base.kind if base else None)
    if kind is None:
        raise CommandError("field.missing", "kind is required")
    spec = KINDS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise _invalid(f"kind must be one of {', '.join(KINDS)}")
    question = fields.get("question", base.question if base else None)
    if question is None:
        raise CommandError("field.missing", "question is required")
    if not isinstance(question, str):
        raise CommandError("field.invalid", "question must be a string")
    question = clean_text(question, QUESTION_MAX)
    d = PollDef(kind=kind, question=question)
    if spec.options:
        raw = fields.get("options", base.options if base else None)
        if raw is None:
            raise CommandError("field.missing", "options are required for this kind")
        listed = str_list(raw, "options", max_items=OPTIONS_READ)
        options = tuple(clean_line(o, OPTION_MAX) for o in listed)
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise _invalid(f"a {kind} poll needs 2..{MAX_OPTIONS} options")
        if len(set(options)) != len(options):
            raise _invalid("options must differ")
        d = replace(d, options=options)
    inherit = base if base is not None and base.kind == kind else None
    d = spec.settings(d, Settings(fields, inherit))
    allow = fields.get("allow_changes", base.allow_changes if base else None)
    if allow is not None and not isinstance(allow, bool):
        raise CommandError("field.invalid", "allow_changes must be true, false or null")
    closes_at = fields.get("closes_at", base.closes_at if base else None)
    if closes_at is not None and (not is_int(closes_at) or not 0 < closes_at <= MAX_ID):
        raise CommandError("field.invalid", "closes_at must be ms since the epoch")
    return replace(d, allow_changes=allow, closes_at=closes_at)


def read_choice(d: PollDef, raw: object, screen: Screen) -> Reading:
    """The canonical ballot for `raw` with what `screen` (the room's filters) says about its
    text, or CommandError."""
    if raw is None:
        raise CommandError("field.missing", "choice is required")
    return KINDS[d.kind].read(d, raw, screen)


def _count(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    t.voters += sign
    KINDS[d.kind].count(t, d, choice, sign)


def apply_ballot(poll: Poll, voter: str, choice: Choice) -> Choice | None:
    """Record `voter`'s ballot, replacing (and uncounting) any earlier one; return that."""
    previous = poll.ballots.get(voter)
    if previous is not None:
        _count(poll.tally, poll.defn, previous, -1)
    poll.ballots[voter] = choice
    _count(poll.tally, poll.defn, choice, +1)
    return previous


def reset_tally(poll: Poll) -> None:
    poll.tally = KINDS[poll.defn.kind].fresh(poll.defn)


def recount(poll: Poll) -> Tally:
    """The tally from scratch: what the running one must always equal."""
    t = KINDS[poll.defn.kind].fresh(poll.defn)
    for choice in poll.ballots.values():
        _count(t, poll.defn, choice, +1)
    return t


def results(poll: Poll, approved_answers: Answers | None = None) -> dict[str, Any]:
    """The public results shape (API.md): voters, then what the kind counts."""
    t = poll.tally
    return {"voters": t.voters, **KINDS[poll.defn.kind].results(t, approved_answers)}
