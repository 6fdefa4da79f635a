"""Build step only (the project is described in pyproject.toml).

The pages' static files and the cuss word lists live outside the `server` package in the
checkout (static/ is shared with the front-end tooling; node_modules/ is npm's), so the
wheel gets copies of them under `server/` here; server/assets.py looks there first.
static/vendor/ and node_modules/ come from `npm ci` (`make setup`): a build without them
says so and ships what there is (the pages work without htmx; the filter logs its loss).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# (source in the checkout or sdist, glob, target under the build's `server/`): one table.
COPIES = (
    ("static/css", "*.css", "static/css"),
    ("static/js", "*.js", "static/js"),
    ("static/examples", "*", "static/examples"),  # the <townhall-results> example page
    # htmx and idiomorph (the pages' morphs) only: axe.min.js is the browser tests'
    # accessibility checker, not served to users.
    ("static/vendor", "htmx.min.js", "static/vendor"),
    ("static/vendor", "idiomorph.esm.js", "static/vendor"),
    ("static/vendor", "idiomorph.min.js", "static/vendor"),
    ("static/vendor", "idiomorph-ext.min.js", "static/vendor"),
    ("node_modules/cuss", "*.js", "wordlists/cuss"),
    ("node_modules/cuss", "license", "wordlists/cuss"),
)


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own files
            return
        for kind in {target.split("/")[0] for _, _, target in COPIES}:  # no stale copies
            shutil.rmtree(Path(self.build_lib) / "server" / kind, ignore_errors=True)
        for source, pattern, target in COPIES:
            found = sorted((HERE / source).glob(pattern))
            if not found:
                self.warn(f"no {source}/{pattern} to package (run `make setup` first)")
            destination = Path(self.build_lib) / "server" / target
            destination.mkdir(parents=True, exist_ok=True)
            for path in found:
                shutil.copy2(path, destination / path.name)


# The tick's fan-out with the GIL released (server/live/_fanout.c). Optional: without a C
# compiler the server writes from the event loop as before (server/live/thread_fanout.py).
FANOUT = Extension(
    "server.live._fanout",
    sources=["server/live/_fanout.c"],
    extra_compile_args=["-O2", "-Wall", "-Wextra"],
    optional=True,
)

# Client frames split and unmasked in one call (server/live/_wsread.c). Optional too:
# without it websockets' own parser reads every frame (server/live/lean.py).
WSREAD = Extension(
    "server.live._wsread",
    sources=["server/live/_wsread.c"],
    extra_compile_args=["-O2", "-Wall", "-Wextra"],
    optional=True,
)

setup(cmdclass={"build_py": BuildWithAssets}, ext_modules=[FANOUT, WSREAD])
