"""Poll templates: starting points for the control panel's poll builder.

A template is data, a row of `BUILT_IN`: the kind, a question to finish and the options, in
English, marked for translation, so the builder is filled in the panel's language. Choosing
one is a GET (`?template=agree#polls`) that renders the builder filled in; nothing is sent
to the room until the moderator presses "Create poll". "Duplicate into the builder"
(`?duplicate=7`) takes the same path from an existing poll: both become one `draft`, the
builder's only input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rooms.poll_kinds import KINDS
from rooms.state import PollTemplate

__all__ = ["BUILT_IN", "Template", "builder_draft", "saved_key", "template_draft"]


def N_(text: str) -> str:  # the marker the message extractor looks for
    return text


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    title: str
    kind: str
    question: str
    options: tuple[str, ...] = ()
    # the builder's own fields (server/edge/panel_pages.py BUILDER_FIELDS)
    fields: Mapping[str, int] = field(default_factory=dict)


# Civic meetings first: what councils, assemblies and town halls ask most.
BUILT_IN: tuple[Template, ...] = (
    Template(
        "agree",
        N_("Agree / disagree / unsure"),
        "single",
        N_("Do you agree with the proposal?"),
        (N_("Agree"), N_("Disagree"), N_("Unsure")),
    ),
    Template(
        "yes-no",
        N_("Yes / no / abstain"),
        "single",
        N_("Should the council adopt the motion?"),
        (N_("Yes"), N_("No"), N_("Abstain")),
    ),
    Template(
        "rate",
        N_("Rate from 1 to 5"),
        "rating",
        N_("How would you rate the proposal?"),
        fields={"scale": 5},
    ),
    Template(
        "rank",
        N_("Rank these priorities"),
        "ranking",
        N_("Rank these priorities for next year"),
        (N_("Housing"), N_("Transport"), N_("Parks and green spaces"), N_("Safety")),
    ),
    Template(
        "word",
        N_("A word that describes…"),
        "wordcloud",
        N_("Which word describes our neighbourhood?"),
        fields={"max_words": 1},
    ),
)
_BY_KEY = {t.key: t for t in BUILT_IN}
assert all(t.kind in KINDS for t in BUILT_IN), "a template of an unknown kind"


def template_draft(key: str, translate: Callable[[str], str]) -> dict[str, Any] | None:
    """The builder's draft for the template `key`, in the panel's language; None if unknown."""
    found = _BY_KEY.get(key)
    if found is None:
        return None
    return {
        "kind": found.kind,
        "question": translate(found.question),
        "options": [translate(o) for o in found.options],
        **found.fields,
    }


def saved_key(template: PollTemplate) -> str:
    """A saved template's key in `?template=`: never one of the built-in keys."""
    return f"saved-{template.id}"


def _saved_draft(key: str, saved: Mapping[int, PollTemplate]) -> dict[str, Any] | None:
    raw = key.removeprefix("saved-")
    if raw == key or not (raw.isascii() and raw.isdigit() and len(raw) < 16):
        return None
    found = saved.get(int(raw))
    if found is None or found.deleted:
        return None
    draft: dict[str, Any] = {
        "kind": found.kind,
        "question": found.question,
        "options": list(found.options),
    }
    for name in ("max_selections", "scale", "max_words", "total"):
        if getattr(found, name):
            draft[name] = getattr(found, name)
    return draft


def builder_draft(
    params: Mapping[str, str],
    polls: Sequence[Mapping[str, Any]],
    translate: Callable[[str], str],
    saved: Mapping[int, PollTemplate] | None = None,
) -> dict[str, Any] | None:
    """What the builder starts from: `?template=KEY` (built in, or `saved-ID`, one this room
    saved), else `?duplicate=POLL_ID` (that poll's definition, a quiz's right answers marked
    with * as the builder takes them)."""
    key = params.get("template", "")[:24]
    chosen = template_draft(key, translate) or _saved_draft(key, saved or {})
    if chosen is not None:
        return chosen
    raw = params.get("duplicate", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 16):
        return None
    poll = next((p for p in polls if p["poll_id"] == int(raw)), None)
    if poll is None or poll["kind"] not in KINDS:
        return None
    # A quiz's right answers reach staff only inside its results (rooms/render.py); a draft
    # quiz has none yet, and its copy has its right options marked again by hand.
    correct = set((poll.get("results") or {}).get("correct") or ())
    options = [("*" if i in correct else "") + o for i, o in enumerate(poll.get("options", []))]
    return {
        "kind": poll["kind"],
        "question": poll["question"],
        "options": options,
        **{k: poll[k] for k in ("max_selections", "scale", "max_words", "total") if poll.get(k)},
    }
