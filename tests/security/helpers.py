"""Small helpers for the security suite: HTTP calls with a token, the room's seq and report."""

from __future__ import annotations

from typing import Any

import httpx

SECRET = b"test-secret-please-change"  # LiveServer's TOWNHALL_SECRET


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def snapshot(http: str, code: str, token: str) -> dict[str, Any]:
    response = httpx.get(f"{http}/api/rooms/{code}", headers=bearer(token), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def seq_of(http: str, code: str, token: str) -> int:
    return int(snapshot(http, code, token)["seq"])


def security_report(http: str, code: str, token: str) -> dict[str, Any]:
    response = httpx.get(f"{http}/api/rooms/{code}/security", headers=bearer(token), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def post_op(http: str, code: str, token: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{http}/api/rooms/{code}/ops", json=body, headers=bearer(token), timeout=10)
