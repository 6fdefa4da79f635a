"""Issue 13 item 4: CPU budgets. Frames are priced before they are decoded: attendees' frames
are small or refused unread; ops and bytes are budgeted per socket, per person across all
their sockets, and per address. An attacker with many sockets from one address is throttled
and a bystander elsewhere keeps a quick ack."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from websockets.exceptions import ConnectionClosed

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

ATTACKERS = 20


async def _attack(client: Client, seconds: float, pad: int) -> int:
    """Ten frames a second of `pad` bytes each; returns how many went out."""
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            frame = {"op": "react", "op_id": f"x{sent}", "emoji": "👍", "pad": "x" * pad}
            await client.ws.send(json.dumps(frame))
            sent += 1
            await asyncio.sleep(0.1)
    except ConnectionClosed:
        pass
    return sent


def test_many_big_frames_from_one_address_are_refused_unread_and_a_bystander_keeps_pace(
    server: LiveServer,
) -> None:
    room = create_room(server.http)
    code = room["code"]
    people = [join(server.http, code) for _ in range(ATTACKERS)]
    bystander = join(server.http, code)

    async def scenario() -> None:
        attackers = [await Client.open(server.ws, code, p["participant_token"]) for p in people]
        calm = await Client.open(
            server.ws, code, bystander["participant_token"], source="127.0.0.2"
        )
        latencies: list[float] = []

        async def keep_voting() -> None:
            # Ops acked at their own commit (a reaction waits for its window's entry).
            for n in range(25):
                started = time.perf_counter()
                op = "speaker.withdraw" if n % 2 else "speaker.request"
                answer = await calm.op(op, timeout=10)
                assert answer["type"] == "ack", answer
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.2)

        big = [_attack(a, 5, 62 * 1024) for a in attackers[: ATTACKERS // 2]]
        under_cap = [_attack(a, 5, 7 * 1024) for a in attackers[ATTACKERS // 2 :]]
        results = await asyncio.gather(keep_voting(), *big, *under_cap)
        await asyncio.sleep(0.5)
        # Every big frame was answered frame.too_large without being decoded.
        big_answers = [f for a in attackers[: ATTACKERS // 2] for f in a.frames if f.get("op_id")]
        assert big_answers and all(f.get("code") == "frame.too_large" for f in big_answers)
        # 7 KiB frames at 10/s are 70 KiB/s a person, over the 16 KiB/s (burst 32 KiB) one
        # person may send: past the burst, about 2 in 10 are decoded, the rest refused unread.
        small_answers = [
            f for a in attackers[ATTACKERS // 2 :] for f in a.frames if f.get("type") == "ack"
        ]
        sent_small = sum(results[1 + ATTACKERS // 2 :])
        budget_frames = (ATTACKERS // 2) * (32 + 16 * 6) / 7
        assert len(small_answers) <= budget_frames < sent_small / 2, sent_small
        assert max(latencies) < 1.0 and statistics.median(latencies) < 0.25, latencies
        for client in [*attackers, calm]:
            await client.close()

    asyncio.run(scenario())
