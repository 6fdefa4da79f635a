"""Finding and checking the bearer token of a request or handshake."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

__all__ = ["cookie_name", "set_participant_cookie", "token_of"]


def cookie_name(code: str) -> str:
    return f"th_{code}"


def token_of(conn: HTTPConnection, code: str) -> str | None:
    """Authorization header first, then the `token` query parameter, then the room cookie."""
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    token = conn.query_params.get("token")
    if token:
        return token
    return conn.cookies.get(cookie_name(code))


def set_participant_cookie(response: Response, conn: HTTPConnection, code: str, token: str) -> None:
    """The attendee's identity in this room, for 30 days; scripts cannot read it."""
    response.set_cookie(
        cookie_name(code),
        token,
        max_age=30 * 86400,
        httponly=True,
        samesite="lax",
        secure=conn.url.scheme == "https",
    )
