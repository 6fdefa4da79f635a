from __future__ import annotations

from typing import Any

import pytest

from rooms import CODES, CommandError
from rooms.fields import opt_int, req_bool, req_int
from rooms.settings import RoomSettings, parse_settings


@pytest.mark.parametrize(
    "raw",
    [
        {"anonymous_questions": 1},
        {"question_max_length": 0},
        {"question_max_length": True},
        {"speaker_time_limit_s": 10**20},
        {"access_code": "has space"},
        {"access_code": 5},
        {"districts": "North"},
        {"districts": ["North", "North"]},
        {"districts": [""]},
    ],
)
def test_bad_settings(raw: dict[str, Any]) -> None:
    with pytest.raises(CommandError) as err:
        parse_settings(raw, RoomSettings())
    assert err.value.code == "field.invalid"


def test_settings_merge_and_round_trip() -> None:
    s = parse_settings({"access_code": "", "districts": [" N "], "unknown": 1}, RoomSettings())
    assert s.access_code is None and s.districts == ("N",)
    assert RoomSettings.from_dict(s.to_dict()) == s
    assert "access_code" not in s.public()
    assert parse_settings(None, s) is s


def test_field_readers() -> None:
    assert req_int({"n": 3}, "n", 0, 5) == 3
    assert opt_int({}, "n", 0, 5, 4) == 4
    for value in (True, 6, "3", 3.0):
        with pytest.raises(CommandError):
            req_int({"n": value}, "n", 0, 5)
    with pytest.raises(CommandError):
        req_bool({"b": 0}, "b")


def test_error_codes_are_known() -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        CommandError("nope.nope")
    err = CommandError("poll.closed")
    assert err.to_dict() == {"code": "poll.closed", "message": CODES["poll.closed"]}
