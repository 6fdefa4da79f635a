"""Configuration from the environment, Procfile style. Every knob has a safe default."""

from __future__ import annotations

import difflib
import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rooms.op_memory import RECENT_OPS
from server.edge.addresses import parse_networks
from server.edge.tokens import Keyring, key_id
from server.store import sqlite_path
from server.store.files import FILE_MODE, private_dir, private_file

__all__ = [
    "KNOBS",
    "ConfigError",
    "Settings",
    "check_setting",
    "check_signing_key",
    "default_data_dir",
    "default_store_url",
    "describe",
    "load_settings",
    "mask_url",
    "unknown_names",
]


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
    # The attendee page's fragments (server/edge/fragment_budgets.py). Per person: the page
    # script asks for /live at most once a second and for /mine one at a time, so 4 a second
    # leaves room for tabs and devices. Per address: a chamber of hundreds of phones on one
    # guest Wi-Fi, each refreshing once a second when the room is busy (/live is a cached
    # answer or a 304; /mine is rendered for the person, after their own actions).
    live_per_second_per_participant: float = 4.0
    live_burst_per_participant: int = 20
    live_per_second_per_ip: float = 1000.0
    live_burst_per_ip: int = 2000
    mine_per_second_per_participant: float = 4.0
    mine_burst_per_participant: int = 20
    mine_per_second_per_ip: float = 500.0
    mine_burst_per_ip: int = 1000
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
    # And at most this many bytes of them per view (both encodings): a busy Q&A room's
    # ticks are kilobytes each, and every room keeps four rings. Past either bound a phone
    # coming back gets a fresh snapshot instead (server/live/resume.py).
    resume_window_bytes: int = 256 * 1024
    # Ops decided but not yet committed, per room. Past this the room answers `server.busy`
    # at once instead of queueing without bound: latency stays bounded under overload.
    max_pending_ops: int = 5000
    # Past this many, an attendee's socket is not read until the room's writer takes the
    # next batch (server/live/intake_gate.py): the crowd waits in TCP, unrefused, and staff
    # ops still get through. One group commit's worth (server/live/room_host.py MAX_BATCH).
    intake_hold_ops: int = 2000
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
    store_url: str = "sqlite:///data/townhall.db"  # load_settings: under data_dir
    broker_url: str = "memory://"
    secret: bytes = b""  # signs new tokens
    old_secrets: tuple[bytes, ...] = ()  # still verify tokens they signed (key rotation)
    allowed_origins: tuple[str, ...] = ()
    data_dir: Path = Path("data")
    public_url: str = ""  # how attendees reach us (for links and QR codes); empty: from Host
    tick_min_ms: int = 50
    # Who writes the tick's shared frames: a worker thread with the GIL released ("thread",
    # server/live/thread_fanout.py, where the C module was built) or the event loop ("loop").
    fanout_writer: str = "thread"
    # A frame for fewer sockets than this is written by the loop even so: one round trip
    # through the worker costs a turn of a busy loop (several ms), more than the loop's own
    # writes to a small room (~2 ms for 250), and a tick sends each room's frames in turn.
    fanout_worker_from: int = 250
    tick_max_ms: int = 200
    # Entries between persisted snapshots. Snapshotting runs on the event loop and replay runs at
    # about 50k entries/s, so 20k keeps a restart under half a second per room and the cost small.
    snapshot_every: int = 20_000
    active_days: int = 7  # rooms touched within this many days are rebuilt at start
    room_creation_key: str = ""  # when set, POST /api/rooms needs it as a Bearer token
    # Closed rooms quiet this many days lose their personal data (server/live/retention.py);
    # 0 keeps it until an organiser erases it.
    retention_days: int = 0
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
    # The minimum cell size of rooms created without one: no breakdown by district shows a
    # smaller group (rooms/districts.py). Rooms keep theirs; organisers may set their own.
    min_cell_size: int = 5
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


# -- reading and checking the environment ----------------------------------------------------
# Each setting is one row: its variable, the Settings field it fills and how its text is read.
# A reader returns the value or raises ConfigError naming the variable and what it accepts;
# `townhall serve` prints that and exits with status 2 before anything starts.


