"""server/live/codec.py: a frame with malformed text is refused before it reaches a room."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.text import check_text_tree
from server.live.codec import Encoding, FrameError, decode_frame, encode

anything = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)
NASTY = st.sampled_from(["\ud800", "\x00", "a\udfffb", "\x1f", "\x9b"])
strings = anything | NASTY
extras = st.dictionaries(strings, strings | st.integers(-(2**63), 2**63 - 1), max_size=3)
frames = st.fixed_dictionaries(
    {"op": st.sampled_from(["vote", "question.ask", "react"]) | strings, "op_id": strings},
    optional={"text": strings, "choice": st.lists(strings, max_size=3)},
).flatmap(lambda base: extras.map(lambda extra: {**extra, **base}))


def _json(frame: dict[str, Any]) -> str:
    return json.dumps(frame)  # ASCII escapes: how a browser sends a lone surrogate


@settings(max_examples=400, deadline=None)
@given(frame=frames)
def test_a_decoded_frame_holds_only_sound_text_and_every_refusal_can_be_sent(
    frame: dict[str, Any],
) -> None:
    for encoding, text, data in (
        (Encoding.JSON, _json(frame), None),
        (Encoding.MSGPACK, None, msgpack.packb(frame, unicode_errors="surrogatepass")),
    ):
        try:
            decoded = decode_frame(text, data, encoding)
        except FrameError as error:
            reply = error.frame()
            encode(reply, encoding)  # never an answer that cannot be encoded (it was lost)
            if error.op_id is not None:
                assert error.op_id == frame["op_id"]
            continue
        check_text_tree(decoded)
        encode(decoded, encoding)


@pytest.mark.parametrize("bad", ["\ud800", "\x00", "\x1b", "\x85"])
@pytest.mark.parametrize(
    "where",
    [
        lambda b: {"op": "question.ask", "op_id": "q-1", "text": f"hi {b}"},
        lambda b: {"op": "question.ask", "op_id": "q-1", "text": "hi", f"k{b}": 1},
        lambda b: {"op": "vote", "op_id": "q-1", "choice": [["ok", {"deep": b}]]},
        lambda b: {"op": f"vote{b}", "op_id": "q-1"},
    ],
)
def test_malformed_text_anywhere_is_text_invalid_and_answers_its_op(where: Any, bad: str) -> None:
    with pytest.raises(FrameError) as err:
        decode_frame(_json(where(bad)), None, Encoding.JSON)
    assert err.value.code == "text.invalid" and err.value.close_code is None
    assert err.value.frame()["op_id"] == "q-1"  # the client can match the refusal to its op


@pytest.mark.parametrize("bad", ["\ud800", "\x00", "a\udc00"])
def test_a_malformed_op_id_gets_an_error_without_it(bad: str) -> None:
    with pytest.raises(FrameError) as err:
        decode_frame(_json({"op": "react", "op_id": bad, "emoji": "👍"}), None, Encoding.JSON)
    assert err.value.code == "text.invalid"
    assert "op_id" not in err.value.frame()
    encode(err.value.frame(), Encoding.JSON)


def test_msgpack_nul_is_text_invalid_and_broken_utf8_is_frame_invalid() -> None:
    nul = msgpack.packb({"op": "react", "op_id": "r", "emoji": "\x00"})
    with pytest.raises(FrameError) as err:
        decode_frame(None, nul, Encoding.MSGPACK)
    assert err.value.code == "text.invalid"
    frame = {"op": "react", "op_id": "r", "emoji": "\ud800"}
    raw = msgpack.packb(frame, unicode_errors="surrogatepass")
    with pytest.raises(FrameError) as err:
        decode_frame(None, raw, Encoding.MSGPACK)
    assert err.value.code == "frame.invalid"


def test_ordinary_text_passes() -> None:
    text = "Line one\nline two\twith tab — «ñ» 市民 👍🏽 שָׁלוֹם"
    sent = _json({"op": "question.ask", "op_id": "q", "text": text})
    assert decode_frame(sent, None, Encoding.JSON)["text"] == text


@pytest.mark.parametrize("bad", ["\x85", "\x7f", "\x9f"])
def test_a_raw_c1_control_in_json_without_any_escape_is_text_invalid(bad: str) -> None:
    # Valid JSON with the character as is: the text holds no backslash at all.
    raw = json.dumps({"op": "question.ask", "op_id": "q-1", "text": f"a{bad}b"}, ensure_ascii=False)
    assert "\\" not in raw
    with pytest.raises(FrameError) as err:
        decode_frame(raw, None, Encoding.JSON)
    assert err.value.code == "text.invalid"


def test_a_frame_padded_with_containers_is_refused_before_it_is_walked() -> None:
    """[[],[],...] costs milliseconds to walk in Python; no op needs more than a few."""
    padded = json.dumps({"op": "vote", "op_id": "v1", "pad": [[] for _ in range(100)]})
    with pytest.raises(FrameError) as refused:
        decode_frame(padded, None, Encoding.JSON)
    assert refused.value.code == "frame.invalid" and refused.value.op_id == "v1"
    heavy = json.dumps({"op": "vote", "op_id": "v2", "pad": [[] for _ in range(3000)]})
    with pytest.raises(FrameError, match="lists and objects"):
        decode_frame(heavy, None, Encoding.JSON)  # refused by counting, not decoded
    packed = msgpack.packb({"op": "vote", "op_id": "v3", "pad": [[] for _ in range(100)]})
    with pytest.raises(FrameError) as refused:
        decode_frame(None, packed, Encoding.MSGPACK)
    assert refused.value.op_id == "v3"
    ballot = {"op": "vote", "op_id": "v4", "poll_id": 3, "choice": {"0": 40, "1": 60}}
    assert decode_frame(json.dumps(ballot), None, Encoding.JSON)["choice"] == {"0": 40, "1": 60}


_JSON_MODULE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
sound_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
wire_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | sound_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(sound_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(frame=st.dictionaries(sound_text, wire_values, max_size=6))
def test_a_json_frame_is_the_bytes_the_json_module_wrote(frame: dict[str, Any]) -> None:
    """Frames are encoded with msgspec now: byte for byte what clients got before."""
    assert encode(frame, Encoding.JSON) == _JSON_MODULE(frame).encode("utf-8")


def test_floats_and_keys_msgspec_refuses_still_encode_to_the_same_json() -> None:
    floats = {"type": "ack", "score": 1e16, "small": 1e-7, "half": 0.5}
    keys: dict[Any, Any] = {"type": "ack", True: 1, None: 2, 3: "three"}
    for frame in (floats, keys):
        assert json.loads(encode(frame, Encoding.JSON)) == json.loads(_JSON_MODULE(frame))
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be sent, as before
        encode({"text": "\ud800"}, Encoding.JSON)
