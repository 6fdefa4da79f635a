"""One request, one token verification: the attendee page and the fragments its script fetches
look at the verified cookie before the room (the budgets, the banned notice) and then admit
the caller on those same claims, never verifying the cookie a second time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import build_app
from server.config import load_settings
from server.edge import gate, tokens
from server.edge.auth import cookie_name


@pytest.fixture()
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rooms of the tokens verified, one entry per verification."""
    seen: list[str] = []
    real = tokens.verify

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["room"])
        return real(*args, **kwargs)

    monkeypatch.setattr(gate, "verify", counting)
    return seen


def test_the_attendee_page_and_its_fragments_verify_the_cookie_once(
    tmp_path: Path, verifications: list[str]
) -> None:
    settings = load_settings({"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "x" * 32})
    app = build_app(settings)

    async def visit() -> None:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            made = await client.post("/api/rooms", json={"title": "Once"})
            assert made.status_code == 201, made.text
            code = made.json()["code"]
            joined = await client.post(f"/api/rooms/{code}/join", json={"name": "Ana"})
            assert joined.status_code == 200, joined.text
            client.cookies.set(cookie_name(code), joined.json()["participant_token"])
            for path in (f"/r/{code}", f"/r/{code}/live", f"/r/{code}/mine"):
                verifications.clear()
                page = await client.get(path)
                assert page.status_code == 200, (path, page.text)
                assert verifications == [code], path
            # refused as before: a cookie that does not verify, checked once
            client.cookies.set(cookie_name(code), "forged")
            verifications.clear()
            refused = await client.get(f"/r/{code}/live")
            assert refused.status_code == 401 and verifications == [code]

    asyncio.run(visit())
