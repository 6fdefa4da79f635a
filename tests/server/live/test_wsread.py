"""The C split of client frames (server/live/_wsread.c), against websockets' own parser,
and through a real lean server's sockets: trickled a byte at a time, with pings, fragments
and bad frames among honest ones, and a backlog kept as bytes until it is handled."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.frames import Frame
from websockets.streams import StreamReader

from server.live import _wsread
from server.live.intake_turns import FRAMES_PER_TURN, turns_of
from server.live.lean import FRAMES_PER_SPLIT, SPLIT, LeanWebSocketProtocol
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


@settings(max_examples=200, deadline=None)
@given(
    frames=st.lists(FRAME, max_size=10),
    cut=st.integers(min_value=0),
    count=st.integers(min_value=1, max_value=4),
)
def test_a_split_by_counts_from_where_the_last_stopped_reads_what_one_whole_split_reads(
    frames: list[tuple[int, bytes, dict[str, object]]], cut: int, count: int
) -> None:
    stream = b"".join(client_frame(op, data, **opts) for op, data, opts in frames)  # type: ignore[arg-type]
    buf = stream[: cut % (len(stream) + 1)]
    whole = _wsread.split(buf, MAX)
    got: list[tuple[int, bytes, int]] = []
    at = 0
    while True:
        some, at, need = _wsread.split(buf, MAX, at, count)
        assert len(some) <= count
        got += some
        if need != 1:  # 1: the count was reached and more follows
            break
        assert len(some) == count and at < len(buf)
    assert (got, at, need) == whole


def test_a_split_refuses_a_start_outside_its_buffer_or_no_count() -> None:
    for start, count in ((-1, 1), (4, 1), (0, 0)):
        with pytest.raises(ValueError):
            _wsread.split(b"abc", MAX, start, count)


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


# -- a backlog stays bytes -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def _sent_while_every_frame_waits(
    server: LeanServer, frames: bytes
) -> AsyncIterator[tuple[LeanWebSocketProtocol, asyncio.StreamReader, asyncio.StreamWriter]]:
    """A socket sent `frames` in one write while the loop's budget of frames is spent (as
    a held phone's kernel buffer brings them, read again): yields once the server has read
    them and kept what it did not split; the budget comes back as the block ends. The
    caller closes the writer."""
    reader, writer = await _upgrade(server)
    (proto,) = server.protocols()
    turns = turns_of(asyncio.get_running_loop())
    turns.per_turn = turns.left = 0
    try:
        writer.write(frames)
        await writer.drain()
        async with asyncio.timeout(5):
            while not proto.read_paused or proto._tail is None:
                await asyncio.sleep(0.01)
        yield proto, reader, writer
    finally:
        turns.per_turn = turns.left = FRAMES_PER_TURN


def test_frames_that_wait_are_split_as_they_are_handled_and_all_answered_in_order(
    tmp_path: Path,
) -> None:
    asyncio.run(_backlog(tmp_path))


async def _backlog(tmp_path: Path) -> None:
    # Fewer than a socket's burst of ops, so that every one is answered.
    frames = [client_frame(1, _op(f"b-{i}")) for i in range(24)]
    async with lean_server(tmp_path) as server:
        async with _sent_while_every_frame_waits(server, b"".join(frames)) as sent:
            proto, reader, writer = sent
            waiting = proto._waiting
            assert waiting is not None and len(waiting) <= FRAMES_PER_SPLIT, (
                "a read was split whole: the backlog waits as Python objects"
            )
            assert len(proto._tail or b"") >= sum(map(len, frames[FRAMES_PER_SPLIT:]))
        answers = await _answers(reader, 24)
        assert [json.loads(p)["op_id"] for _, p in answers] == [f"b-{i}" for i in range(24)]
        while proto.read_paused:
            await asyncio.sleep(0.01)
        assert proto._tail is None and proto._waiting is None
        writer.close()
        await writer.wait_closed()


def test_a_close_behind_frames_not_yet_split_is_read_when_the_server_closes(
    tmp_path: Path,
) -> None:
    asyncio.run(_close_behind_backlog(tmp_path))


async def _close_behind_backlog(tmp_path: Path) -> None:
    frames = b"".join(client_frame(1, _op(f"c-{i}")) for i in range(20))
    close = client_frame(8, struct.pack("!H", 1000))
    async with (
        lean_server(tmp_path) as server,
        _sent_while_every_frame_waits(server, frames + close) as (proto, _, writer),
    ):
        # The server closes (a ban, a shutdown) with the peer's close still in the bytes it
        # had not split: it is read at once, and the handshake completes, rather than the
        # socket waiting out uvicorn's 10 s close timeout.
        proto.close_now(1000, "")
        async with asyncio.timeout(3):
            await server.until_no_connections()
        assert proto._tail is None
        writer.close()


def test_a_flood_in_one_write_is_closed_and_an_honest_socket_beside_it_is_answered(
    tmp_path: Path,
) -> None:
    asyncio.run(_flood_beside_honest(tmp_path))


async def _flood_beside_honest(tmp_path: Path) -> None:
    async with lean_server(tmp_path) as server:
        honest_reader, honest = await _upgrade(server)
        reader, writer = await _upgrade(server)
        # Far more frames than the flood close allows, in one write: they wait as bytes,
        # are cut eight at a time, refused by the budgets, and the socket is closed (1008).
        writer.write(b"".join(client_frame(1, _op(f"f-{i}")) for i in range(400)))
        await writer.drain()
        for i in range(3):
            honest.write(client_frame(1, _op(f"h-{i}")))
            (answer,) = await _answers(honest_reader, 1)
            assert json.loads(answer[1])["op_id"] == f"h-{i}"
        code = None
        with contextlib.suppress(ConnectionResetError, asyncio.IncompleteReadError):
            while code is None:
                opcode, payload = await _next_frame(reader)
                if opcode == 8:
                    code = struct.unpack("!H", payload[:2])[0]
        assert code in (None, 1008), code  # None: reset with the flood's bytes unread
        for proto in server.protocols():  # the flooder's, unless it is gone already
            assert not proto.close_sent or proto._tail is None, "a flood's bytes kept"
        honest.write(client_frame(1, _op("h-after")))
        (answer,) = await _answers(honest_reader, 1)
        assert json.loads(answer[1])["op_id"] == "h-after"
        for w in (honest, writer):
            w.close()
            with contextlib.suppress(ConnectionResetError):
                await w.wait_closed()
