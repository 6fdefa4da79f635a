"""The C split of client frames (server/live/_wsread.c), against websockets' own parser,
and through a real lean server's sockets: trickled a byte at a time, with pings, fragments
and bad frames among honest ones."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.frames import Frame
from websockets.streams import StreamReader

from server.live import _wsread
from server.live.lean import SPLIT
from tests.support.lean_server import LeanServer, lean_server
from tests.support.wsclient import create_room, join

MAX = 1000  # the split's max_size in the property tests


def client_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    masked: bool = True,
    rsv: int = 0,
    wide: int = 0,
    key: bytes = b"\x11\x22\x33\x44",
) -> bytes:
    """A client's frame; `wide` 1 or 2 spells a short length in the 2- or 8-byte form
    (allowed: RFC 6455 asks for the shortest, and websockets reads any)."""
    size = len(payload)
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if masked else 0
    if size < 126 and not wide:
        header = bytes((first, mask_bit | size))
    elif size < 65536 and wide != 2:
        header = bytes((first, mask_bit | 126)) + struct.pack("!H", size)
    else:
        header = bytes((first, mask_bit | 127)) + struct.pack("!Q", size)
    if not masked:
        return header + payload
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def parsed_by_websockets(stream: bytes, max_size: int) -> list[tuple[int, bytes, bool, int]]:
    """(opcode, payload, fin, end) of each frame websockets reads off `stream`, up to the
    first it refuses."""
    reader = StreamReader()
    reader.feed_data(stream)
    reader.feed_eof()
    out: list[tuple[int, bytes, bool, int]] = []
    while len(reader.buffer):
        parser = Frame.parse(reader.read_exact, mask=True, max_size=max_size, extensions=[])
        try:
            next(parser)
        except StopIteration as done:
            frame = done.value
            out.append(
                (int(frame.opcode), bytes(frame.data), frame.fin, len(stream) - len(reader.buffer))
            )
            continue
        except (ProtocolError, PayloadTooBig):
            break
        break  # not all there
    return out


FRAME = st.one_of(
    st.tuples(st.sampled_from([1, 2]), st.binary(max_size=300), st.just({})),
    st.tuples(st.sampled_from([1, 2]), st.binary(min_size=120, max_size=MAX + 40), st.just({})),
    st.tuples(st.sampled_from([9, 10, 8]), st.binary(max_size=60), st.just({})),
    st.tuples(st.sampled_from([1, 2, 0]), st.binary(max_size=50), st.just({"fin": False})),
    st.tuples(st.sampled_from([1, 2]), st.binary(max_size=50), st.just({"masked": False})),
    st.tuples(st.sampled_from([1, 2]), st.binary(max_size=50), st.just({"rsv": 4})),
    st.tuples(
        st.sampled_from([1, 2]), st.binary(max_size=50), st.sampled_from([{"wide": 1}, {"wide": 2}])
    ),
)


def simple(opcode: int, payload: bytes, options: dict[str, object]) -> bool:
    plain = not options or "wide" in options
    return plain and opcode in (1, 2) and len(payload) <= MAX


@settings(max_examples=300, deadline=None)
@given(
    frames=st.lists(FRAME, max_size=8),
    cut=st.integers(min_value=0),
    key=st.binary(min_size=4, max_size=4),
)
def test_the_split_reads_what_websockets_reads_up_to_the_first_frame_it_leaves_alone(
    frames: list[tuple[int, bytes, dict[str, object]]], cut: int, key: bytes
) -> None:
    encoded = [client_frame(op, data, key=key, **opts) for op, data, opts in frames]  # type: ignore[arg-type]
    stream = b"".join(encoded)
    buf = stream[: cut % (len(stream) + 1)]
    got, used, need = _wsread.split(buf, MAX)

    # What websockets reads of the whole stream, as far as the frames the split may take
    # run and lie wholly in `buf`.
    expected = []
    for (op, data, opts), (w_op, w_data, w_fin, w_end) in zip(
        frames, parsed_by_websockets(stream, MAX), strict=False
    ):
        if not simple(op, data, opts) or w_end > len(buf):
            break
        assert (w_op, w_data, w_fin) == (op, data, True)
        expected.append((w_op, w_data, w_end))
    assert got == expected
    assert used == (expected[-1][2] if expected else 0)

    at = len(expected)
    if used == len(buf):
        assert need == 0
        return
    op, data, opts = frames[at]
    whole = len(encoded[at])
    if need == -1:
        assert not simple(op, data, opts)  # websockets is given the rest
    else:
        # More of this frame is wanted, no more than all of it, and that much tells more.
        assert len(buf) - used < need <= whole
        _, _, later = _wsread.split(stream[used : used + need], MAX)
        assert later == -1 or later > need or (later == 0 and need == whole)


def test_a_large_payload_is_unmasked_whole() -> None:
    payload = os.urandom(70_000)
    got, used, need = _wsread.split(client_frame(2, payload, key=b"\xa5\x01\xff\x7e"), 1 << 20)
    assert got == [(2, payload, used)] and need == 0


# -- through a real lean server ---------------------------------------------------------------


async def _upgrade(server: LeanServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    room = await asyncio.to_thread(create_room, server.http)
    person = await asyncio.to_thread(join, server.http, room["code"])
    port = int(server.http.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/rooms/{room['code']}?token={person['participant_token']} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: townhall.v1.json\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def _next_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The server's next frame (never masked, never fragmented by this server)."""
    first, second = await asyncio.wait_for(reader.readexactly(2), 10)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(size)


