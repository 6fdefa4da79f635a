"""Reading untrusted op fields: wire input is JSON or msgpack from anyone.

Each reader either returns a value of the promised type and range or raises CommandError
(`field.missing` / `field.invalid`, `text.invalid` for a string with control characters or
broken Unicode). Bools are not ints here, although Python thinks so. Unknown extra fields are
simply never read. The rules for text itself live in rooms/text.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from rooms.errors import CommandError
from rooms.text import check_text, check_text_tree, clean_line, clean_text

__all__ = [
    "MAX_ID",
    "check_text",
    "check_text_tree",
    "clean_line",
    "clean_text",
    "is_int",
    "opt_bool",
    "opt_int",
    "opt_str",
    "req_bool",
    "req_id",
    "req_int",
    "req_str",
    "req_text",
    "str_list",
]

MAX_ID = 2**53  # beyond this a JS client could not have sent it faithfully


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _get(fields: Mapping[str, Any], name: str) -> Any:
    if name not in fields or fields[name] is None:
        raise CommandError("field.missing", f"{name} is required")
    return fields[name]


def req_int(fields: Mapping[str, Any], name: str, lo: int, hi: int) -> int:
    value = _get(fields, name)
    if not is_int(value) or not lo <= value <= hi:
        raise CommandError("field.invalid", f"{name} must be an integer in {lo}..{hi}")
    return int(value)


def opt_int(fields: Mapping[str, Any], name: str, lo: int, hi: int, default: int) -> int:
    if fields.get(name) is None:
        return default
    return req_int(fields, name, lo, hi)


def req_id(fields: Mapping[str, Any], name: str) -> int:
    return req_int(fields, name, 1, MAX_ID)


def req_bool(fields: Mapping[str, Any], name: str) -> bool:
    value = _get(fields, name)
    if not isinstance(value, bool):
        raise CommandError("field.invalid", f"{name} must be true or false")
    return value


def opt_bool(fields: Mapping[str, Any], name: str, default: bool) -> bool:
    if fields.get(name) is None:
        return default
    return req_bool(fields, name)


def req_str(fields: Mapping[str, Any], name: str) -> str:
    value = _get(fields, name)
    if not isinstance(value, str):
        raise CommandError("field.invalid", f"{name} must be a string")
    return check_text(value, name)


def opt_str(fields: Mapping[str, Any], name: str) -> str | None:
    if fields.get(name) is None:
        return None
    return req_str(fields, name)


def str_list(value: object, name: str, *, max_items: int) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) > max_items:
        raise CommandError("field.invalid", f"{name} must be a list of at most {max_items}")
    if not all(isinstance(v, str) for v in value):
        raise CommandError("field.invalid", f"{name} must hold strings")
    return [check_text(v, name) for v in value]


def req_text(fields: Mapping[str, Any], name: str, max_length: int) -> str:
    return clean_text(req_str(fields, name), max_length)
