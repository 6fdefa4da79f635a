"""The control panel over plain HTTP (no JavaScript): the queue's language filter, the flags'
reasons, and word-cloud words held for review, with the lists the server really loads."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

_op_ids = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Path(tmp_path_factory.mktemp("panel"))).start()
    yield live
    live.stop()


def op(server: LiveServer, code: str, token: str, name: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        headers={"authorization": f"Bearer {token}"},
        json={"op": name, "op_id": f"p-{next(_op_ids)}", **fields},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def queue(html: str) -> list[str]:
    section = html.split('id="queue-h"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<p class="q-text"[^>]*>([^<]*)</p>', section)


def test_moderators_filter_the_queue_by_language(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    code = room["code"]
    ana = join(server.http, code, name="Ana")["participant_token"]
    texts = {
        "es": "¿Dónde estará la nueva biblioteca del barrio?",
        "fr": "Où sera la nouvelle bibliothèque du quartier ?",
        "en": "Where will the new library be?",
    }
    for text in texts.values():
        op(server, code, ana, "question.ask", text=text)
    op(server, code, ana, "question.ask", text="Eres un pendejo, alcalde", lang="es")
    with httpx.Client(timeout=10, follow_redirects=True) as staff:
        everything = staff.get(room["urls"]["moderate"]).text
        assert set(texts.values()) <= set(queue(everything))
        assert re.search(r'<option value="es">es</option>', everything)
        spanish = staff.get(f"{server.http}/r/{code}/moderate?qlang=es").text
        assert queue(spanish) == [texts["es"], "Eres un pendejo, alcalde"]
        assert '<option value="es" selected>es</option>' in spanish
        assert "profanity (pendejo)" in spanish  # the flag, with its reason
        panel = staff.get(f"{server.http}/r/{code}/moderate/panel?qlang=fr").text
        assert queue(panel) == [texts["fr"]]
        assert queue(staff.get(f"{server.http}/r/{code}/moderate?qlang=<x>").text) == queue(
            everything
        )  # a malformed filter is no filter


def test_held_wordcloud_words_wait_in_the_panel(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    code, mod = room["code"], room["moderator_token"]
    poll_id = op(server, code, mod, "poll.create", kind="wordcloud", question="One word?")[
        "poll_id"
    ]
    op(server, code, mod, "poll.open", poll_id=poll_id)
    ana = join(server.http, code, name="Ana")["participant_token"]
    ack = op(server, code, ana, "vote", poll_id=poll_id, choice=["parques", "m1erda"])
    assert ack["held"] == ["m1erda"] and ack["state"] == "pending"
    with httpx.Client(timeout=10, follow_redirects=True) as staff:
        html = staff.get(room["urls"]["moderate"]).text
    review = html.split('id="ans-h"', 1)[1].split("</section>", 1)[0]
    assert "m1erda" in review and "Word-cloud words held by the filter" in review
