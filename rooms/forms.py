"""HTML form values (all strings) read for the engine: the no-JavaScript pages' side of ops.

Pure conversions only: the engine validates everything afterwards, so a value that does not
convert is passed on as it came, and the engine answers with its usual error code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["Form", "form_int"]


class Form(Protocol):
    """A submitted form's fields (Starlette's FormData is one): the last value of a field,
    or all of them."""

    def get(self, key: str, /) -> object: ...

    def getlist(self, key: str) -> Sequence[object]: ...


def form_int(value: str) -> int | str:
    """An integer typed into a form, or the text itself when it is not one."""
    stripped = value.strip()
    # ASCII digits only: "²" and "٣" are digits to str.isdigit() but not to int().
    digits = stripped.lstrip("-")
    return int(stripped) if digits.isascii() and digits.isdigit() and len(stripped) < 16 else value
