"""The systemd unit and the nginx configuration of docs/DEPLOY.md, as printed there, pass
their own tools' checks: `systemd-analyze verify` and `nginx -t` (with a self-signed
certificate, in a temporary prefix). A tool that is missing skips, except in CI, where it
fails (`make test` installs both: `make deploy-tools`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
TOWNHALL = str(Path(sys.executable).with_name("townhall"))


def _block(language: str, marker: str) -> str:
    """The fenced block of DEPLOY.md in `language` that holds `marker`."""
    for found in re.finditer(rf"```{language}\n(.*?)```", DEPLOY, re.DOTALL):
        if marker in found.group(1):
            return found.group(1)
    raise AssertionError(f"no ```{language} block with {marker!r} in docs/DEPLOY.md")


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{name} is missing: `make deploy-tools` installs it")
        pytest.skip(f"{name} is not installed (`make deploy-tools`)")
    return path


def _verify_unit(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    unit = tmp_path / "townhall@8001.service"  # an instance of the template, %i = 8001
    unit.write_text(text.replace("/opt/townhall/bin/townhall", TOWNHALL), encoding="utf-8")
    return subprocess.run(
        [_tool("systemd-analyze"), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = _block("ini", "# /etc/systemd/system/townhall@.service")
    assert "ExecStart=/opt/townhall/bin/townhall serve" in unit
    checked = _verify_unit(tmp_path, unit)
    assert checked.returncode == 0, checked.stderr
    complaints = [line for line in checked.stderr.splitlines() if "townhall@8001" in line]
    assert not complaints, complaints
    # The same check notices a mistake (it reports on stderr, still exiting 0).
    broken = _verify_unit(tmp_path, unit.replace("Type=exec", "Type=sometimes"))
    assert "Type" in broken.stderr or "type" in broken.stderr, broken.stderr


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    if not cert.exists():
        subprocess.run(
            [
                _tool("openssl"),
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=townhall.example.org",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
    site = site.replace("/etc/letsencrypt/live/townhall.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/townhall.example.org/privkey.pem", str(key))
    (prefix / "townhall.conf").write_text(site, encoding="utf-8")
    (prefix / "nginx.conf").write_text(
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n  include {prefix}/townhall.conf;\n}}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [
            _tool("nginx"),
            "-t",
            "-q",
            "-p",
            str(prefix),
            "-e",
            str(prefix / "logs" / "error.log"),
            "-c",
            str(prefix / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    site = _block("nginx", "upstream townhall")
    for needed in (
        "listen 443 ssl",
        "proxy_set_header Upgrade $http_upgrade",
        "proxy_set_header Connection $connection_upgrade",
        "ssl_certificate ",
    ):
        assert needed in site, needed
    checked = _nginx_test(tmp_path, site)
    assert checked.returncode == 0, checked.stderr
    broken = _nginx_test(tmp_path, site.replace("proxy_http_version 1.1;", "proxy_http_version;"))
    assert broken.returncode != 0 and "proxy_http_version" in broken.stderr, broken.stderr
