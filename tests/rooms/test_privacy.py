"""The public form of a room's log (rooms/privacy.py) and its recount (rooms/recount.py).

Hypothesis drives random meetings through the engine; then every record is sealed as the
edge seals it. Properties: the public form names no participant, unsealing gives back
exactly what the room folded, ballot keys are one per person and poll and never shared
across polls, and the recount of the public form alone equals the engine's results.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import CommandError, event_to_dict
from rooms.keyed_hash import KeyedHash
from rooms.poll_kinds import KINDS
from rooms.privacy import aliased, erased, seal, unseal
from rooms.recount import FULL, recount
from rooms.reducer import apply, new_room
from rooms.render import poll_results
from tests.rooms.harness import ORG, Room

KEY = b"\x07" * 32
KEYED = KeyedHash(KEY)
PEOPLE = ("ann", "bob", "cyd", "dee")
KINDS_USED = ("single", "multiple", "rating", "ranking", "budget", "open")


def _choice(kind: str, n: int) -> Any:
    return {
        "single": n % 3,
        "multiple": sorted({n % 3, (n // 3) % 3}),
        "rating": 1 + n % 5,
        "ranking": [n % 3, (n + 1) % 3, (n + 2) % 3],
        "budget": {"0": n % 4, "2": 3},
        "open": f"idea number {n}",
    }[kind]


def _public(room: Room) -> list[dict[str, Any]]:
    """Every record sealed against the state it was decided in, as the edge does."""
    state = new_room()
    out = []
    ballot_keys: dict[tuple[str, str], str] = {}  # as a room host remembers them
    for rec in room.records:
        wire = event_to_dict(rec.event)
        sealed = seal(state, rec.actor, rec.op_id, wire, KEY, f"{rec.seq:032x}")
        # Remembered ballot keys change no byte of the chain: the same entry either way.
        assert seal(state, rec.actor, rec.op_id, wire, KEY, f"{rec.seq:032x}", ballot_keys) == (
            sealed
        )
        # Nor does a room key whose HMAC set-up the caller keeps, as a room host does.
        assert seal(state, rec.actor, rec.op_id, wire, KEYED, f"{rec.seq:032x}") == sealed
        assert unseal(sealed.actor, sealed.op_id, sealed.data, sealed.private) == (
            rec.actor,
            rec.op_id,
            wire["data"],
        )
        out.append(
            {
                "seq": rec.seq,
                "at": rec.at,
                "actor": sealed.actor,
                "op_id": sealed.op_id,
                "type": wire["type"],
                "data": json.loads(json.dumps(sealed.data)),
            }
        )
        apply(state, rec)
    return out


steps = st.lists(
    st.tuples(
        st.sampled_from(("vote", "vote", "vote", "close", "open", "ask")),
        st.integers(0, len(PEOPLE) - 1),
        st.integers(0, 5),
        st.integers(0, 50),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    steps=steps,
    changes=st.booleans(),
    kinds=st.lists(st.sampled_from(KINDS_USED), min_size=1, max_size=3),
)
def test_the_public_form_recounts_to_the_engine_and_names_no_one(
    steps: list[tuple[str, int, int, int]], changes: bool, kinds: list[str]
) -> None:
    room = Room(vote_changes=changes, moderation="post")
    room.join(*PEOPLE)
    polls = [room.poll(kind) for kind in kinds]
    for action, who, which, n in steps:
        poll_id = polls[which % len(polls)]
        kind = room.state.polls[poll_id].defn.kind
        try:
            if action == "vote":
                room.do(PEOPLE[who], "vote", poll_id=poll_id, choice=_choice(kind, n))
            elif action == "close":
                room.do(ORG, "poll.close", poll_id=poll_id)
            elif action == "open":
                room.do(ORG, "poll.open", poll_id=poll_id)
            else:
                room.do(PEOPLE[who], "question.ask", text=f"Why {n}?", anonymous=n % 2 == 0)
        except CommandError:
            pass
    public = _public(room)
    text = json.dumps(public)
    for person in PEOPLE:
        assert f'"{person}"' not in text and person.title() not in text
    tally = recount(public)
    keys: dict[int, set[str]] = {}
    for e in public:
        if e["type"] == "ballot.cast":
            keys.setdefault(e["data"]["poll_id"], set()).add(e["actor"])
    seen: set[str] = set()
    for poll_keys in keys.values():
        assert len(poll_keys) <= len(PEOPLE)  # stable within a poll: one key per person
        assert not poll_keys & seen  # never shared across polls
        seen |= poll_keys
    for poll in room.state.polls.values():
        if not poll.was_public:
            assert poll.id not in tally.results
            continue
        ours, theirs = tally.results[poll.id], poll_results(room.state, poll)
        if poll.defn.kind in FULL:
            assert ours == {k: theirs[k] for k in ours}
        else:
            assert ours == {"voters": theirs["voters"]}
        assert KINDS[poll.defn.kind].ballot_scope == "poll"


def test_erasure_blanks_personal_fields_and_a_purge_aliases_people() -> None:
    state = new_room()
    state.seq, state.organiser = 1, ORG
    wire = {
        "type": "participant.joined",
        "data": {"name": "Ann", "district": "N", "code_hash": None},
    }
    sealed = seal(state, "ann", "j1", wire, KEY, "0" * 32)
    assert sealed.private is not None and "Ann" not in json.dumps(sealed.data)
    gone = erased(sealed.private)
    assert gone["fields"] == {"name": None, "district": None, "code_hash": None}
    assert gone["salts"] == {} and gone["actor"] == "ann"
    purged = aliased(sealed.private, lambda who: "x1")
    assert purged["actor"] == "x1" and purged["fields"]["name"] is None
    ban = seal(
        state,
        ORG,
        "b1",
        {"type": "participant.banned", "data": {"participant_id": "ann", "reason": "spam"}},
        KEY,
        "1" * 32,
    )
    assert ban.actor == ORG and "ann" not in json.dumps(ban.data)  # staff act in public
    assert aliased(ban.private or {}, lambda who: "x1")["fields"]["participant_id"] == "x1"


def test_the_room_password_is_sealed_inside_its_settings() -> None:
    state = new_room()
    wire = {
        "type": "room.created",
        "data": {
            "code": "R",
            "title": "T",
            "settings": {"access_code": "s3cret", "vote_changes": True},
        },
    }
    sealed = seal(state, ORG, "create-R", wire, KEY, "2" * 32)
    assert "s3cret" not in json.dumps(sealed.data) and sealed.actor == ORG
    assert sealed.data["settings"] == {"vote_changes": True}
    assert "settings.access_code" in sealed.data["sealed"]
    assert unseal(sealed.actor, sealed.op_id, sealed.data, sealed.private)[2] == wire["data"]


def test_a_plain_ballot_seals_nothing_and_a_screened_one_its_terms_even_when_empty() -> None:
    """A ballot's terms and held words come from the filters. On a poll no filter reads
    (options, ratings, budgets...) they are empty by the poll's kind, which is public: they
    stay in the clear, with no commitment and nothing beside the chain but who cast it. On a
    poll whose ballots are screened their emptiness would tell something: sealed as ever."""
    room = Room(moderation="post")
    room.join("ann")
    plain, screened = room.poll("single"), room.poll("open")
    room.do("ann", "vote", poll_id=plain, choice=1)
    room.do("ann", "vote", poll_id=screened, choice="more benches")
    sealed = {}
    state = new_room()
    for rec in room.records:
        if rec.event.TYPE == "ballot.cast":
            kind = state.polls[rec.event.poll_id].defn.kind  # type: ignore[attr-defined]
            sealed[kind] = seal(
                state, rec.actor, rec.op_id, event_to_dict(rec.event), KEY, "3" * 32
            )
        apply(state, rec)

    one = sealed["single"]
    assert "sealed" not in one.data and one.data["terms"] == [] and one.data["held"] == []
    assert one.private == {"actor": "ann", "op_id": one.private["op_id"]}  # type: ignore[index]
    assert one.actor.startswith("b-") and "ann" not in json.dumps(one.data)

    text = sealed["open"]
    assert set(text.data["sealed"]) == {"terms", "held", "choice"}
    assert "terms" not in text.data and "more benches" not in json.dumps(text.data)
    assert text.private is not None and text.private["fields"]["terms"] == []