@dataclass(frozen=True, slots=True)
class Number:
    """An int or float within [low, high] (or above low, when `above`); finite."""

    kind: type[int] | type[float]
    low: float
    high: float = math.inf
    above: bool = False

    @property
    def rule(self) -> str:
        noun = "an integer" if self.kind is int else "a number"
        low = int(self.low) if self.kind is int else self.low
        if self.high != math.inf:
            return f"{noun} from {low} to {int(self.high) if self.kind is int else self.high}"
        return f"{noun} above {low}" if self.above else f"{noun} of at least {low}"

    def __call__(self, name: str, raw: str) -> int | float:
        try:
            value = self.kind(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be {self.rule}, not {raw!r}") from None
        low_ok = value > self.low if self.above else value >= self.low
        if not (math.isfinite(value) and low_ok and value <= self.high):
            raise ConfigError(f"{name} must be {self.rule}, not {raw!r}")
        return value


Reader = Callable[[str, str], object]

COUNT = Number(int, 1)  # a size, a burst, a number of things: at least one
ZERO_OK = Number(int, 0)
RATE = Number(float, 0, above=True)  # a rate or a duration: above zero
MIN_SECRET = 16  # characters; `secrets.token_urlsafe(48)` (the generated key) has 64


def _text(name: str, raw: str) -> str:
    if not raw.strip():
        raise ConfigError(f"{name} must not be empty")
    return raw.strip()


def _items(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _key(name: str, raw: str) -> str:
    if len(raw.strip()) < MIN_SECRET:
        raise ConfigError(f"{name} must be at least {MIN_SECRET} characters long")
    return raw.strip()


def _optional_key(name: str, raw: str) -> str:
    """Empty: off; otherwise a key long enough not to be guessed."""
    return _key(name, raw) if raw.strip() else ""


def _metrics_token(name: str, raw: str) -> str:
    return raw.strip() if raw.strip() in ("", "public") else _key(name, raw)


def _old_secrets(name: str, raw: str) -> tuple[bytes, ...]:
    return tuple(_key(name, part).encode() for part in _items(raw))


def _web_url(name: str, raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// URL, not {raw!r}")
    return url


def _public_url(name: str, raw: str) -> str:
    return _web_url(name, raw) if raw.strip() else ""


def _origins(name: str, raw: str) -> tuple[str, ...]:
    return tuple(_web_url(name, part) for part in _items(raw))


def _hosts(name: str, raw: str) -> tuple[str, ...]:
    hosts = _items(raw)
    for host in hosts:
        if "/" in host or " " in host:
            raise ConfigError(f"{name} must list host names (example.org), not {host!r}")
    return hosts


def _proxies(name: str, raw: str) -> tuple[str, ...]:
    try:
        parse_networks(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must list addresses or networks: {error}") from None
    return _items(raw)


def _scheme_url(*schemes: str) -> Reader:
    def read(name: str, raw: str) -> str:
        if urlsplit(raw.strip()).scheme.lower() not in schemes:
            allowed = ", ".join(f"{s}://" for s in schemes)
            raise ConfigError(f"{name} must be a URL starting with {allowed}: {mask_url(raw)!r}")
        if raw.startswith("sqlite:"):
            try:
                sqlite_path(raw.strip())
            except ValueError as error:
                raise ConfigError(f"{name}: {error}") from None
        return raw.strip()

    return read


def _choice(*choices: str) -> Reader:
    def read(name: str, raw: str) -> str:
        if raw.strip().lower() not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
        return raw.strip().lower()

    return read


@dataclass(frozen=True, slots=True)
class Knob:
    env: str
    field: str | None  # None: read elsewhere (logging), checked here all the same
    read: Reader
    secret: bool = False  # `townhall config` masks it


KNOBS: tuple[Knob, ...] = (
    Knob("HOST", "host", _text),
    Knob("PORT", "port", Number(int, 1, 65535)),
    Knob("TOWNHALL_DATA_DIR", None, _text),  # read first: the store and the key live there
    Knob("TOWNHALL_STORE_URL", "store_url", _scheme_url("sqlite", "postgresql", "postgres")),
    Knob(
        "TOWNHALL_BROKER_URL",
        "broker_url",
        _scheme_url("memory", "redis", "rediss", "redis+cluster", "rediss+cluster"),
    ),
    Knob("TOWNHALL_SECRET", None, _optional_key, secret=True),  # empty: data/secret.key
    Knob("TOWNHALL_OLD_SECRETS", "old_secrets", _old_secrets, secret=True),
    Knob("TOWNHALL_ALLOWED_ORIGINS", "allowed_origins", _origins),
    Knob("TOWNHALL_PUBLIC_URL", "public_url", _public_url),
    Knob("TOWNHALL_TICK_MIN_MS", "tick_min_ms", Number(int, 1, 60_000)),
    Knob("TOWNHALL_TICK_MAX_MS", "tick_max_ms", Number(int, 1, 60_000)),
    Knob("TOWNHALL_FANOUT_WRITER", "fanout_writer", _choice("thread", "loop")),
    Knob("TOWNHALL_FANOUT_WORKER_FROM", "fanout_worker_from", ZERO_OK),
    Knob("TOWNHALL_SNAPSHOT_EVERY", "snapshot_every", COUNT),
    Knob("TOWNHALL_ACTIVE_DAYS", "active_days", ZERO_OK),
    Knob("TOWNHALL_ROOM_CREATION_KEY", "room_creation_key", _optional_key, secret=True),
    Knob("TOWNHALL_MIN_FREE_DISK_MB", "min_free_disk_mb", ZERO_OK),
    Knob("TOWNHALL_RETENTION_DAYS", "retention_days", Number(int, 0, 36_500)),
    Knob("TOWNHALL_CHAIN_CHECK_ENTRIES", "chain_check_entries", COUNT),
    Knob("TOWNHALL_CHAIN_CHECK_INTERVAL_S", "chain_check_interval_s", RATE),
    Knob("TOWNHALL_TRUSTED_PROXIES", "trusted_proxies", _proxies),
    Knob("TOWNHALL_ALLOWED_HOSTS", "allowed_hosts", _hosts),
    Knob("TOWNHALL_METRICS_TOKEN", "metrics_token", _metrics_token, secret=True),
    Knob("TOWNHALL_MIN_CELL_SIZE", "min_cell_size", Number(int, 3, 1000)),  # as the room setting
    Knob("TOWNHALL_LOG_LEVEL", None, _choice("debug", "info", "warning", "error", "critical")),
    Knob("TOWNHALL_LOG_FORMAT", None, _choice("text", "json")),
    Knob("TOWNHALL_TRACEMALLOC", None, _text),
)
# Limits whose floor is not "at least one" (ints) or "above zero" (floats).
LIMIT_READERS: Mapping[str, Number] = {
    "socket_sndbuf": ZERO_OK,  # 0: the OS default
    "code_failures_free": ZERO_OK,
}
# Pairs that must be ordered (smaller, larger), in Settings or in Limits.
ORDERED: tuple[tuple[str, str], ...] = (("tick_min_ms", "tick_max_ms"),)
ORDERED_LIMITS: tuple[tuple[str, str], ...] = (
    ("max_attendee_frame_bytes", "max_frame_bytes"),
    ("socket_soft_buffer", "socket_hard_buffer"),
)
LIMIT_PREFIX = "TOWNHALL_LIMIT_"
# Names other parts of the project read (the load test, the test suite): known, not typos.
OTHER_NAMES = frozenset(
    {
        "TOWNHALL_ROOM",
        "TOWNHALL_MODERATOR_TOKEN",
        "TOWNHALL_SCREEN_TOKEN",
        "TOWNHALL_TEST_REDIS_URL",
        "TOWNHALL_TEST_POSTGRES",
    }
)


def limit_env(name: str) -> str:
    return f"{LIMIT_PREFIX}{name.upper()}"


def _limit_reader(name: str) -> Number:
    default = getattr(Limits(), name)
    return LIMIT_READERS.get(name, COUNT if isinstance(default, int) else RATE)


def _check_order(
    values: object, pairs: tuple[tuple[str, str], ...], env: Callable[[str], str]
) -> None:
    for low, high in pairs:
        if getattr(values, low) > getattr(values, high):
            raise ConfigError(
                f"{env(low)} ({getattr(values, low)}) must not be above "
                f"{env(high)} ({getattr(values, high)})"
            )


def _limits_from(env: Mapping[str, str]) -> Limits:
    """Every limit can be tuned as TOWNHALL_LIMIT_<NAME>, e.g. TOWNHALL_LIMIT_OPS_PER_SECOND=20."""
    changes = {
        name: _limit_reader(name)(limit_env(name), env[limit_env(name)])
        for name in Limits.__dataclass_fields__
        if limit_env(name) in env
    }
    limits = replace(Limits(), **changes)  # type: ignore[arg-type]
    _check_order(limits, ORDERED_LIMITS, limit_env)
    return limits


def known_names() -> frozenset[str]:
    limits = {limit_env(name) for name in Limits.__dataclass_fields__}
    return frozenset({k.env for k in KNOBS if k.env.startswith("TOWNHALL_")} | limits | OTHER_NAMES)


def unknown_names(env: Mapping[str, str] | None = None) -> list[str]:
    """A sentence for each TOWNHALL_* variable nothing reads (a typo, most likely)."""
    env = os.environ if env is None else env
    known = known_names()
    found = []
    for name in sorted(n for n in env if n.startswith("TOWNHALL_") and n not in known):
        near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}?" if near else ""
        found.append(f"{name} is not a townhall setting and is ignored{hint}")
    return found


def default_data_dir(env: Mapping[str, str]) -> Path:
    """TOWNHALL_DATA_DIR, else the user's data folder (XDG): never the working folder, so
    `townhall report CODE` finds the store from anywhere. Made absolute once, at start."""
    given = env.get("TOWNHALL_DATA_DIR", "").strip()
    if given:
        return Path(given).expanduser().absolute()
    base = env.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base) / "townhall"


def default_store_url(env: Mapping[str, str] | None = None) -> str:
    """TOWNHALL_STORE_URL, else the SQLite file `serve` uses (without touching the secret)."""
    env = os.environ if env is None else env
    return env.get("TOWNHALL_STORE_URL") or f"sqlite:///{default_data_dir(env)}/townhall.db"


def mask_url(url: str) -> str:
    """`redis://:hunter2@host/0` -> `redis://:****@host/0`: for logs and `townhall config`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{name}:****@{host}"))


def check_setting(name: str, env: Mapping[str, str] | None = None) -> None:
    """Check one variable now (logging is set up before the rest is read)."""
    env = os.environ if env is None else env
    for knob in KNOBS:
        if knob.env == name and name in env:
            knob.read(name, env[name])


def _read_knobs(env: Mapping[str, str]) -> dict[str, object]:
    """Every row whose variable is set, read and checked; the fields they fill."""
    fields: dict[str, object] = {}
    for knob in KNOBS:
        if knob.env in env:
            value = knob.read(knob.env, env[knob.env])
            if knob.field is not None:
                fields[knob.field] = value
    return fields


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from the environment, each checked; ConfigError names the first bad one."""
    env = dict(os.environ if env is None else env)
    fields = _read_knobs(env)
    limits = _limits_from(env)
    data_dir = default_data_dir(env)
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"TOWNHALL_DATA_DIR must be a folder: {data_dir} is a file")
    if data_dir.is_dir():
        private_dir(data_dir)  # ours: the transcript, the key, snapshots (0700)
    fields.setdefault("store_url", default_store_url(env))
    settings = Settings(
        **fields,  # type: ignore[arg-type]
        secret=_secret(data_dir, env.get("TOWNHALL_SECRET", "").strip()),
        data_dir=data_dir,
        limits=limits,
    )
    _check_order(settings, ORDERED, lambda field: f"TOWNHALL_{field.upper()}")
    return settings


def _shown(knob: Knob, env: Mapping[str, str], settings: Settings) -> str:
    if knob.field is None:
        if knob.env == "TOWNHALL_DATA_DIR":
            return str(settings.data_dir)
        if knob.env == "TOWNHALL_SECRET":
            return "**** (set)" if env.get(knob.env) else f"**** ({settings.data_dir}/secret.key)"
        return env.get(knob.env, "(not set)")
    value = getattr(settings, knob.field)
    if knob.secret:
        return (
            f"**** ({len(value)} set)"
            if isinstance(value, tuple)
            else ("**** (set)" if value else "(not set)")
        )
    if isinstance(value, tuple):
        return ",".join(value) or "(none)"
    return (mask_url(value) if knob.field.endswith("_url") else str(value)) or "(not set)"


def describe(settings: Settings, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(variable, effective value) for `townhall config`, secrets and URL passwords masked."""
    env = os.environ if env is None else env
    rows = [(knob.env, _shown(knob, env, settings)) for knob in KNOBS]
    rows += [
        (limit_env(name), str(getattr(settings.limits, name)))
        for name in Limits.__dataclass_fields__
    ]
    return rows


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
