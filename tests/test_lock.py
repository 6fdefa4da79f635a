"""requirements.lock pins what pyproject.toml asks for: every dependency (the dev extra's
too) is pinned once, to a version its range allows, so `make setup` installs exactly it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        found = _PIN.match(line)
        if found:
            name = canonicalize_name(found.group(1))
            assert name not in pins, f"{name} pinned twice"
            pins[name] = found.group(2)
    return pins


def test_every_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = _pins()
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{spec.name} is not in requirements.lock: run `make lock`"
        assert spec.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {spec.name}=={pins[name]} outside {spec.specifier}:"
            " run `make lock`"
        )


def test_the_makefile_installs_the_lock_and_rebuilds_when_it_changes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q -r $(LOCK)" in makefile
    assert "--no-deps -e ." in makefile
    stamp = next(line for line in makefile.splitlines() if line.startswith("STAMP :="))
    assert "$(LOCK)" in stamp  # a new lock means a new install
