"""Configuration from the environment, Procfile style. Every knob has a safe default."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from rooms.op_memory import RECENT_OPS
from server.store.files import FILE_MODE, private_dir, private_file

__all__ = ["Settings", "default_store_url", "load_settings"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_frame_bytes: int = 64 * 1024
    ops_per_second: float = 10.0  # sustained per connection
    ops_burst: int = 30
    flood_close_after: int = 100  # refused frames in a row before the socket is closed (1008)
    joins_per_minute_per_ip: float = 30.0
    joins_burst_per_ip: int = 20
    creates_per_minute_per_ip: float = 5.0
    sockets_per_ip: int = 500
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
    secret: bytes = b""
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
    # /readyz fails when less than this is free where the SQLite file lives (or the data dir).
    min_free_disk_mb: int = 200
    # The chain's tail check: entries per hosted room, and seconds between sweeps.
    chain_check_entries: int = 200
    chain_check_interval_s: float = 300.0
    limits: Limits = field(default_factory=Limits)

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
        limits=limits,
    )
