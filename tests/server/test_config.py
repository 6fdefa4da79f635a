"""server/config.py: every setting checked at start, typos warned about, secrets masked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import (
    ConfigError,
    default_data_dir,
    describe,
    load_settings,
    mask_url,
    unknown_names,
)

KEY = "config-test-secret-0123456789"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": KEY, **extra}


REFUSED = {
    "a negative rate": (
        {"TOWNHALL_LIMIT_OPS_PER_SECOND": "-5"},
        "TOWNHALL_LIMIT_OPS_PER_SECOND must be a number above 0",
    ),
    "a zero burst": (
        {"TOWNHALL_LIMIT_OPS_BURST": "0"},
        "TOWNHALL_LIMIT_OPS_BURST must be an integer of at least 1",
    ),
    "not a number": (
        {"TOWNHALL_LIMIT_OPS_PER_SECOND": "fast"},
        "TOWNHALL_LIMIT_OPS_PER_SECOND must be a number above 0, not 'fast'",
    ),
    "not finite": (
        {"TOWNHALL_LIMIT_LAG_CLOSE_SECONDS": "inf"},
        "TOWNHALL_LIMIT_LAG_CLOSE_SECONDS must be",
    ),
    "a bad integer": (
        {"TOWNHALL_SNAPSHOT_EVERY": "1e4"},
        "TOWNHALL_SNAPSHOT_EVERY must be an integer of at least 1, not '1e4'",
    ),
    "a bad port": ({"PORT": "70000"}, "PORT must be an integer from 1 to 65535"),
    "ticks out of order": (
        {"TOWNHALL_TICK_MIN_MS": "500"},
        "TOWNHALL_TICK_MIN_MS (500) must not be above TOWNHALL_TICK_MAX_MS (200)",
    ),
    "buffers out of order": (
        {"TOWNHALL_LIMIT_SOCKET_SOFT_BUFFER": "9999999"},
        "TOWNHALL_LIMIT_SOCKET_SOFT_BUFFER (9999999) must not be above "
        "TOWNHALL_LIMIT_SOCKET_HARD_BUFFER",
    ),
    "a short secret": (
        {"TOWNHALL_SECRET": "abcde"},
        "TOWNHALL_SECRET must be at least 16 characters long",
    ),
    "a short old secret": (
        {"TOWNHALL_OLD_SECRETS": "x" * 20 + ",short"},
        "TOWNHALL_OLD_SECRETS must be at least 16",
    ),
    "a short creation key": (
        {"TOWNHALL_ROOM_CREATION_KEY": "1234"},
        "TOWNHALL_ROOM_CREATION_KEY must be at least 16",
    ),
    "a short metrics token": (
        {"TOWNHALL_METRICS_TOKEN": "pub"},
        "TOWNHALL_METRICS_TOKEN must be at least 16",
    ),
    "a store scheme": (
        {"TOWNHALL_STORE_URL": "mysql://u:pw@h/db"},
        "TOWNHALL_STORE_URL must be a URL starting with sqlite://",
    ),
    "a relative-less sqlite URL": (
        {"TOWNHALL_STORE_URL": "sqlite://x.db"},
        "TOWNHALL_STORE_URL: expected sqlite:///",
    ),
    "a broker scheme": (
        {"TOWNHALL_BROKER_URL": "amqp://h"},
        "TOWNHALL_BROKER_URL must be a URL starting with memory://",
    ),
    "an origin": (
        {"TOWNHALL_ALLOWED_ORIGINS": "https://ok.example,ftp://no"},
        "TOWNHALL_ALLOWED_ORIGINS must be an http:// or https:// URL, not 'ftp://no'",
    ),
    "a public URL": (
        {"TOWNHALL_PUBLIC_URL": "townhall.example"},
        "TOWNHALL_PUBLIC_URL must be an http:// or https:// URL",
    ),
    "a proxy": (
        {"TOWNHALL_TRUSTED_PROXIES": "10.0.0.1,nginx"},
        "TOWNHALL_TRUSTED_PROXIES must list addresses or networks",
    ),
    "a log level": (
        {"TOWNHALL_LOG_LEVEL": "loud"},
        "TOWNHALL_LOG_LEVEL must be one of debug, info",
    ),
}


@pytest.mark.parametrize("changes,message", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_value_is_refused_naming_the_variable(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(env(tmp_path, **changes))
    assert str(refused.value).startswith(message)


def test_good_values_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        env(
            tmp_path,
            TOWNHALL_LIMIT_OPS_PER_SECOND="2.5",
            TOWNHALL_LIMIT_SOCKET_SNDBUF="0",
            TOWNHALL_TICK_MIN_MS="20",
            TOWNHALL_TICK_MAX_MS="20",
            TOWNHALL_ALLOWED_ORIGINS="https://a.example/, http://b.example:8080",
            TOWNHALL_TRUSTED_PROXIES="10.0.0.0/8, ::1",
            TOWNHALL_METRICS_TOKEN="public",
            TOWNHALL_ACTIVE_DAYS="0",
        )
    )
    assert settings.limits.ops_per_second == 2.5
    assert settings.limits.socket_sndbuf == 0
    assert (settings.tick_min_ms, settings.tick_max_ms) == (20, 20)
    assert settings.allowed_origins == ("https://a.example", "http://b.example:8080")
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1")
    assert settings.metrics_token == "public"
    assert settings.active_days == 0


def test_the_store_follows_the_data_dir_and_never_the_working_folder(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))
    assert settings.store_url == f"sqlite:///{tmp_path}/townhall.db"
    assert default_data_dir({"XDG_DATA_HOME": "/srv/x"}) == Path("/srv/x/townhall")
    assert default_data_dir({"TOWNHALL_DATA_DIR": "rel"}) == Path.cwd() / "rel"
    assert default_data_dir({}).is_absolute()


def test_an_empty_secret_means_the_generated_one(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path, TOWNHALL_SECRET=""))
    assert settings.secret == (tmp_path / "secret.key").read_bytes().strip()


def test_unknown_names_are_warned_with_a_guess() -> None:
    found = unknown_names(
        {"TOWNHALL_SECRT": "x", "TOWNHALL_LIMIT_OPS_PER_SECOND": "1", "HOME": "/"}
    )
    assert found == [
        "TOWNHALL_SECRT is not a townhall setting and is ignored; did you mean TOWNHALL_SECRET?"
    ]
    assert unknown_names({"TOWNHALL_ZZZZZZZZZZZZZZZZZZZZZ": "1"}) == [
        "TOWNHALL_ZZZZZZZZZZZZZZZZZZZZZ is not a townhall setting and is ignored"
    ]


def test_config_masks_secrets_and_url_passwords(tmp_path: Path) -> None:
    values = env(
        tmp_path,
        TOWNHALL_OLD_SECRETS="old-secret-0123456789",
        TOWNHALL_METRICS_TOKEN="metrics-token-0123456789",
        TOWNHALL_ROOM_CREATION_KEY="creation-key-0123456789",
        TOWNHALL_BROKER_URL="redis://:hunter2@127.0.0.1:6379/0",
        TOWNHALL_STORE_URL="postgresql://town:s3cret@db.example/townhall",
    )
    shown = dict(describe(load_settings(values), values))
    text = repr(shown)
    for secret in (KEY, "old-secret", "metrics-token", "creation-key", "hunter2", "s3cret"):
        assert secret not in text
    assert shown["TOWNHALL_BROKER_URL"] == "redis://:****@127.0.0.1:6379/0"
    assert shown["TOWNHALL_STORE_URL"] == "postgresql://town:****@db.example/townhall"
    assert shown["TOWNHALL_LIMIT_OPS_PER_SECOND"] == "10.0"
    assert mask_url("memory://") == "memory://"


def run_cli(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TOWNHALL_")}
    return subprocess.run(
        [sys.executable, "-m", "server.tools.cli", *args],
        env={**clean, **env(tmp_path, **extra)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_a_bad_value_with_status_2_and_no_traceback(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "serve", "--port", "1", TOWNHALL_LIMIT_OPS_PER_SECOND="-5")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "townhall: TOWNHALL_LIMIT_OPS_PER_SECOND must be a number above 0, not '-5'"
    )


def test_config_command_prints_masked_settings_and_warns_of_typos(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "config", TOWNHALL_TICK_MAXMS="3")
    assert done.returncode == 0, done.stderr
    assert f"TOWNHALL_DATA_DIR={tmp_path}\n" in done.stdout
    assert "TOWNHALL_SECRET=**** (set)\n" in done.stdout
    assert KEY not in done.stdout + done.stderr
    assert "TOWNHALL_TICK_MAXMS is not a townhall setting" in done.stderr
    assert "did you mean TOWNHALL_TICK_MAX_MS?" in done.stderr


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.tools.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.startswith("townhall 0.")
