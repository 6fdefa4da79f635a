"""Configuration from the environment, Procfile style. Every knob has a safe default."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from rooms.op_memory import RECENT_OPS
from server.edge.tokens import Keyring, key_id
from server.store.files import FILE_MODE, private_dir, private_file

__all__ = ["ConfigError", "Settings", "check_signing_key", "default_store_url", "load_settings"]


class ConfigError(Exception):
    """The configuration cannot serve safely; the message names the setting to fix."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_frame_bytes: int = 64 * 1024
    max_attendee_frame_bytes: int = 8 * 1024  # refused before decoding: attendee ops are small
    ops_per_second: float = 10.0  # sustained per connection, and per person across them
    ops_burst: int = 30
    # Per person across all their sockets, and per address across everyone behind it (a
    # venue's Wi-Fi: hundreds of people), counted before a frame is decoded.
    bytes_per_second_per_participant: float = 16 * 1024
    bytes_burst_per_participant: int = 32 * 1024
    ops_per_second_per_ip: float = 500.0
    ops_burst_per_ip: int = 1000
    bytes_per_second_per_ip: float = 1024 * 1024
    bytes_burst_per_ip: int = 1024 * 1024  # bounds the opening burst many sockets can send
    flood_close_after: int = 100  # refused frames in a row before the socket is closed (1008)
    # New participants from one address (IPv6: one /64), shared by every process through
    # Redis at scale: a chamber of 300 on one guest Wi-Fi gets into its room within a minute;
    # a script making thousands a minute is slowed to these rates and flagged.
    joins_per_minute_per_room_ip: float = 300.0
    joins_burst_per_room_ip: int = 300
    joins_per_minute_per_ip: float = 600.0  # across all rooms
    joins_burst_per_ip: int = 600
    # Wrong access or attendee codes per room and address: this many free, then each one
    # doubles the wait (1 s, 2 s, 4 s ...) up to the cap.
    code_failures_free: int = 5
    code_backoff_max_s: float = 300.0
    creates_per_minute_per_ip: float = 5.0
    creates_burst_per_ip: int = 10
    downloads_per_minute_per_ip: float = 10.0  # anonymous downloads of a published transcript
    # A council chamber on one guest Wi-Fi is hundreds of phones behind one address.
    sockets_per_ip: int = 1000
    sockets_per_participant: int = 8  # tabs and devices of one person in one room
    # HTTP connections one address may hold open (before any WebSocket upgrade), and how long
    # a connection may take to send its request headers: slowloris gets neither.
    connections_per_ip: int = 1000
    header_timeout_s: float = 10.0
    body_timeout_s: float = 20.0  # to send a (size-capped) request body
    socket_soft_buffer: int = 256 * 1024  # past this a socket is skipped (it lags)
    # Past this the socket is closed (4008) at once, whatever it is sent: a client that stops
    # reading while still sending ops must not grow its acks without bound.
    socket_hard_buffer: int = 1024 * 1024
    lag_close_seconds: float = 15.0
    # Kernel send buffer per socket in bytes (0: the OS default, which Linux auto-tunes up to
    # 4 MiB). A small one bounds kernel memory per phone and lets a stuck reader show sooner.
    socket_sndbuf: int = 0
    resume_window_ticks: int = 512
    # Ops decided but not yet committed, per room. Past this the room answers `server.busy`
    # at once instead of queueing without bound: latency stays bounded under overload.
    max_pending_ops: int = 5000
    # Op results a room keeps for retries (rooms/op_memory.py); older op_ids are checked in
    # the store. About 300 bytes each.
    recent_ops: int = RECENT_OPS
    # A room with no sockets, nothing in flight and no timed poll running is unloaded after
    # this many idle seconds (snapshot saved, broker unsubscribed); the next visit reloads it.
    room_unload_after_s: float = 900.0


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    store_url: str = "sqlite:///data/townhall.db"
    broker_url: str = "memory://"
    secret: bytes = b""  # signs new tokens
    old_secrets: tuple[bytes, ...] = ()  # still verify tokens they signed (key rotation)
    allowed_origins: tuple[str, ...] = ()
    data_dir: Path = Path("data")
    public_url: str = ""  # how attendees reach us (for links and QR codes); empty: from Host
    tick_min_ms: int = 50
    tick_max_ms: int = 200
    # Entries between persisted snapshots. Snapshotting runs on the event loop and replay runs at
    # about 50k entries/s, so 20k keeps a restart under half a second per room and the cost small.
    snapshot_every: int = 20_000
    active_days: int = 7  # rooms touched within this many days are rebuilt at start
    room_creation_key: str = ""  # when set, POST /api/rooms needs it as a Bearer token
    # /readyz fails when less than this is free where the SQLite file lives.
    min_free_disk_mb: int = 200
    # The chain's tail check: entries per hosted room, and seconds between sweeps.
    chain_check_entries: int = 200
    chain_check_interval_s: float = 300.0
    # Proxies (nginx) whose X-Forwarded-For names the client; empty: the header is ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Host names the server answers to; empty: any (links then come from Host: set
    # TOWNHALL_PUBLIC_URL or this in production, see docs/DEPLOY.md).
    allowed_hosts: tuple[str, ...] = ()
    # /metrics: loopback only unless a bearer token is set (or `public`).
    metrics_token: str = ""
    limits: Limits = field(default_factory=Limits)

    @property
    def keyring(self) -> Keyring:
        return Keyring(self.secret, self.old_secrets)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _secret(data_dir: Path, configured: str) -> bytes:
    """TOWNHALL_SECRET wins; otherwise a random key kept in the data folder across restarts,
    readable by the server's user only (0600, in a 0700 folder)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    private_dir(data_dir)
    if path.exists():
        private_file(path)
        return path.read_bytes().strip()
    key = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    private_file(path)  # O_CREAT's mode passed through the umask; make sure
    return key


def _limits_from(env: dict[str, str]) -> Limits:
    """Every limit can be tuned as TOWNHALL_LIMIT_<NAME>, e.g. TOWNHALL_LIMIT_OPS_PER_SECOND=20."""
    limits = Limits()
    changes: dict[str, float | int] = {}
    for name in Limits.__dataclass_fields__:
        raw = env.get(f"TOWNHALL_LIMIT_{name.upper()}")
        if raw is not None:
            kind = type(getattr(limits, name))
            changes[name] = kind(raw)
    return replace(limits, **changes)  # type: ignore[arg-type]


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def default_store_url(env: dict[str, str] | None = None) -> str:
    """TOWNHALL_STORE_URL, else the SQLite file `serve` uses (without touching the secret)."""
    env = dict(os.environ) if env is None else env
    data_dir = env.get("TOWNHALL_DATA_DIR", "data")
    return env.get("TOWNHALL_STORE_URL", f"sqlite:///{data_dir}/townhall.db")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("TOWNHALL_DATA_DIR", "data"))
    if data_dir.is_dir():
        private_dir(data_dir)  # ours: the transcript, the key, snapshots (0700)
    limits = _limits_from(env)
    origins = tuple(
        o.strip().rstrip("/")
        for o in env.get("TOWNHALL_ALLOWED_ORIGINS", "").split(",")
        if o.strip()
    )
    return Settings(
        host=env.get("HOST", "127.0.0.1"),
        port=int(env.get("PORT", "8000")),
        store_url=default_store_url(env),
        broker_url=env.get("TOWNHALL_BROKER_URL", "memory://"),
        secret=_secret(data_dir, env.get("TOWNHALL_SECRET", "")),
        old_secrets=tuple(
            s.strip().encode() for s in env.get("TOWNHALL_OLD_SECRETS", "").split(",") if s.strip()
        ),
        allowed_origins=origins,
        data_dir=data_dir,
        public_url=env.get("TOWNHALL_PUBLIC_URL", "").rstrip("/"),
        tick_min_ms=int(env.get("TOWNHALL_TICK_MIN_MS", "50")),
        tick_max_ms=int(env.get("TOWNHALL_TICK_MAX_MS", "200")),
        snapshot_every=int(env.get("TOWNHALL_SNAPSHOT_EVERY", "20000")),
        room_creation_key=env.get("TOWNHALL_ROOM_CREATION_KEY", ""),
        min_free_disk_mb=int(env.get("TOWNHALL_MIN_FREE_DISK_MB", "200")),
        chain_check_entries=int(env.get("TOWNHALL_CHAIN_CHECK_ENTRIES", "200")),
        chain_check_interval_s=float(env.get("TOWNHALL_CHAIN_CHECK_INTERVAL_S", "300")),
        trusted_proxies=_list(env.get("TOWNHALL_TRUSTED_PROXIES", "")),
        allowed_hosts=_list(env.get("TOWNHALL_ALLOWED_HOSTS", "")),
        metrics_token=env.get("TOWNHALL_METRICS_TOKEN", ""),
        limits=limits,
    )


KEY_ID_FILE = "signing-key.id"


def check_signing_key(settings: Settings) -> None:
    """Refuse to start when the signing key changed without the old one listed.

    A new key silently invalidates every token: each attendee's cookie stops working, they
    join again as a new person, and can vote again. So the id of the key in use is kept in
    the data folder; a start with another key must list the previous one in
    TOWNHALL_OLD_SECRETS (rotation), or the operator removes the file knowingly.
    """
    path = settings.data_dir / KEY_ID_FILE
    current = key_id(settings.secret)
    if path.exists():
        private_file(path)
        known = path.read_text(encoding="ascii").strip()
        if known != current and known not in {key_id(old) for old in settings.old_secrets}:
            raise ConfigError(
                "TOWNHALL_SECRET is not the key this server signed its tokens with (id "
                f"{known}). Every attendee would become a new person able to vote again. To "
                "rotate keys, keep the previous key in TOWNHALL_OLD_SECRETS; to start over "
                f"knowingly, delete {path}."
            )
    if not path.exists() or path.read_text(encoding="ascii").strip() != current:
        private_dir(settings.data_dir)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(current + "\n")
