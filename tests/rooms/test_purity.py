"""rooms/ and moderation/ do no I/O, read no clock and draw no randomness: replay is exact."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("rooms", "moderation")
FORBIDDEN = frozenset(
    {
        "asyncio",
        "datetime",
        "http",
        "io",
        "logging",
        "os",
        "pathlib",
        "psycopg",
        "random",
        "redis",
        "secrets",
        "server",
        "shutil",
        "socket",
        "sqlite3",
        "starlette",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
        "uuid",
        "multiprocessing",
        "concurrent",
        "signal",
        "select",
        "selectors",
        "ssl",
        "msgpack",
        "httpx",
        "uvicorn",
    }
)
FORBIDDEN_CALLS = frozenset({"open", "print", "input", "eval", "exec", "__import__"})
FORBIDDEN_ATTRS = frozenset({"now", "utcnow", "today", "time_ns", "monotonic", "perf_counter"})

MODULES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in FORBIDDEN]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] in FORBIDDEN:
                found.append(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FORBIDDEN_CALLS:
                found.append(f"{node.func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRS:
            found.append(f".{node.attr}")
    return found


def test_every_module_is_found() -> None:
    names = {p.stem for p in MODULES}
    assert {"reducer", "events", "views", "filters", "roles"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_pure(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "import os.path",
        "from time import time",
        "import asyncio",
        "from server.live.hub import Hub",
        "from datetime import datetime\nx = datetime.now()",
        "import uuid",
        "from random import choice",
        "open('x')",
        "import logging",
        "import sqlite3",
        "from redis import Redis",
    ],
)
def test_the_checker_catches(source: str) -> None:
    assert offences(source)


def test_the_checker_allows_pure_code() -> None:
    assert offences("import re\nimport unicodedata\nfrom dataclasses import dataclass\n") == []
