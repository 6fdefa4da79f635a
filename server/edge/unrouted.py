"""Requests no route takes: an unknown address, or a known one with the wrong method.

Under `/api/` the answer is the documented JSON error (`route.not_found` 404, `route.method`
405 with `Allow`), so an integrator's client reads every refusal the same way; elsewhere a
person gets the HTML page that says the link is not valid. Starlette raises an
`HTTPException` for both (its router for an unknown path, a route for a wrong method, the
static files for a missing file); these are its handlers.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from rooms import CommandError
from server.edge.http_api import error_response
from server.edge.pages import refusal_page

__all__ = ["EXCEPTION_HANDLERS", "unrouted"]

_CODES = {404: "route.not_found", 405: "route.method"}


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


async def unrouted(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = CommandError(_CODES[exc.status_code])
    response: Response = (
        error_response(error) if is_api(request.url.path) else refusal_page(request, error)
    )
    # The route's own Allow (a 405), so a client can see which methods the address takes.
    response.headers.update(exc.headers or {})
    return response


EXCEPTION_HANDLERS = {status: unrouted for status in _CODES}
