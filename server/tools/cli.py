"""`townhall`: serve, and the transcript tools (export, verify, report, replay)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

__all__ = ["main", "serve"]


def serve(host: str, port: int) -> None:
    import uvicorn

    from server.app import create_app
    from server.config import ConfigError, load_settings
    from server.edge.addresses import AddressPolicy
    from server.edge.connection_guard import guarded_http_protocol

    settings = load_settings()
    if os.environ.get("TOWNHALL_TRACEMALLOC"):
        from server.tools.memtrace import install

        install(os.environ["TOWNHALL_TRACEMALLOC"])
    try:
        app = create_app(settings.with_(host=host, port=port))
    except ConfigError as error:
        raise SystemExit(f"townhall: {error}") from None
    addresses = AddressPolicy.trusting(settings.trusted_proxies)
    if host not in ("127.0.0.1", "::1", "localhost") and not (
        settings.public_url or settings.allowed_hosts
    ):
        logging.getLogger("townhall").warning(
            "serving on %s with neither TOWNHALL_PUBLIC_URL nor TOWNHALL_ALLOWED_HOSTS: links "
            "and QR codes take their host from each request's Host header (docs/DEPLOY.md)",
            host,
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        # Connections per address and a deadline for request headers (slowloris), on
        # uvicorn's httptools protocol; X-Forwarded-For is read by the edge, from trusted
        # proxies only (TOWNHALL_TRUSTED_PROXIES), never by uvicorn's own default.
        http=guarded_http_protocol(settings.limits, addresses),
        proxy_headers=False,
        timeout_keep_alive=5,
        ws="websockets-sansio",
        ws_max_size=settings.limits.max_frame_bytes,
        ws_per_message_deflate=False,  # frames are encoded once and shared: no per-socket deflate
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        lifespan="on",
        log_level=os.environ.get("TOWNHALL_LOG_LEVEL", "info").lower(),
        log_config=None,  # server.logs has set up every logger, uvicorn's included
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="townhall", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve HTTP and WebSockets")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    from server.tools import transcript_cli

    transcript_cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command != "serve":
        return transcript_cli.run(args)
    from server.logs import configure_logging

    configure_logging(os.environ.get("TOWNHALL_LOG_LEVEL", "info"))
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
