"""The portable outbox (any ASGI server): a blob of several frames, as a tick or a resume
writes it, goes out as that many WebSocket messages, each whole."""

from __future__ import annotations

import asyncio
from typing import Any

from server.live.outbox import AsgiOutbox
from server.live.wsframe import binary_frame, text_frame


def test_an_asgi_outbox_sends_each_frame_of_a_blob_as_its_own_message() -> None:
    async def scenario() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        outbox = AsgiOutbox(send)
        long = "é" * 200  # past the 125-byte short length
        assert outbox.write(text_frame(b'{"a":1}') + text_frame(long.encode()), True)
        assert outbox.write(binary_frame(b"\x81\xa1b\x02"), False)
        outbox.close()
        for _ in range(20):
            await asyncio.sleep(0)
        assert outbox.backlog() == 0
        return sent

    sent = asyncio.run(scenario())
    assert sent == [
        {"type": "websocket.send", "text": '{"a":1}'},
        {"type": "websocket.send", "text": "é" * 200},
        {"type": "websocket.send", "bytes": b"\x81\xa1b\x02"},
    ]
