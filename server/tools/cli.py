"""`townhall`: serve, config, and the transcript tools (export, verify, report, replay)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from server.config import (
    ConfigError,
    Settings,
    check_setting,
    describe,
    load_settings,
    unknown_names,
)
from server.version import version

__all__ = ["main", "serve", "show_config"]

CONFIG_ERROR = 2  # exit status of a refused setting, as for a bad command line
STARTUP_FAILURE = 3  # uvicorn's, when the application cannot start


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
    from server.tools.draining import DrainingServer

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
    config = uvicorn.Config(
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
    # Commits and acks first, then 1012 to every socket: uvicorn alone closes them first.
    server = DrainingServer(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:  # as uvicorn.run: the app did not start (a store it cannot open)
        sys.exit(STARTUP_FAILURE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="townhall", description=__doc__)
    parser.add_argument("--version", action="version", version=f"townhall {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve HTTP and WebSockets")
    run.add_argument("--host", help="default: HOST, else 127.0.0.1")
    run.add_argument("--port", type=int, help="default: PORT, else 8000")
    commands.add_parser("config", help="print the effective settings (secrets masked)")
    migrate = commands.add_parser("migrate", help="apply the store's pending schema steps")
    migrate.add_argument("--status", action="store_true", help="only say what is pending")
    from server.tools import transcript_cli

    transcript_cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command not in ("serve", "config", "migrate"):
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
        elif args.command == "migrate":
            from server.store import StoreUnavailable
            from server.tools.migrate import migrate as run_migrate

            try:
                print(run_migrate(settings.store_url, status=args.status))
            except StoreUnavailable as error:
                print(f"townhall: {error}", file=sys.stderr)
                return 1
        else:
            serve(settings, args.host, args.port)
    except ConfigError as error:
        print(f"townhall: {error}", file=sys.stderr)
        return CONFIG_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
