"""What every page response carries (CSP and friends) and the CSRF check for form posts.

CSRF is refused twice over: a browser's cross-site post carries a foreign `Origin` (checked
here), and it cannot read our double-submit cookie to copy it into the form field.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "csrf_ok", "csrf_token", "remember_csrf", "secure_headers"]

CSRF_COOKIE = "th_csrf"
CSRF_FIELD = "csrf"

# Only what the pages use: our own scripts, styles and sockets; QR codes are inline SVG.
R = TypeVar("R", bound=Response)

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors {ancestors}"
)


def secure_headers(response: R, *, embeddable: bool = False) -> R:
    """The overlay is meant for iframes and OBS, so only it may be framed by anyone."""
    response.headers["content-security-policy"] = _CSP.format(
        ancestors="*" if embeddable else "'none'"
    )
    if not embeddable:
        response.headers["x-frame-options"] = "DENY"
    response.headers["x-content-type-options"] = "nosniff"
    # Not "no-referrer": with it browsers send `Origin: null` on our own form posts.
    response.headers["referrer-policy"] = "same-origin"  # tokens never leak to other sites
    response.headers["cache-control"] = "no-store"
    return response


def csrf_token(request: Request) -> str:
    """The request's token: the cookie's if it has one, else a fresh one (set by `remember`)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 64 and existing.isascii():
        return existing
    cached: str | None = getattr(request.state, "csrf", None)
    if cached is None:
        cached = secrets.token_urlsafe(24)
        request.state.csrf = cached
    return cached


def remember_csrf(request: Request, response: Response) -> None:
    if request.cookies.get(CSRF_COOKIE) != csrf_token(request):
        response.set_cookie(
            CSRF_COOKIE,
            csrf_token(request),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=30 * 86400,
        )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Old browsers and some privacy settings omit Origin; fall back to Referer's host.
        referer = request.headers.get("referer")
        if referer is None:
            return origin is None  # "null" comes from sandboxed frames: refuse
        origin = referer
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not _same_origin(request):
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