async def _answers(reader: asyncio.StreamReader, count: int) -> list[tuple[int, bytes]]:
    """The next `count` frames that are not the room's own broadcasts."""
    got: list[tuple[int, bytes]] = []
    while len(got) < count:
        opcode, payload = await _next_frame(reader)
        if opcode == 1 and json.loads(payload).get("type") not in ("error", "pong"):
            continue  # the snapshot, a view
        got.append((opcode, payload))
    return got


def _op(op_id: str) -> bytes:
    # An op the edge refuses by shape, answered with its own op_id: every frame its answer.
    return json.dumps({"op": "no.such.op", "op_id": op_id}).encode()


def test_frames_trickled_a_byte_at_a_time_among_pings_and_fragments_are_answered_in_order(
    tmp_path: Path,
) -> None:
    asyncio.run(_trickled(tmp_path))


async def _trickled(tmp_path: Path) -> None:
    async with lean_server(tmp_path) as server:
        reader, writer = await _upgrade(server)
        before = SPLIT.frames
        k1 = client_frame(1, _op("k-1"))
        pieces = [
            k1[:5],  # a frame cut inside its header, then the rest
            k1[5:],
            # A ping, and a frame behind it in the same read: websockets parses from the ping.
            client_frame(9, b"are you there") + client_frame(1, _op("k-2"), wide=2),
            # A message in two fragments: websockets' again.
            client_frame(1, _op("k-3")[:10], fin=False) + client_frame(0, _op("k-3")[10:]),
        ]
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.05)
        for byte in client_frame(1, _op("k-4")) + client_frame(1, _op("k-5")):
            writer.write(bytes((byte,)))  # a byte at a time: a tail that grows, split when whole
            await writer.drain()
            await asyncio.sleep(0.001)
        answers = await _answers(reader, 6)
        # The pong is websockets' own, written as it reads the ping: maybe before k-1's answer.
        assert (10, b"are you there") in answers
        op_ids = [json.loads(p)["op_id"] for opcode, p in answers if opcode == 1]
        assert op_ids == ["k-1", "k-2", "k-3", "k-4", "k-5"]
        # k-1, k-4 and k-5 were split here; the split was in use, and gave way where it must.
        assert SPLIT.frames - before >= 3
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (client_frame(1, b'{"op": "\xff\xfe"}'), 1007),  # text that is not UTF-8
        (client_frame(1, _op("x"), masked=False), 1002),  # a client must mask
        (client_frame(1, b"x" * (64 * 1024 + 1)), 1009),  # over max_frame_bytes
        (client_frame(1, _op("x"), rsv=4), 1002),  # a reserved bit, no extension
    ],
)
def test_a_bad_frame_closes_its_own_socket_and_nobody_elses(
    tmp_path: Path, bad: bytes, code: int
) -> None:
    asyncio.run(_bad_beside_honest(tmp_path, bad, code))


async def _bad_beside_honest(tmp_path: Path, bad: bytes, code: int) -> None:
    async with lean_server(tmp_path) as server:
        honest_reader, honest = await _upgrade(server)
        reader, writer = await _upgrade(server)
        writer.write(client_frame(1, _op("before")))
        (answer,) = await _answers(reader, 1)
        assert json.loads(answer[1])["op_id"] == "before"
        # The bad frame, and an honest one behind it in the same read: the socket closes
        # with the bad frame's code, and nothing after it is taken.
        writer.write(bad + client_frame(1, _op("after")))
        honest.write(client_frame(1, _op("h-1")))
        try:
            opcode, payload = await _next_frame(reader)
            while opcode != 8:
                assert opcode != 1 or json.loads(payload).get("op_id") != "after"
                opcode, payload = await _next_frame(reader)
            assert struct.unpack("!H", payload[:2])[0] == code
        except (ConnectionResetError, asyncio.IncompleteReadError):
            # The server closed with bytes of ours unread (the refused frame's own, or
            # "after"): the kernel may reset the connection before the close frame is read.
            pass
        (answer,) = await _answers(honest_reader, 1)
        assert json.loads(answer[1])["op_id"] == "h-1"
        honest.write(client_frame(1, _op("h-2")))
        (answer,) = await _answers(honest_reader, 1)
        assert json.loads(answer[1])["op_id"] == "h-2"
        honest.close()
        await honest.wait_closed()
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()
