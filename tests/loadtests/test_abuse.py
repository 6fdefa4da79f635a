"""The abuse scenario's pieces that do not need a server: frame sizes and what it raises."""

from __future__ import annotations

import json
import multiprocessing

from loadtests.abuse import ATTACKER, PADS, Phase, Side, SidePlan
from loadtests.bench import ATTACK_PHASES, _setup_env
from server.config import Limits


def _side(shapes: list[tuple[int, str]]) -> Side:
    phases = [Phase(f"p{i}", i, i + 1, size, pad) for i, (size, pad) in enumerate(shapes)]
    plan = SidePlan(ATTACKER, "127.0.0.3", "http://127.0.0.1:1", "ABCD", 7, 1, phases, (0.1, 0.1))
    parent, child = multiprocessing.Pipe()
    parent.close()
    child.close()
    return Side(plan, child)


def test_attack_frames_are_the_phase_size_and_a_vote_that_decodes() -> None:
    shapes = [(size, pad) for _, size, pad, _, _ in ATTACK_PHASES if size]
    side = _side(shapes)
    limits = Limits()
    for phase, (size, pad) in enumerate(shapes):
        head, rest = side.payload(phase)
        frame = head + side._op_id(phase, 59, 1234) + rest
        assert size - len(PADS[pad]) <= len(frame) <= size
        decoded = json.loads(frame)
        assert decoded["op"] == "vote" and decoded["poll_id"] == 7
        assert decoded["op_id"].startswith(f"a{phase}.")
        assert decoded["pad"][0] == json.loads(PADS[pad])
        assert len(frame) <= limits.max_frame_bytes  # uvicorn lets it in...
    sizes = [len(b"".join(side.payload(i))) for i in range(len(shapes))]
    assert sizes[0] > limits.max_attendee_frame_bytes  # ...the edge refuses the big one unread
    assert all(size < limits.max_attendee_frame_bytes for size in sizes[1:])


def test_only_what_setting_up_the_attack_needs_is_raised() -> None:
    assert _setup_env(60) == {}
    raised = _setup_env(2000)
    assert raised["TOWNHALL_LIMIT_SOCKETS_PER_IP"] == "2016"
    assert raised["TOWNHALL_LIMIT_JOINS_BURST_PER_ROOM_IP"] == "2016"
    assert not any("BYTES" in name or "OPS" in name for name in raised)  # budgets never
