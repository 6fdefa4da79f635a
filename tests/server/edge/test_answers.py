"""One table answers every refusal: each catalogue code has a row, and every code the server
can emit is in the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from rooms import CODES, CommandError
from server.edge.answers import ANSWERS, answer_of, error_body

ROOT = Path(__file__).resolve().parents[3]


def test_every_catalogue_code_has_an_answer_and_nothing_else_does() -> None:
    assert set(ANSWERS) == set(CODES)


def test_answers_are_sensible_http_and_websocket_codes() -> None:
    for code, answer in ANSWERS.items():
        assert 400 <= answer.status < 600, code
        assert answer.close is None or 1000 <= answer.close < 5000, code
    assert answer_of("auth.token").status == 401
    assert answer_of("auth.forbidden").status == 403
    assert answer_of("room.not_found").status == 404
    assert answer_of("frame.too_large").status == 413
    assert answer_of("rate.limited").status == 429
    assert answer_of("server.unavailable").status == 503  # not 400: a client should retry


def test_every_code_has_a_sentence_for_people() -> None:
    for code, message in CODES.items():
        assert len(message.split()) >= 3, code  # a sentence, not a code
    assert error_body(CommandError("poll.closed")) == {
        "error": {"code": "poll.closed", "message": CODES["poll.closed"]}
    }


def _emitted_codes() -> set[str]:
    """String constants under server/ used as an error code: the first argument of
    `CommandError(...)`/`FrameError(...)` or the value of a `"code"` key."""
    found: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "CommandError",
                "FrameError",
            ):
                if node.args and isinstance(node.args[0], ast.Constant):
                    found.add(str(node.args[0].value))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                    ):
                        found.add(str(value.value))
    return found


def test_every_code_the_server_emits_is_in_the_catalogue() -> None:
    emitted = _emitted_codes()
    assert "auth.origin" in emitted and "frame.invalid" in emitted  # the scan sees them
    assert emitted - set(CODES) == set()


def test_every_code_a_template_names_is_in_the_catalogue() -> None:
    named: set[str] = set()
    for path in (ROOT / "server" / "templates").glob("*.html"):
        for match in re.finditer(r'"([a-z]+\.[a-z_]+)":\s*_\(', path.read_text("utf-8")):
            named.add(match.group(1))
    assert named - set(CODES) == set()
