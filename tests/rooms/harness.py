"""A room driven the way the hub drives it: decide, commit (a seq), apply."""

from __future__ import annotations

from typing import Any

from moderation.filters import DEFAULT_FILTERS, TextFilters
from moderation.roles import OPS, Role
from rooms import (
    Applied,
    CommandError,
    Context,
    Event,
    Record,
    RoomState,
    apply,
    decide,
    new_room,
    to_snapshot,
)
from rooms.poll_kinds import KINDS

ORG = "org"
T0 = 1_700_000_000_000


def role_of(actor: str) -> Role:
    if actor in (ORG, "system"):
        return Role.ORGANISER
    if actor.startswith("m") and actor[1:].isdigit():
        return Role.MODERATOR
    if actor.startswith("screen"):
        return Role.SCREEN
    if actor.startswith("embed"):
        return Role.EMBED
    return Role.ATTENDEE


class Room:
    def __init__(
        self,
        *,
        create: bool = True,
        filters: TextFilters = DEFAULT_FILTERS,
        **settings: Any,
    ) -> None:
        self.state: RoomState = new_room()
        self.records: list[Record] = []
        self.filters = filters
        self.now = T0
        self._ops = 0
        if create:
            self.do(ORG, "room.create", code="TOWN", title="Town hall", settings=settings)

    def ctx(self, actor: str, op_id: str | None = None, role: Role | None = None) -> Context:
        self._ops += 1
        self.now += 1000
        return Context(actor, role or role_of(actor), self.now, op_id or f"op{self._ops}")

    def decide(self, actor: str, op: str, role: Role | None = None, **fields: Any) -> Event:
        event = decide(self.state, op, fields, self.ctx(actor, role=role), self.filters)
        assert OPS[op].event == event.TYPE
        return event

    def commit(self, actor: str, event: Event, op_id: str | None = None) -> Applied:
        """Append `event` as the store would (next seq) and apply it."""
        ctx = self.ctx(actor, op_id)
        record = Record(self.state.seq + 1, ctx.at, actor, ctx.op_id, event)
        self.records.append(record)
        return apply(self.state, record)

    def do(
        self,
        actor: str,
        op: str,
        *,
        op_id: str | None = None,
        role: Role | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """decide + commit; the ack result. Raises CommandError on refusal or a lost race."""
        ctx = self.ctx(actor, op_id, role)
        event = decide(self.state, op, fields, ctx, self.filters)
        assert OPS[op].event == event.TYPE  # the op table names the event each op produces
        record = Record(self.state.seq + 1, ctx.at, actor, ctx.op_id, event)
        self.records.append(record)
        applied = apply(self.state, record)
        if applied.error is not None:
            raise applied.error
        return applied.result

    def refuse(self, actor: str, op: str, role: Role | None = None, **fields: Any) -> str:
        """The error code decide gives, after checking nothing changed."""
        before = to_snapshot(self.state)
        try:
            decide(self.state, op, fields, self.ctx(actor, role=role), self.filters)
        except CommandError as err:
            assert to_snapshot(self.state) == before
            return err.code
        raise AssertionError(f"{op} {fields} was accepted")

    def interpreter(self, name: str = "Ines") -> str:
        """Invite an interpreter (moderator.add's `role` field); their actor id."""
        event = decide(
            self.state, "moderator.add", {"name": name, "role": "interpreter"}, self.ctx(ORG)
        )
        applied = self.commit(ORG, event)
        assert applied.error is None and applied.result["role"] == "interpreter"
        return str(applied.result["moderator_id"])

    def join(self, *people: str, **fields: Any) -> None:
        for who in people:
            self.do(who, "participant.join", name=who.title(), **fields)

    def poll(self, kind: str = "single", *, open_: bool = True, **fields: Any) -> int:
        if kind in KINDS and KINDS[kind].options:
            fields.setdefault("options", ["Red", "Green", "Blue"])
        if kind in KINDS and KINDS[kind].scored:
            fields.setdefault("correct", [1])  # Green
        poll_id = int(
            self.do(ORG, "poll.create", kind=kind, question=f"A {kind}?", **fields)["poll_id"]
        )
        if open_:
            self.do(ORG, "poll.open", poll_id=poll_id)
        return poll_id

    def ask(self, who: str, text: str = "Why?", *, approve: bool = True, **fields: Any) -> int:
        qid = int(self.do(who, "question.ask", text=text, **fields)["question_id"])
        if approve and self.state.questions[qid].state == "pending":
            self.do(ORG, "question.approve", question_id=qid)
        return qid


def code_of(room: Room, actor: str, op: str, **fields: Any) -> str:
    return room.refuse(actor, op, **fields)
