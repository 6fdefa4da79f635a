"""The built wheel installs and serves every asset from an empty folder (issue 19, item 3).

The wheel is built from this checkout without build isolation (setuptools from .venv), put
into a fresh venv with --no-deps; the venv borrows .venv's third-party packages through a
.pth line (a path line only: .venv's own .pth files, the editable install's finder among
them, are not run), so the `server` it imports is the installed copy, which is checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

ASSETS = ("/static/css/app.css", "/static/js/live.js", "/static/vendor/htmx.min.js")


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=True, timeout=180, **kwargs
    )  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding only the built wheel."""
    base = tmp_path_factory.mktemp("package")
    # sdist first, then the wheel from it (pip unpacks it in a fresh folder): this checks
    # MANIFEST.in too, and no stale build/ folder of the checkout can fill the wheel.
    built = run(
        sys.executable,
        "-c",
        f"from setuptools import build_meta; print(build_meta.build_sdist({str(base)!r}))",
        cwd=ROOT,
    )
    sdist = base / built.stdout.strip().splitlines()[-1]
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        base / "wheels",
        sdist,
    )
    (wheel,) = (base / "wheels").glob("townhall-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", base / "venv")
    python = base / "venv" / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    Path(site.stdout.strip(), "borrowed-deps.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return base / "venv" / "bin"


def test_the_wheel_carries_license_static_files_word_lists_and_catalogs(installed: Path) -> None:
    python = installed / "python"
    # From a folder without the checkout: `python -c` puts the working folder first on sys.path.
    where = run(
        python,
        "-c",
        "import server, pathlib; print(pathlib.Path(server.__file__).parent)",
        cwd=installed,
    )
    package = Path(where.stdout.strip())
    assert package.is_relative_to(installed.parent), f"imported from the checkout: {package}"
    for relative in (
        "static/css/app.css",
        "static/css/report.css",
        "static/js/live.js",
        "static/vendor/htmx.min.js",
        "static/vendor/idiomorph-ext.min.js",
        "wordlists/cuss/index.js",
        "wordlists/cuss/license",
        "templates/base.html",
        "locales/fr/LC_MESSAGES/messages.po",
    ):
        assert (package / relative).is_file(), relative
    assert not (package / "static" / "vendor" / "axe.min.js").exists()  # test tool, not served
    licence = next(
        installed.parent.glob("lib/python*/site-packages/townhall-*.dist-info/licenses/LICENSE")
    )
    assert licence.read_text().startswith(" " * 20 + "GNU AFFERO GENERAL PUBLIC LICENSE")
    meta = next(installed.parent.glob("lib/python*/site-packages/townhall-*.dist-info/METADATA"))
    assert "License-Expression: AGPL-3.0-or-later" in meta.read_text()
    version = run(installed / "townhall", "--version")
    assert re.fullmatch(r"townhall \d+\.\d+\.\d+\S*\n", version.stdout)


def test_the_installed_server_serves_every_asset_from_an_empty_folder(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "cwd"
    empty.mkdir()
    data = tmp_path / "data"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOWNHALL_")},
        "TOWNHALL_DATA_DIR": str(data),
        "TOWNHALL_LOG_LEVEL": "warning",
        "PYTHONPATH": "",
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [installed / "townhall", "serve", "--port", str(port)],
        cwd=empty,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the installed server did not start"
            time.sleep(0.1)
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as client:
            assert client.get("/").status_code == 200
            room = client.post("/api/rooms", json={"title": "Installed"})
            assert room.status_code == 201, room.text
            code, token = room.json()["code"], room.json()["moderator_token"]
            page = client.get(f"/r/{code}")
            assert page.status_code == 200 and "/static/css/app.css" in page.text
            for asset in ASSETS:
                answer = client.get(asset)
                assert answer.status_code == 200 and len(answer.content) > 500, asset
            report = client.get(f"/r/{code}/report", params={"token": token})
            assert report.status_code == 200 and "<html" in report.text.lower()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    assert list(empty.iterdir()) == [], "the server wrote into the working folder"
    assert (data / "townhall.db").exists()
    html = run(installed / "townhall", "report", code, "--format", "html", cwd=empty, env=env)
    assert "<style" in html.stdout and ".bar" in html.stdout  # report.css inlined
