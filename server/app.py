"""The Starlette application: routes, lifespan (store, broker, hub), and the ASGI wrapper."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from server.broker import open_broker
from server.config import Settings, check_signing_key, load_settings
from server.edge import health, http_api
from server.edge.check_page import check_routes
from server.edge.docs_pages import docs_routes
from server.edge.export_routes import export_routes
from server.edge.interpret_pages import interpret_routes
from server.edge.metrics import metrics_endpoint
from server.edge.pages import page_routes
from server.edge.panel_pages import panel_routes
from server.edge.report_page import report_routes
from server.edge.runtime import Runtime
from server.edge.screen_page import screen_routes
from server.edge.unrouted import EXCEPTION_HANDLERS
from server.edge.ws_endpoint import websocket_endpoint
from server.filters import load_filters
from server.live.asgi import capture_raw_send
from server.live.gc_tuning import GcTender
from server.live.hub import Hub
from server.live.switch_interval import tune_switch_interval
from server.store import open_store

__all__ = ["build_app", "create_app"]


def create_app(settings: Settings | None = None) -> ASGIApp:
    return capture_raw_send(build_app(settings))


def build_app(settings: Settings | None = None) -> Starlette:
    """The application itself (its routes, for the API documents), before the ASGI wrapper."""
    settings = settings or load_settings()
    check_signing_key(settings)
    hub = Hub(
        settings, open_store(settings.store_url), open_broker(settings.broker_url), load_filters()
    )
    runtime = Runtime.build(settings, hub)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        switch_before = tune_switch_interval()  # acks never queue behind the fan-out's GIL
        gc_tender = GcTender()
        gc_tender.start()  # after loading the rooms: what they hold is frozen at once
        try:
            yield
        finally:
            await gc_tender.stop()
            sys.setswitchinterval(switch_before)
            await hub.stop()  # before uvicorn closes connections (tools/draining.py)
            await runtime.limiter.close()

    routes = [
        Route("/healthz", health.healthz),
        Route("/readyz", health.Readiness(settings, hub).endpoint),
        Route("/metrics", metrics_endpoint),
        Route("/api/rooms", http_api.create_room, methods=["POST"]),
        Route("/api/rooms/{code:str}", http_api.get_room),
        Route("/api/rooms/{code:str}/join", http_api.join_room, methods=["POST"]),
        Route("/api/rooms/{code:str}/ops", http_api.post_op, methods=["POST"]),
        Route("/api/rooms/{code:str}/transcript", http_api.transcript),
        Route("/api/rooms/{code:str}/security", http_api.security_report),
        WebSocketRoute("/ws/rooms/{code:str}", websocket_endpoint),
        *export_routes(),
        *report_routes(),
        *panel_routes(),
        *check_routes(),
        *screen_routes(),
        *interpret_routes(),
        *docs_routes(),
        *page_routes(),
    ]
    # With TOWNHALL_ALLOWED_HOSTS, any other Host header is refused (400) before it can be
    # reflected into a link or a QR code.
    middleware = (
        [Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))]
        if settings.allowed_hosts
        else []
    )
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.runtime = runtime
    return app
