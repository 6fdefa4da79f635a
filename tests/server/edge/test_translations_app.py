"""Interpreters through the app: invited, translating over the API, the socket and the forms;
attendees reading the translation in their page's language with the original a tap away."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import re
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

_ids = itertools.count(1)


def _ops(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> httpx.Response:
    return httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        timeout=10,
        headers={"authorization": f"Bearer {token}"},
        json={"op": op, "op_id": f"tr-{next(_ids)}", **fields},
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _meeting(server: LiveServer) -> dict[str, Any]:
    """A room with a published question, a poll and an invited interpreter."""
    room = create_room(server.http, "Conseil", moderation="post")
    code, mod = room["code"], room["moderator_token"]
    ana = join(server.http, code, name="Ana")
    asked = _ops(server, code, ana["participant_token"], "question.ask", text="Where is the bus?")
    poll = _ops(server, code, mod, "poll.create", kind="single", question="More buses?",
                options=["Yes", "No"])
    invite = _ops(server, code, mod, "moderator.add", name="Inès", role="interpreter")
    assert invite.status_code == 200, invite.text
    body = invite.json()
    assert body["role"] == "interpreter" and f"/r/{code}/interpret?token=" in body["url"]
    return {
        **room,
        "ana": ana,
        "question_id": asked.json()["question_id"],
        "poll_id": poll.json()["poll_id"],
        "interpreter": body["token"],
        "interpreter_id": body["moderator_id"],
        "invite_url": server.http + body["url"],
    }


def test_an_interpreter_translates_and_attendees_read_it_in_their_language(
    server: LiveServer,
) -> None:
    m = _meeting(server)
    code, interp = m["code"], m["interpreter"]
    # Nothing but translations: the role table, at the edge.
    refused = _ops(server, code, interp, "question.hide", question_id=m["question_id"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"
    panel = httpx.get(f"{server.http}/r/{code}/moderate?token={interp}", timeout=10)
    assert panel.status_code in (401, 403)

    async def scenario() -> None:
        ana_ws = await Client.open(server.ws, code, m["ana"]["participant_token"])
        interp_ws = await Client.open(server.ws, code, interp)
        ack = await interp_ws.op(
            "translation.attach", target="question", target_id=m["question_id"], lang="es",
            text="¿Dónde está el autobús?",
        )
        assert ack["type"] == "ack" and ack["lang"] == "es"
        frame = await ana_ws.wait_for(lambda f: f["type"] == "question.translated")
        assert frame["question"]["translations"] == {"es": "¿Dónde está el autobús?"}
        assert frame["question"]["text"] == "Where is the bus?"
        bad = await interp_ws.op(
            "translation.attach", target="question", target_id=m["question_id"], lang="es!",
            text="?",
        )
        assert bad["type"] == "error" and bad["code"] == "field.invalid"
        await ana_ws.close()
        await interp_ws.close()

    asyncio.run(scenario())
    over_http = _ops(server, code, interp, "translation.attach", target="poll",
                     target_id=m["poll_id"], lang="es", text="¿Más autobuses?",
                     options=["Sí", "No"])
    assert over_http.status_code == 200, over_http.text
    _ops(server, code, m["moderator_token"], "poll.open", poll_id=m["poll_id"])

    with httpx.Client(base_url=server.http, timeout=10) as browser:
        page = browser.get(f"/r/{code}")
        browser.post(f"/r/{code}/join", data={"csrf": _csrf(page.text), "name": "Bea"},
                     headers={"origin": server.http})
        spanish = browser.get(f"/r/{code}?lang=es").text
        english = browser.get(f"/r/{code}?lang=en").text
    assert '<p class="q-text" lang="es" dir="auto">¿Dónde está el autobús?</p>' in spanish
    assert re.search(r"<details class=\"original\"><summary>Original</summary>"
                     r"<p class=\"q-text\" dir=\"auto\">Where is the bus\?</p></details>", spanish)
    assert '<span lang="es" dir="auto">¿Más autobuses?</span>' in spanish
    assert '<span lang="es" dir="auto">Sí</span>' in spanish
    assert "¿Dónde" not in english and "Where is the bus?" in english

    transcript = httpx.get(f"{server.http}/api/rooms/{code}/transcript", timeout=10,
                           headers={"authorization": f"Bearer {m['moderator_token']}"}).text
    entries = [json.loads(line) for line in transcript.splitlines()]
    attached = [e for e in entries if e["type"] == "translation.attached"]
    assert [e["data"]["lang"] for e in attached] == ["es", "es"]
    # The original's text is sealed in the chain (a commitment, docs/TRANSCRIPT.md) and kept
    # beside it; the translations of published content stand in the chain as they are.
    assert any(e["type"] == "question.asked" and "sealed" in e["data"] for e in entries)
    assert "¿Dónde está el autobús?" in transcript
    auth = {"authorization": f"Bearer {m['moderator_token']}"}
    report = httpx.get(f"{server.http}/api/rooms/{code}/report", headers=auth, timeout=10).json()
    top = report["questions"]["top_upvoted"][0]
    assert top["text"] == "Where is the bus?"
    assert top["translations"] == {"es": "¿Dónde está el autobús?"}
    poll = next(p for p in report["polls"] if p["poll_id"] == m["poll_id"])
    assert poll["translations"]["es"]["options"] == ["Sí", "No"]
    with httpx.Client(base_url=server.http, timeout=10) as organiser:
        organiser.get(m["urls"]["moderate"])
        page = organiser.get(f"/r/{code}/report").text
    assert "Where is the bus?" in page
    assert '<span lang="es" dir="auto">¿Dónde está el autobús?</span>' in page
    assert '<span lang="es" dir="auto">¿Más autobuses? (Sí · No)</span>' in page
    exported = httpx.get(f"{server.http}/api/rooms/{code}/export/questions.csv", headers=auth,
                         timeout=10).text
    row = next(iter(csv.DictReader(io.StringIO(exported))))
    assert row["text"] == "Where is the bus?"
    assert json.loads(row["translations"]) == {"es": "¿Dónde está el autobús?"}


def test_the_interpreter_page_works_without_javascript(server: LiveServer) -> None:
    m = _meeting(server)
    code = m["code"]
    with httpx.Client(timeout=10, headers={"origin": server.http}) as browser:
        landed = browser.get(m["invite_url"])
        assert landed.status_code == 303 and "token" not in landed.headers["location"]
        page = browser.get(server.http + landed.headers["location"])
        assert page.status_code == 200 and "Where is the bus?" in page.text
        assert 'name="option_1"' in page.text and '<option value="zh-Hans">' in page.text
        sent = browser.post(f"{server.http}/r/{code}/interpret/act", data={
            "csrf": _csrf(page.text), "op": "translation.attach", "target": "question",
            "target_id": str(m["question_id"]), "lang": "vi", "text": "Xe buýt ở đâu?",
        })
        assert sent.status_code == 303 and "done=translation.attach" in sent.headers["location"]
        again = browser.get(f"{server.http}/r/{code}/interpret")
        assert "Xe buýt ở đâu?" in again.text
        bad = browser.post(f"{server.http}/r/{code}/interpret/act", data={
            "csrf": _csrf(again.text), "op": "question.hide", "question_id": "1",
        })
        assert "error=op.unknown" in bad.headers["location"]
        _ops(server, code, m["moderator_token"], "moderator.revoke",
             moderator_id=m["interpreter_id"])
        gone = browser.get(f"{server.http}/r/{code}/interpret")
        assert gone.status_code == 403
    # A moderator reaches the page with the panel's own cookie.
    with httpx.Client(timeout=10) as organiser:
        organiser.get(m["urls"]["moderate"])
        assert organiser.get(f"{server.http}/r/{code}/interpret").status_code == 200


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lang=st.one_of(st.text(max_size=40), st.sampled_from(["es", "pt-BR", "zh-Hans", "ar"])),
    text=st.text(max_size=60),
)
def test_the_edge_answers_any_translation_with_an_ack_or_a_coded_error(
    server: LiveServer, lang: str, text: str
) -> None:
    m = _hypothesis_meeting(server)
    response = _ops(server, m["code"], m["interpreter"], "translation.attach",
                    target="question", target_id=m["question_id"], lang=lang, text=text)
    if response.status_code == 200:
        assert response.json()["type"] == "ack"
    else:
        assert response.status_code in (400, 429)
        assert response.json()["error"]["code"] in {
            "field.invalid", "text.empty", "text.invalid", "text.too_long", "rate.limited",
            "op.unstorable", "frame.invalid",
        }


_MEETINGS: dict[str, dict[str, Any]] = {}


def _hypothesis_meeting(server: LiveServer) -> dict[str, Any]:
    if server.http not in _MEETINGS:
        _MEETINGS[server.http] = _meeting(server)
    return _MEETINGS[server.http]
