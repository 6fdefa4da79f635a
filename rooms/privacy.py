"""What of an entry the public hash chain holds, and what stays beside it (docs/TRANSCRIPT.md).

    sealed = seal(state, actor, op_id, wire, room_key, salt)   # the edge, before the append
    actor, op_id, data = unseal(public_actor, public_op_id, public_data, private)   # replay

The chain holds the *public form* of an entry: no participant id, no name, no district, no
text a moderator may still reject. Attendees act under keys derived with the room's secret
key: a ballot under one key per person and poll (`ballot_key`), stable within the poll and
linked neither to the person nor to their other ballots; any other entry under a key of its
own. Each sealed field leaves a commitment in `data["sealed"]` (a salted SHA-256) and its
value in the private record the store keeps beside the chain, keyed by participant, which
erasure blanks. Publishing reveals a sealed value with its salt where the record may show it
(an approved question's text); anyone can check the reveal against the commitment.

Pure: HMAC and SHA-256 only; the room key and the salt arrive from the edge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from rooms.chain import canonical_json
from rooms.keyed_hash import KeyedHash
from rooms.poll_kinds import KINDS
from rooms.standing import SYSTEM
from rooms.state import RoomState

__all__ = [
    "PERSONAL",
    "SEALED",
    "RoomKey",
    "Sealed",
    "aliased",
    "ballot_key",
    "ballot_scope",
    "commitment",
    "erased",
    "erased_by",
    "seal",
    "unseal",
]

# Fields whose values stay beside the chain, per event type. The public form keeps only
# their commitments. Ballot texts (open answers) are sealed too (`_sealed_fields`).
SEALED: Mapping[str, tuple[str, ...]] = {
    "participant.joined": ("name", "district", "code_hash"),
    # Who, and through which content: a public `via` would tell who wrote what was banned.
    "participant.banned": ("participant_id", "via"),
    "participant.unbanned": ("participant_id", "ban_id"),
    "participant.forgotten": ("participant_id",),
    "speaker.requested": ("topic",),
    "speaker.called": ("participant_id",),
    "speaker.skipped": ("participant_id",),
    "speaker.finished": ("participant_id",),
    "question.asked": ("text", "terms"),
    "ballot.cast": ("terms", "held"),
    # A field inside an object is named with a dot: the room's password is no public record.
    "room.created": ("settings.access_code",),
    "room.updated": ("settings.access_code",),
}
# Personal data: blanked by an erasure (the other sealed fields are what people said).
PERSONAL = frozenset({"name", "district", "code_hash"})
# Fields that name a participant: a purge replaces them by the person's alias.
_REFS = frozenset({"participant_id"})


@dataclass(frozen=True, slots=True)
class Sealed:
    """An entry split in two: what the chain hashes, and the private record beside it."""

    actor: str
    op_id: str
    data: dict[str, Any]
    private: dict[str, Any] | None


# A room's key, or its KeyedHash: a caller that seals many entries (a room host) keeps the
# HMAC set-up of the key instead of redoing it for every alias.
RoomKey = bytes | KeyedHash


def _mac(key: KeyedHash, *parts: str) -> str:
    return key.hexdigest("\n".join(parts).encode("utf-8"))[:32]


def _keyed(room_key: RoomKey) -> KeyedHash:
    return room_key if isinstance(room_key, KeyedHash) else KeyedHash(room_key)


def ballot_scope(state: RoomState, poll_id: object) -> str:
    """What one ballot key covers: one poll, or every poll of a kind whose `ballot_scope` is
    "room" (a quiz's leaderboard links a player's answers across its quiz polls)."""
    poll = state.polls.get(poll_id) if isinstance(poll_id, int) else None
    if poll is not None and KINDS[poll.defn.kind].ballot_scope == "room":
        return f"kind:{poll.defn.kind}"
    return f"poll:{poll_id}"


def ballot_key(room_key: RoomKey, participant: str, scope: str) -> str:
    """HMAC(room key, participant, scope): the same person and poll, the same key."""
    return "b-" + _mac(_keyed(room_key), "ballot", participant, scope)


def commitment(salt: str, value: Any) -> str:
    """SHA-256 of the field's salt (hex, ASCII), a newline, and the value's canonical JSON."""
    return hashlib.sha256(salt.encode("ascii") + b"\n" + canonical_json(value)).hexdigest()


def _is_staff(state: RoomState, actor: str) -> bool:
    return (
        actor == SYSTEM
        or actor == state.organiser
        or actor in state.moderators
        or (
            state.seq == 0  # room.created: its actor becomes the organiser
        )
    )


def _sealed_fields(state: RoomState, type_: str, data: Mapping[str, Any]) -> tuple[str, ...]:
    names = SEALED.get(type_, ())
    if type_ == "ballot.cast":
        poll = state.polls.get(data.get("poll_id"))  # type: ignore[arg-type]
        kind = KINDS[poll.defn.kind] if poll is not None else None
        if (
            kind is not None
            and not kind.screened
            and not data.get("terms")
            and not data.get("held")
        ):
            # No filter reads such a ballot: its terms and held words are empty by the poll's
            # kind, which is public, so their commitments would hide nothing. They cost four
            # hashes and about 250 bytes of private record on every ballot of a plain poll.
            return ()
        if kind is not None and kind.answers:
            names = (*names, "choice")  # a free text can name its author, or be rejected
    return tuple(n for n in names if _has(data, n))


def _has(data: Mapping[str, Any], name: str) -> bool:
    outer, _, inner = name.partition(".")
    if not inner:
        return outer in data
    nested = data.get(outer)
    return isinstance(nested, Mapping) and inner in nested


def _pop(data: dict[str, Any], name: str) -> Any:
    outer, _, inner = name.partition(".")
    if not inner:
        return data.pop(outer)
    nested = dict(data[outer])
    value = nested.pop(inner)
    data[outer] = nested
    return value


def _put(data: dict[str, Any], name: str, value: Any) -> None:
    outer, _, inner = name.partition(".")
    if not inner:
        data[outer] = value
    else:
        data[outer] = {**data.get(outer, {}), inner: value}


def seal(
    state: RoomState,
    actor: str,
    op_id: str,
    wire: Mapping[str, Any],
    room_key: RoomKey,
    salt: str,
    ballot_keys: MutableMapping[tuple[str, str], str] | None = None,
) -> Sealed:
    """The public form of event `wire` ({type, data}) decided for `actor` under `op_id`.

    `salt` is fresh randomness for this entry (the edge draws it): the salts of its sealed
    fields and, for an entry without op_id, its key are derived from it. `ballot_keys`, if
    given, remembers each (participant, scope)'s ballot key under this `room_key`: the key
    is the same for every ballot of that person in that poll, so it is computed once.
    """
    type_, data = wire["type"], dict(wire["data"])
    names = _sealed_fields(state, type_, data)
    private: dict[str, Any] = {}
    if names:
        salt_hash = KeyedHash(salt.encode("ascii"))
        salts = {n: _mac(salt_hash, "field", n) for n in names}
        values = private["fields"] = {n: _pop(data, n) for n in names}
        private["salts"] = salts
        data["sealed"] = {n: commitment(salts[n], values[n]) for n in names}
    public_actor, public_op = actor, op_id
    if type_ == "ballot.cast" or not _is_staff(state, actor):
        room_key = _keyed(room_key)
        if type_ == "ballot.cast":
            scope = ballot_scope(state, data.get("poll_id"))
            if ballot_keys is None:
                public_actor = ballot_key(room_key, actor, scope)
            else:
                public_actor = ballot_keys.get((actor, scope)) or ballot_keys.setdefault(
                    (actor, scope), ballot_key(room_key, actor, scope)
                )
        else:
            public_actor = "a-" + _mac(room_key, "entry", actor, op_id or "nonce:" + salt)
        public_op = "o-" + _mac(room_key, "op", actor, op_id) if op_id else ""
        private["actor"], private["op_id"] = actor, op_id
    return Sealed(public_actor, public_op, data, private or None)


def erased_by(type_: str, actor: str, data: Mapping[str, Any]) -> str | None:
    """Whose personal data an entry erases: its actor's (`participant.erased`), or the one
    an organiser names (`participant.forgotten`); None for every other entry."""
    if type_ == "participant.erased":
        return actor
    if type_ == "participant.forgotten":
        target = data.get("participant_id")
        return target if isinstance(target, str) else None
    return None


def unseal(
    actor: str, op_id: str, data: Mapping[str, Any], private: Mapping[str, Any] | None
) -> tuple[str, str, dict[str, Any]]:
    """The entry as the room folds it: who really acted, their op id, the sealed values back.

    Without a private record (a staff entry, or a log written before the chain was sealed)
    the public form is the whole entry.
    """
    out = {k: v for k, v in data.items() if k != "sealed"}
    if private is None:
        return actor, op_id, out
    for name, value in (private.get("fields") or {}).items():
        _put(out, name, value)
    return str(private.get("actor", actor)), str(private.get("op_id", op_id)), out


def erased(private: Mapping[str, Any]) -> dict[str, Any]:
    """The private record with its personal data blanked (its salt goes with it, so the
    commitment can never be opened again)."""
    fields = {k: (None if k in PERSONAL else v) for k, v in (private.get("fields") or {}).items()}
    salts = {k: v for k, v in (private.get("salts") or {}).items() if k not in PERSONAL}
    out = {**private}
    if "fields" in private:
        out["fields"], out["salts"] = fields, salts
    return out


def aliased(private: Mapping[str, Any], alias: Callable[[str], str]) -> dict[str, Any]:
    """`erased`, and every participant id (the actor, a ban's target) replaced by its alias:
    what a retention purge keeps, enough to replay the room and nothing to find a person."""
    out = erased(private)
    if "actor" in out:
        out["actor"] = alias(str(out["actor"]))
    if "fields" in out:
        out["fields"] = {
            k: (alias(v) if k in _REFS and isinstance(v, str) else v)
            for k, v in out["fields"].items()
        }
    return out
