"""Events travel as {"type", "data"} and come back equal."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest

from moderation.roles import OP_BY_EVENT
from rooms.events import EVENT_TYPES, BallotCast, Event, event_from_dict, event_to_dict

SAMPLES: dict[type, Any] = {int: 3, str: "x", bool: True}


def sample(cls: type[Event]) -> Event:
    values: dict[str, Any] = {}
    for f in fields(cls):
        t = str(f.type)
        if "tuple[int" in t:
            values[f.name] = (1, 2)
        elif "tuple[str" in t:
            values[f.name] = ("a", "b")
        elif "dict" in t:
            values[f.name] = {"moderation": "post", "districts": ["N"]}
        elif "bool" in t:
            values[f.name] = True
        elif t.startswith("int") or t == "Choice":
            values[f.name] = 3
        else:
            values[f.name] = "x"
    return cls(**values)


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_round_trip_through_json(cls: type[Event]) -> None:
    event = sample(cls)
    wire = json.loads(json.dumps(event_to_dict(event)))
    assert wire["type"] == cls.TYPE and "." in cls.TYPE
    assert event_from_dict(wire) == event
    assert OP_BY_EVENT[cls.TYPE].event == cls.TYPE  # one op causes it: who may is there


def test_tuple_choices_come_back_as_tuples() -> None:
    event = BallotCast(poll_id=1, choice=(2, 0, 1), flags=("link",))
    back = event_from_dict(
        {
            "type": "ballot.cast",
            "data": {"poll_id": 1, "choice": [2, 0, 1], "flags": ["link"]},
            "seq": 9,
        }
    )
    assert back == event


def test_unknown_or_bad_data() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        event_from_dict({"type": "poll.exploded", "data": {}})
    with pytest.raises(ValueError, match=r"bad poll\.opened"):
        event_from_dict({"type": "poll.opened", "data": {}})
    assert event_from_dict({"type": "room.closed"}) == EVENT_TYPES["room.closed"]()
