"""An operation from any entry point: shape of `op` and `op_id`, the server's part of
credential ops, the answer frame, and the security record of permission refusals.

The WebSocket loop calls `start` with a callback (no task, no await per op); HTTP and the
page forms await `run`. Both go through the very same steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from moderation.roles import OPS
from rooms import CommandError, Context
from server.edge.answers import answer_of
from server.edge.gate import Caller
from server.edge.invites import with_codes, with_credentials
from server.edge.op_shape import MAX_OP, MAX_OP_ID
from server.live.hub import now_ms
from server.live.room_host import Outcome

__all__ = ["MAX_OP_ID", "check_shape", "run", "start"]


def check_shape(op: object, op_id: object) -> tuple[str, str]:
    """`op` and `op_id` as every entry point requires them, or `frame.invalid`/`field.*`."""
    if not isinstance(op, str) or not 1 <= len(op) <= MAX_OP:
        raise CommandError("frame.invalid", "an operation needs an `op` string")
    if not isinstance(op_id, str) or not 1 <= len(op_id) <= MAX_OP_ID:
        raise CommandError(
            "field.missing" if op_id is None else "field.invalid",
            f"`op_id` must be a string of 1 to {MAX_OP_ID} characters",
        )
    row = OPS.get(op)
    if row is not None and row.server:
        # Only the server sends these (creating a room, joining one), through their own
        # entry points and admission budgets: never as a client's op.
        raise CommandError("op.unknown", f"{op} is not an operation clients send")
    return op, op_id


def start(
    caller: Caller,
    op: str,
    op_id: str,
    fields: dict[str, Any],
    answer: Callable[[dict[str, Any]], None],
) -> None:
    """Submit the op; `answer` gets its ack or error frame once it is durably decided."""
    runtime, room, actor = caller.runtime, caller.host.code, caller.participant_id
    secret = runtime.settings.secret
    fields = with_codes(op, fields, room, actor, op_id, secret)
    ctx = Context(actor, caller.role, now_ms(), op_id)

    def reply(future: asyncio.Future[Outcome]) -> None:
        outcome = future.result()
        if outcome.error is not None and answer_of(outcome.error.code).record:
            runtime.security.refused(
                room, outcome.error.code, caller.ip, f"op {op[:40]}", caller.role
            )
        answer(with_credentials(op, outcome.frame(op_id), room, secret, actor))

    caller.host.submit(op, fields, ctx).add_done_callback(reply)


async def run(caller: Caller, op: str, op_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`start`, awaited: the ack or error frame."""
    answered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    start(caller, op, op_id, fields, answered.set_result)
    return await answered
