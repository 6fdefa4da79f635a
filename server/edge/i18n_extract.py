"""A Babel extractor for sentences kept as dict values, such as `rooms.errors.CODES`.

The engine's tables stay plain data (no gettext markers in the pure core); `make messages`
reads them with this extractor, named in babel.cfg:

    [table: rooms/errors.py]
    names = CODES

Each string value of the named module-level dicts becomes a msgid, with its key as the
translator's comment. The module is parsed, never imported.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO

__all__ = ["extract", "extract_table", "update"]


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract_table(
    fileobj: IO[bytes],
    keywords: Mapping[str, object] | Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, str],
) -> Iterator[tuple[int, str, str, list[str]]]:
    wanted = {name.strip() for name in options.get("names", "").split(",") if name.strip()}
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    for statement in tree.body:
        value: ast.expr | None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value = [statement.target], statement.value
        else:
            continue
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if not names & wanted or not isinstance(value, ast.Dict):
            continue
        table = sorted(names & wanted)[0]
        for key, item in zip(value.keys, value.values, strict=True):
            message = _string(item)
            if message is None:
                raise ValueError(f"{table}: line {item.lineno}: a value is not a string literal")
            yield item.lineno, "_", message, [f"{table}[{_string(key)!r}]"]


# -- `make messages` -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "server" / "locales" / "messages.pot"
# The markers of server/edge/i18n_names.py, beside Babel's defaults (_, gettext, ngettext ...).
KEYWORDS = ("N_", "NC_:1c,2", "NP_:1,2")


def extract(pot: Path = POT) -> None:
    """Every interface string of the sources into a template (babel.cfg says where)."""
    args = ["extract", "-F", str(ROOT / "babel.cfg")]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    args += ["--no-location", "--sort-output", "--no-wrap", "--project", "townhall"]
    args += ["-o", str(pot), "."]
    _pybabel(args)


def update(pot: Path = POT) -> None:
    """Each shipped catalog brought in step with the template: new strings added empty,
    removed ones dropped. No fuzzy guesses from similar strings: they read as translated
    and are usually wrong. The catalog test then lists what still needs a translator."""
    args = ["update", "-i", str(pot), "-d", str(pot.parent), "-D", "messages"]
    _pybabel([*args, "--ignore-obsolete", "--no-fuzzy-matching", "--no-wrap"])


def _pybabel(args: list[str]) -> None:
    # From the project root: babel.cfg's patterns are relative to it.
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", *args]
    subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    extract()
    update()
