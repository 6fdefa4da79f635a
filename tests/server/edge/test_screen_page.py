"""The screen's and the overlay's address options, and the countdown text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from server.edge.screen_page import OverlayOptions, ScreenOptions, clock, length_class

_NAMES = st.sampled_from(["theme", "size", "show", "backdrop", "poll", "contrast", "x"])
_VALUES = st.one_of(
    st.sampled_from(
        [
            "dark",
            "light",
            "s",
            "m",
            "l",
            "follow",
            "poll",
            "reactions",
            "clear",
            "solid",
            "high",
            "3",
            "007",
            "",
            "-1",
            "1" * 20,
            "٣",
        ]
    ),
    st.text(max_size=30),
)


@settings(deadline=None)
@given(st.dictionaries(_NAMES, _VALUES))
def test_any_address_gives_options_from_the_lists(params: dict[str, str]) -> None:
    o = OverlayOptions(params)
    assert o.theme in OverlayOptions.THEMES and o.size in OverlayOptions.SIZES
    assert o.show in OverlayOptions.SHOWS and o.backdrop in OverlayOptions.BACKDROPS
    assert (o.show == "poll") == (o.poll is not None and o.show != "reactions")
    assert o.poll is None or (0 <= o.poll < 10**15)
    again = OverlayOptions(o.query())  # the link the panel builds reads back the same
    assert (again.theme, again.size, again.show, again.backdrop, again.poll) == (
        o.theme,
        o.size,
        o.show,
        o.backdrop,
        o.poll if o.show == "poll" else None,
    )
    assert all(c.isalnum() or c in " -" for c in o.body_class)  # safe in a class attribute
    s = ScreenOptions(params)
    assert s.theme in ScreenOptions.THEMES and s.high_contrast == (params.get("contrast") == "high")
    assert all(c.isalnum() or c in " -" for c in s.body_class)


def test_the_first_overlay_address_form_still_means_one_poll() -> None:
    assert OverlayOptions({"poll": "12"}).show == "poll"
    assert OverlayOptions({"poll": "12", "show": "reactions"}).show == "reactions"
    assert OverlayOptions({"show": "poll"}).show == "follow"  # no poll named: follow
    assert OverlayOptions({"poll": "٣"}).poll is None  # digits, but not ASCII ones


@settings(deadline=None)
@given(st.integers(-(10**9), 10**9))
def test_clock_reads_minutes_and_seconds(ms: int) -> None:
    text = clock(ms)
    over = text.startswith("+")
    minutes, seconds = text.lstrip("+").split(":")
    total = int(minutes) * 60 + int(seconds)
    assert over == (ms < 0) and len(seconds) == 2 and int(seconds) < 60
    # A countdown shows a second as long as any of it is left; time over counts whole seconds.
    assert total == (-(-ms // 1000) if ms >= 0 else (-ms) // 1000)


def test_long_text_steps_down() -> None:
    assert [length_class("x" * n) for n in (60, 61, 121, 221)] == ["", "long", "longer", "longest"]
