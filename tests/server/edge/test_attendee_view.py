"""server/edge/attendee_view.py: the receipt from the address, the questions' order, the cache."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.edge.attendee_view import FragmentCache, poll_param, question_order, receipt_of

HASH = "ab" * 32


def test_a_receipt_is_seq_colon_hash() -> None:
    assert receipt_of(f"12:{HASH}") == f"12:{HASH}"
    for bad in (None, "", f"12:{HASH[:-1]}", f"x:{HASH}", f"12:{HASH.upper()}", f"12:{HASH}\n",
                f"<b>:{HASH}", f"1:{HASH}&q=1"):
        assert receipt_of(bad) is None, bad


@given(st.text(max_size=120))
def test_only_well_formed_receipts_pass(raw: str) -> None:
    got = receipt_of(raw)
    assert got is None or got == raw
    if got is not None:
        seq, digest = got.split(":")
        assert seq.isdigit() and len(digest) == 64 and set(digest) <= set("0123456789abcdef")


_questions = st.lists(
    st.fixed_dictionaries({
        "question_id": st.integers(0, 50),
        "score": st.integers(-5, 20),
        "text": st.text(max_size=20),
        "labels": st.lists(st.sampled_from(["roads", "parks"]), max_size=2),
        "pinned": st.booleans(),
    }),
    max_size=12,
    unique_by=lambda q: q["question_id"],
)


@given(_questions, st.sampled_from(["top", "new"]), st.text(max_size=8))
def test_the_order_lists_each_match_once_and_never_the_pinned(
    questions: list[dict[str, Any]], sort: str, search: str
) -> None:
    shown = question_order(questions, sort, search)
    ids = [q["question_id"] for q in shown]
    assert len(ids) == len(set(ids))
    assert not any(q["pinned"] for q in shown)  # "now answering" has its own place
    needle = search.casefold().strip()
    for q in questions:
        matches = not needle or needle in q["text"].casefold() or needle in " ".join(
            q["labels"]).casefold()
        assert (q["question_id"] in ids) == (matches and not q["pinned"])
    if sort == "new":
        assert ids == sorted(ids, reverse=True)
    else:
        keys = [(-q["score"], q["question_id"]) for q in shown]
        assert keys == sorted(keys)


def test_the_cache_keeps_the_newest_versions() -> None:
    cache = FragmentCache(size=2)
    cache.put(("A", 1, "en"), b"one")
    cache.put(("A", 2, "en"), b"two")
    assert cache.get(("A", 1, "en")) == b"one"  # touched: now the newest
    cache.put(("A", 3, "en"), b"three")
    assert cache.get(("A", 2, "en")) is None
    assert cache.get(("A", 1, "en")) == b"one" and cache.get(("A", 3, "en")) == b"three"


@given(st.text(max_size=20))
def test_a_poll_id_from_the_address_never_raises(raw: str) -> None:
    got = poll_param(raw)
    assert got is None or (str(got) == raw.lstrip("0") or got == 0)
    assert poll_param("²") is None and poll_param("12") == 12 and poll_param("-1") is None
