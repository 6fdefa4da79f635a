"""`townhall`: serve, config, and the transcript tools (export, verify, report, replay)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib import metadata

from server.config import (
    ConfigError,
    Settings,
    check_setting,
    describe,
    load_settings,
    unknown_names,
)

__all__ = ["main", "serve", "show_config"]

CONFIG_ERROR = 2  # exit status of a refused setting, as for a bad command line


def version() -> str:
    try:
        return metadata.version("townhall")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def show_config(settings: Settings) -> None:
    """The effective settings, one `NAME=value` a line, secrets masked."""
    for name, value in describe(settings):
        print(f"{name}={value}")


def serve(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from server.app import create_app
    from server.edge.addresses import AddressPolicy
    from server.edge.connection_guard import guarded_http_protocol
    from server.live.lean import LeanWebSocketProtocol

    host = host or settings.host
    port = port or settings.port
    if os.environ.get("TOWNHALL_TRACEMALLOC"):
        from server.tools.memtrace import install

        install(os.environ["TOWNHALL_TRACEMALLOC"])
    app = create_app(settings.with_(host=host, port=port))
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
        ws=LeanWebSocketProtocol,  # uvicorn's websockets-sansio, frames straight to the edge
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
    parser.add_argument("--version", action="version", version=f"townhall {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve HTTP and WebSockets")
    run.add_argument("--host", help="default: HOST, else 127.0.0.1")
    run.add_argument("--port", type=int, help="default: PORT, else 8000")
    commands.add_parser("config", help="print the effective settings (secrets masked)")
    from server.tools import transcript_cli

    transcript_cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command not in ("serve", "config"):
        return transcript_cli.run(args)
    from server.logs import configure_logging

    log = logging.getLogger("townhall")
    try:
        for name in ("TOWNHALL_LOG_LEVEL", "TOWNHALL_LOG_FORMAT"):  # before anything logs
            check_setting(name)
        configure_logging(os.environ.get("TOWNHALL_LOG_LEVEL", "info"))
        settings = load_settings()
        for warning in unknown_names():
            log.warning("%s", warning)
        if args.command == "config":
            show_config(settings)
        else:
            serve(settings, args.host, args.port)
    except ConfigError as error:
        print(f"townhall: {error}", file=sys.stderr)
        return CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
