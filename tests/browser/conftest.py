from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def _need_chromium() -> None:
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing at /usr/bin/chromium; `make chromium` installs it")
    pytest.skip("Chromium is not installed (run `make chromium`)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Path(tmp_path_factory.mktemp("pages"))).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


FAILED = SHOTS / "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A browser test that fails keeps a picture of every page it had open, so a failure
    seen once in CI can be looked at rather than guessed at."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or not report.failed:
        return
    chromium = getattr(item, "funcargs", {}).get("browser")
    if chromium is None:
        return
    FAILED.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid)[-120:]
    for c, context in enumerate(chromium.contexts):
        for p, page in enumerate(context.pages):
            try:
                page.screenshot(path=str(FAILED / f"{name}-{c}-{p}.png"), timeout=5000)
            except Exception as error:  # a closed page must not hide the failure
                report.sections.append(("failure screenshot", f"{c}-{p}: {error}"))
