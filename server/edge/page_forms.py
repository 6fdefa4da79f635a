"""HTML form fields (all strings) to the typed op fields the engine reads.

Forms are the no-JavaScript path; the engine validates everything afterwards, so this only
converts types and never decides what is allowed. A value that does not convert is passed on
as it came, and the engine answers with its usual `field.invalid`.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from moderation.roles import OPS_BY_ROLE, Role
from rooms import RoomState
from rooms.forms import form_int
from rooms.poll_kinds import KINDS

__all__ = ["ATTENDEE_OPS", "STAFF_OPS", "op_fields"]

# Which ops each form route accepts: the role table itself, so forms never drift from it.
# (The engine checks permission again for the actual sender; these only route.)
ATTENDEE_OPS = OPS_BY_ROLE[Role.ATTENDEE]
STAFF_OPS = OPS_BY_ROLE[Role.ORGANISER]

_INTS = (
    "poll_id",
    "question_id",
    "answer_id",
    "max_selections",
    "scale",
    "max_words",
    "total",
    "duration_s",
    "window_s",
    "count",
    "target_id",
    "template_id",
)
_TEXTS = (
    "text",
    "topic",
    "emoji",
    "reason",
    "question",
    "kind",
    "participant_id",
    "name",
    "link",
    "moderator_id",
    "role",
    "target",
    "lang",
    "ban_id",  # participant.unban of a content ban
    "speaker",  # participant.ban of whoever holds the floor: "floor"
)
RIGHT_MARK = "*"  # a quiz's right options, as the panel's options box marks them


def _options(raw: str, scored: bool) -> tuple[list[str], list[int]]:
    """One option per line; for a quiz, those starting with `*` are the right ones."""
    options: list[str] = []
    right: list[int] = []
    for line in raw.splitlines():
        text = line.strip()
        if scored and text.startswith(RIGHT_MARK):
            text = text[len(RIGHT_MARK) :].strip()
            right.append(len(options))
        if text:
            options.append(text)
    return options, right


def _numbered(form: FormData, prefix: str) -> list[str]:
    """`prefix0`, `prefix1`, ... in order, up to the first one missing."""
    out: list[str] = []
    while len(out) < 100:
        raw = form.get(f"{prefix}{len(out)}")
        if not isinstance(raw, str):
            break
        out.append(raw)
    return out


def _choice(form: FormData, state: RoomState, poll_id: object) -> Any:
    poll = state.polls.get(poll_id) if isinstance(poll_id, int) else None
    if poll is None:
        return form.get("choice")
    return KINDS[poll.defn.kind].form(form, poll.defn)


def op_fields(op: str, form: FormData, state: RoomState) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in _INTS:
        raw = form.get(name)
        if isinstance(raw, str) and raw.strip():
            fields[name] = form_int(raw)
    for name in _TEXTS:
        raw = form.get(name)
        if isinstance(raw, str) and (raw.strip() or name == "text"):
            fields[name] = raw
    if op == "question.ask":
        fields["anonymous"] = form.get("anonymous") == "on"
    if op in ("poll.create", "poll.edit"):
        options = form.get("options")
        kind = KINDS.get(fields.get("kind", ""))
        if isinstance(options, str) and kind is not None and kind.options:
            fields["options"], right = _options(options, kind.scored)
            if kind.scored:
                fields["correct"] = right
        if form.get("allow_changes") in ("yes", "no"):
            fields["allow_changes"] = form.get("allow_changes") == "yes"
    if op == "question.label":
        raw = form.get("labels")
        labels = raw.split(",") if isinstance(raw, str) else []
        fields["labels"] = [label.strip() for label in labels if label.strip()]
    if op == "question.approve" and fields.get("text", "").strip() == "":
        fields.pop("text", None)  # an empty edit box means "approve as asked"
    if op == "translation.attach":
        fields["options"] = _numbered(form, "option_")
    if op == "vote":
        fields.pop("text", None)
        fields["choice"] = _choice(form, state, fields.get("poll_id"))
    return fields
