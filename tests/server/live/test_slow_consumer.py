"""A client that stops reading is skipped, then closed with 4008, then resumes by seq."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        Path(tmp_path_factory.mktemp("slow")),
        env={
            "TOWNHALL_LIMIT_SOCKET_SOFT_BUFFER": "8192",
            "TOWNHALL_LIMIT_SOCKET_SNDBUF": "8192",
            "TOWNHALL_LIMIT_LAG_CLOSE_SECONDS": "1",
            "TOWNHALL_LIMIT_OPS_PER_SECOND": "5000",
            "TOWNHALL_LIMIT_OPS_BURST": "5000",
        },
    ).start()
    yield live
    live.stop()


def _stuck_socket(port: int, code: str, token: str) -> socket.socket:
    """A WebSocket that completes the handshake and then never reads (tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws/rooms/{code}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    frames, i = [], 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        header = 2 + (2 if length == 126 else 8 if length == 127 else 0)
        if i + header > len(data):
            break
        if length == 126:
            (length,) = struct.unpack("!H", data[i + 2 : i + 4])
        elif length == 127:
            (length,) = struct.unpack("!Q", data[i + 2 : i + 10])
        i += header
        if i + length > len(data):
            break
        frames.append((opcode, data[i : i + length]))
        i += length
    return frames


@pytest.mark.slow
def test_a_reader_that_stops_is_closed_with_4008_and_can_resume(strict: LiveServer) -> None:
    room = create_room(strict.http, moderation="post", questions_per_minute=1000)
    code = room["code"]
    slow_person = join(strict.http, code)
    stuck = _stuck_socket(strict.port, code, slow_person["participant_token"])

    async def traffic() -> None:
        writers = [
            await Client.open(strict.ws, code, join(strict.http, code)["participant_token"])
            for _ in range(4)
        ]
        healthy = await Client.open(strict.ws, code, join(strict.http, code)["participant_token"])
        for round_ in range(120):
            await asyncio.gather(
                *(
                    w.op("question.ask", text=f"{round_}-{n} " + "why " * 60, anonymous=False)
                    for n, w in enumerate(writers)
                )
            )
        # The healthy reader got everything, promptly, while the stuck one was being skipped.
        await healthy.wait_for(lambda f: f.get("question", {}).get("text", "").startswith("119-3"))
        await asyncio.sleep(2.5)  # past the 1 s lag limit: the server gives up on the stuck one
        for c in [*writers, healthy]:
            await c.close()

    asyncio.run(traffic())
    stuck.setblocking(False)
    received = b""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            chunk = stuck.recv(1 << 20)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        if not chunk:
            break
        received += chunk
        frames = _frames(received)
        if frames and frames[-1][0] == 0x8:
            break
    stuck.close()
    frames = _frames(received)
    assert frames[-1][0] == 0x8, (
        f"expected a close frame; got {len(received)} bytes, {len(frames)} frames"
    )
    (close_code,) = struct.unpack("!H", frames[-1][1][:2])
    assert close_code == 4008
    seqs = [json.loads(payload)["seq"] for opcode, payload in frames if opcode == 0x1]
    last = max(seqs)

    async def resume() -> None:
        back = await Client.open(strict.ws, code, slow_person["participant_token"], since=last)
        await back.wait_for(
            lambda f: (
                f.get("question", {}).get("text", "").startswith("119-3") or f["type"] == "snapshot"
            )
        )
        await back.close()

    asyncio.run(resume())
