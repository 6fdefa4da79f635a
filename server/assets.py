"""Where the files the server serves or reads live, in a checkout and in an installed wheel.

In the checkout (and an editable install) they are the source tree's `static/` and
`node_modules/cuss/`. A built wheel carries copies under the `server` package
(`server/static/`, `server/wordlists/cuss/`, put there by setup.py's build step), because
an installed server has no checkout to look in. The packaged copy wins when it exists;
otherwise the checkout's; `static_dir()` names both places when neither has the files.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PACKAGE", "ROOT", "AssetsMissing", "cuss_dir", "places", "static_dir", "static_file"]

PACKAGE = Path(__file__).resolve().parent  # .../server
ROOT = PACKAGE.parent  # the checkout, when there is one

# (packaged copy, checkout copy) for each kind of file: one table, one rule.
_PLACES: dict[str, tuple[Path, Path]] = {
    "static": (PACKAGE / "static", ROOT / "static"),
    "cuss": (PACKAGE / "wordlists" / "cuss", ROOT / "node_modules" / "cuss"),
}


class AssetsMissing(FileNotFoundError):
    """Neither the installed package nor a checkout holds these files."""


def places(kind: str) -> tuple[Path, Path]:
    return _PLACES[kind]


def _place(kind: str) -> Path:
    packaged, checkout = _PLACES[kind]
    for place in (packaged, checkout):
        if place.is_dir():
            return place
    raise AssetsMissing(
        f"no {kind} files in {packaged} (installed package) or {checkout} (checkout): "
        "reinstall the package, or run `make setup` in the checkout"
    )


def static_dir() -> Path:
    return _place("static")


def static_file(relative: str) -> Path:
    """One file under static/, e.g. `css/report.css`."""
    return static_dir() / relative


def cuss_dir() -> Path:
    """The cuss word lists; the checkout's place when neither exists (the loader logs it)."""
    try:
        return _place("cuss")
    except AssetsMissing:
        return _PLACES["cuss"][1]
