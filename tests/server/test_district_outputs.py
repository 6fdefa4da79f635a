"""A district with fewer people than the room's minimum cell size never appears on its own,
whichever way the room's figures leave the server: report (JSON and page), big screen and
overlay (pages, snapshots and live frames), the moderators' views, CSV exports, and the
files `townhall export` and `townhall report` write.

The room lists its districts for the join form (`settings.districts`, public, and in the
moderators' audit of the settings): that list is configuration, not a count, and is the one
place the name may stand.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join, results_of

LONE = "Tinyville"  # one voter: their row would be their ballot
DISTRICTS = ["Northfield", "Southgate", LONE]
PEOPLE = {"Northfield": 4, "Southgate": 3, LONE: 1}  # with min_cell_size 3


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _without_settings(value: Any) -> Any:
    """`value` without the room's settings (the join form's list of districts), nor the
    audit entries that record them."""
    if isinstance(value, dict) and value.get("action") in ("room.created", "room.updated"):
        return {}
    if isinstance(value, dict):
        return {k: _without_settings(v) for k, v in value.items() if k != "settings"}
    if isinstance(value, list):
        return [_without_settings(v) for v in value]
    return value


def _shows_lone(value: Any) -> bool:
    return LONE in json.dumps(_without_settings(value), ensure_ascii=False)


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> dict[str, Any]:
    """Eight people vote while the screen, the overlay and a moderator watch live; the
    lone Tinyville voter is then banned (a participant frame to the moderators)."""

    async def run() -> dict[str, Any]:
        room = create_room(server.http, "Districts", districts=DISTRICTS, min_cell_size=3)
        code, token = room["code"], room["moderator_token"]
        watchers = {
            "moderator": await Client.open(server.ws, code, token),
            "screen": await Client.open(server.ws, code, room["screen_token"]),
            "embed": await Client.open(server.ws, code, room["embed_token"]),
        }
        poll = await watchers["moderator"].op(
            "poll.create", kind="single", question="Bus lane?", options=["Yes", "No"]
        )
        poll_id = poll["poll_id"]
        await watchers["moderator"].op("poll.open", poll_id=poll_id)
        await watchers["moderator"].op("poll.reveal", poll_id=poll_id)
        people: list[dict[str, Any]] = []
        for district, count in PEOPLE.items():
            for i in range(count):
                person = join(server.http, code, name=f"{district[:1]}{i}", district=district)
                person["district"] = district
                people.append(person)
                client = await Client.open(server.ws, code, person["participant_token"])
                ack = await client.op("vote", poll_id=poll_id, choice=i % 2)
                assert ack["type"] == "ack", ack
                await client.close()
        lone = next(p for p in people if p["district"] == LONE)
        banned = await watchers["moderator"].op(
            "participant.ban", participant_id=lone["participant_id"], reason="spam"
        )
        assert banned["type"] == "ack", banned
        for c in watchers.values():  # every view has had all eight ballots
            await c.wait_for(lambda f: (results_of(f, poll_id) or {}).get("voters") == 8)
        await watchers["moderator"].wait_for(lambda f: f.get("type") == "participant.banned")
        frames = {name: list(c.frames) for name, c in watchers.items()}
        for c in watchers.values():
            await c.close()
        return {**room, "poll_id": poll_id, "people": people, "frames": frames}

    return asyncio.run(run())


def test_the_report_json_merges_the_lone_district(
    server: LiveServer, meeting: dict[str, Any]
) -> None:
    r = httpx.get(
        f"{server.http}/api/rooms/{meeting['code']}/report",
        headers=_auth(meeting["moderator_token"]),
    )
    assert r.status_code == 200
    report = r.json()
    # Tinyville (1) alone would be "other": Southgate (3, the smallest shown) joins it.
    assert report["participants"]["by_district"] == [
        {"district": "Northfield", "other": False, "joined": 4},
        {"district": None, "other": True, "joined": 4},
    ]
    (poll,) = report["polls"]
    rows = poll["by_district"]["rows"]
    assert [(row["district"], row["other"], row["results"]["voters"]) for row in rows] == [
        ("Northfield", False, 4),
        (None, True, 4),
    ]
    del report["room"]["districts"]  # the configured list, as above
    assert LONE not in json.dumps(report)


def test_the_report_page_never_names_it(server: LiveServer, meeting: dict[str, Any]) -> None:
    page = httpx.get(
        f"{server.http}/r/{meeting['code']}/report?token={meeting['moderator_token']}",
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert "Northfield" in page.text and "other (smaller groups together)" in page.text
    assert LONE not in page.text and "Southgate" not in page.text


@pytest.mark.parametrize("view", ["screen", "embed", "moderator"])
def test_snapshots_and_live_frames_carry_no_district(
    server: LiveServer, meeting: dict[str, Any], view: str
) -> None:
    token = meeting[f"{view}_token"]
    snapshot = httpx.get(f"{server.http}/api/rooms/{meeting['code']}", headers=_auth(token))
    assert snapshot.status_code == 200
    assert snapshot.json()["room"]["settings"]["districts"] == DISTRICTS  # the form's list
    assert not _shows_lone(snapshot.json())
    frames = meeting["frames"][view]
    assert any(f.get("type") == "snapshot" for f in frames)
    if view == "moderator":  # the ban reached the moderators as a participant frame
        assert any(f.get("type") == "participant.banned" for f in frames)
    assert not _shows_lone(frames)


def test_another_attendee_sees_no_district(server: LiveServer, meeting: dict[str, Any]) -> None:
    other = next(p for p in meeting["people"] if p["district"] == "Northfield")
    snapshot = httpx.get(
        f"{server.http}/api/rooms/{meeting['code']}", headers=_auth(other["participant_token"])
    )
    assert snapshot.status_code == 200 and not _shows_lone(snapshot.json())


@pytest.mark.parametrize("page", ["screen", "embed"])
def test_screen_and_overlay_pages(server: LiveServer, meeting: dict[str, Any], page: str) -> None:
    token = meeting[f"{page}_token"]
    r = httpx.get(f"{server.http}/r/{meeting['code']}/{page}?token={token}", follow_redirects=True)
    assert r.status_code == 200 and "Bus lane?" in r.text
    assert LONE not in r.text


def test_csv_exports(server: LiveServer, meeting: dict[str, Any]) -> None:
    base = f"{server.http}/api/rooms/{meeting['code']}/export"
    poll_id = meeting["poll_id"]
    for path in ("questions.csv", f"polls/{poll_id}.csv", f"polls/{poll_id}-ballots.csv"):
        r = httpx.get(f"{base}/{path}", headers=_auth(meeting["moderator_token"]))
        assert r.status_code == 200, path
        assert LONE not in r.text, path


def _cli(*args: str, server: LiveServer) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOWNHALL_DATA_DIR": str(server.data_dir)}
    env.pop("TOWNHALL_STORE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "server.tools.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_the_files_the_cli_writes(
    server: LiveServer, meeting: dict[str, Any], tmp_path: Path
) -> None:
    code = meeting["code"]
    out = tmp_path / "out"
    assert _cli("export", code, "--out", str(out), server=server).returncode == 0
    for path in out.iterdir():
        if path.suffix == ".jsonl":
            continue  # the log itself: who joined where (personal data, see SECURITY.md)
        text = path.read_text(encoding="utf-8")
        if path.name.endswith("-report.json"):
            report = json.loads(text)
            del report["room"]["districts"]
            text = json.dumps(report)
        assert LONE not in text, path.name
    html = _cli("report", code, "--format", "html", server=server)
    assert html.returncode == 0 and "Northfield" in html.stdout
    assert LONE not in html.stdout


# -- the server-wide default -------------------------------------------------------------------


def test_the_servers_default_cell_size_applies_to_rooms_created_without_one(
    tmp_path: Path,
) -> None:
    from server.config import ConfigError, load_settings
    from server.edge.membership import _with_default_cell_size

    base = {"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "s" * 32}
    assert load_settings(base).min_cell_size == 5
    assert load_settings({**base, "TOWNHALL_MIN_CELL_SIZE": "8"}).min_cell_size == 8
    with pytest.raises(ConfigError, match="TOWNHALL_MIN_CELL_SIZE must be an integer from 3"):
        load_settings({**base, "TOWNHALL_MIN_CELL_SIZE": "2"})
    # What create_room hands the room: the default beside the title, or inside "settings",
    # and never over the organiser's own value.
    assert _with_default_cell_size({"title": "T"}, 8) == {"min_cell_size": 8, "title": "T"}
    nested = _with_default_cell_size({"title": "T", "settings": {"districts": ["N"]}}, 8)
    assert nested["settings"] == {"min_cell_size": 8, "districts": ["N"]}
    assert _with_default_cell_size({"title": "T", "min_cell_size": 4}, 8)["min_cell_size"] == 4
    own = _with_default_cell_size({"settings": {"min_cell_size": 4}}, 8)
    assert own["settings"]["min_cell_size"] == 4


def test_a_room_created_over_http_gets_the_default(server: LiveServer) -> None:
    room = create_room(server.http, "Defaults", districts=["N"])
    snapshot = httpx.get(
        f"{server.http}/api/rooms/{room['code']}", headers=_auth(room["moderator_token"])
    ).json()
    assert snapshot["room"]["settings"]["min_cell_size"] == 5
    refused = httpx.post(f"{server.http}/api/rooms", json={"title": "x", "min_cell_size": 1})
    assert refused.status_code == 400 and "min_cell_size" in refused.json()["error"]["message"]
