"""Room lifecycle and people: create, update, close; join, ban, unban; co-moderators.

A ban names a person, or content: a question, an open answer, the floor. Through content that
does not show staff its author it is a content ban, held by ban id (see `decide_ban`).

A re-join with an id that already joined (the same token reconnecting, or a person fixing
their name) updates the name and district given and keeps everything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moderation.filters import TextFilters
from moderation.roles import INVITED
from rooms import lookup
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import (
    CodesIssued,
    Event,
    ModeratorAdded,
    ModeratorRevoked,
    ParticipantBanned,
    ParticipantErased,
    ParticipantForgotten,
    ParticipantJoined,
    ParticipantUnbanned,
    RoomClosed,
    RoomCreated,
    RoomUpdated,
    SpeakerFinished,
    SpeakerWithdrawn,
    TranscriptPublished,
)
from rooms.fields import clean_line, opt_str, req_id, req_int, req_str
from rooms.lifecycles import BAN, MODERATOR, TRANSCRIPT
from rooms.names import name_locked
from rooms.records import Record
from rooms.settings import RoomSettings, parse_settings, valid_code
from rooms.state import ContentBan, Moderator, Participant, RoomState

__all__ = ["APPLIERS", "CODES_PER_ISSUE", "DECIDERS"]

TITLE_MAX = 200
D = Mapping[str, Any]
CODES_PER_ISSUE = 500
CODES_PER_ROOM = 100_000
LOG_FORMAT = 2  # a sealed chain (rooms/privacy.py); RoomCreated.format of rooms created now
_ATTENDEE_CODE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


# What the edge hands in for one-time attendee codes (server/edge/code_keys.py): keyed
# hashes when codes are issued; when someone joins, every hash their code may be kept under.
_KEYED_HASH = re.compile(r"^k1:[0-9a-f]{64}$")
_ANY_HASH = re.compile(r"^(?:k1:)?[0-9a-f]{64}$")
CANDIDATES_MAX = 64  # the signing secret, the old secrets still listed, the legacy hash


def decide_create(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    if state.seq != 0:  # the room's first entry (once created, the ROOM table says so too)
        raise CommandError("room.exists")
    code = req_str(f, "code")
    if not valid_code(code):
        raise CommandError("field.invalid", "code must be 1-32 letters, digits, '-' or '_'")
    title = clean_line(req_str(f, "title"), TITLE_MAX)
    # POST /api/rooms sends settings beside the title; a "settings" object works too.
    raw = f.get("settings", f)
    settings = parse_settings(raw, RoomSettings())
    return RoomCreated(code=code, title=title, settings=settings.to_dict(), format=LOG_FORMAT)


def decide_update(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    title = opt_str(f, "title")
    if title is not None:
        title = clean_line(title, TITLE_MAX)
    current = state.settings.to_dict()
    wanted = parse_settings(f.get("settings"), state.settings).to_dict()
    changed = {k: v for k, v in wanted.items() if v != current[k]}
    return RoomUpdated(title=title, settings=changed)


def decide_close(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    return RoomClosed()


def decide_join(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    settings = state.settings
    known = state.participants.get(ctx.actor)
    if known is not None and known.barred:
        raise CommandError("auth.banned")
    if settings.access_code is not None and f.get("access_code") != settings.access_code:
        raise CommandError("auth.access_code")
    name = opt_str(f, "name")
    name = clean_line(name, settings.name_max_length) if name and name.strip() else None
    if known is not None and name not in (None, known.name) and name_locked(state, known.id):
        raise CommandError("name.locked")
    if settings.names_required and name is None and (known is None or known.name is None):
        raise CommandError("name.required")
    district = opt_str(f, "district")
    if district is not None and district not in settings.districts:
        raise CommandError("district.invalid")
    hashed = None
    if settings.verified and known is None:
        # A verified room admits a newcomer only with an unused code the organiser issued.
        raw = f.get("attendee_code")
        if not isinstance(raw, str) or not _ATTENDEE_CODE.match(raw):
            raise CommandError("auth.attendee_code")
        hashed = _unused(state, f.get("attendee_code_hashes"))
    return ParticipantJoined(name=name, district=district, code_hash=hashed)


def _unused(state: RoomState, hashes: object) -> str:
    """The first of the code's candidate hashes this room issued and nobody used yet."""
    if not isinstance(hashes, list | tuple) or len(hashes) > CANDIDATES_MAX:
        raise CommandError("auth.attendee_code")
    for h in hashes:
        if isinstance(h, str) and _ANY_HASH.match(h) and state.attendee_codes.get(h, "") is None:
            return h
    raise CommandError("auth.attendee_code")


# A ban names exactly one target: a person, or something they did. Content that does not
# show staff its author (an anonymous question, an open answer or word-cloud word: ballots)
# makes a content ban, which staff hold by ban id and content, never by the person.
_BAN_TARGETS = ("participant_id", "question_id", "answer_id", "speaker")
_UNBAN_TARGETS = (*_BAN_TARGETS, "ban_id")
_BAN_ID = re.compile(r"^b[1-9][0-9]{0,15}$")


def _one_target(f: D, names: tuple[str, ...]) -> str:
    given = [n for n in names if f.get(n) is not None]
    if len(given) != 1:
        raise CommandError("ban.target", f"name exactly one of {', '.join(names)}")
    return given[0]


def _author(state: RoomState, f: D, target: str) -> tuple[Participant, str | None]:
    """Whom the target names, and the content reference when staff may not know who it is."""
    if target == "participant_id":
        return lookup.participant(state, req_str(f, target)), None
    if target == "question_id":
        q = lookup.question(state, req_id(f, target))
        return lookup.participant(state, q.author), f"question:{q.id}" if q.anonymous else None
    if target == "answer_id":
        a = lookup.answer(state, req_id(f, target))
        return lookup.participant(state, a.author), f"answer:{a.id}"
    if f.get(target) != "floor":  # the queue's entries carry their participant_id
        raise CommandError("field.invalid", 'speaker must be "floor"')
    if state.floor is None:
        raise CommandError("speaker.no_floor")
    return lookup.participant(state, state.floor.participant_id), None


def _held_via(person: Participant, via: str) -> ContentBan | None:
    return next((b for b in person.content_bans.values() if b.via == via), None)


def _ban_holder(state: RoomState, ban_id: str) -> Participant:
    for person in state.participants.values():
        if ban_id in person.content_bans:
            return person
    raise CommandError("ban.not_found")


def decide_ban(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    person, via = _author(state, f, _one_target(f, _BAN_TARGETS))
    return ParticipantBanned(participant_id=person.id, reason=lookup.reject_reason(f), via=via)


def decide_unban(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    target = _one_target(f, _UNBAN_TARGETS)
    if target == "ban_id":
        ban_id = req_str(f, target)
        if not _BAN_ID.match(ban_id):
            raise CommandError("ban.not_found")
        return ParticipantUnbanned(participant_id=_ban_holder(state, ban_id).id, ban_id=ban_id)
    person, via = _author(state, f, target)
    if via is None:
        BAN.check(person.banned, ParticipantUnbanned)
        return ParticipantUnbanned(participant_id=person.id)
    held = _held_via(person, via)
    if held is None:  # not through this content (whatever else its author may be banned for)
        raise CommandError("participant.not_banned")
    return ParticipantUnbanned(participant_id=person.id, ban_id=held.ban_id)


def decide_add_moderator(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    name = clean_line(req_str(f, "name"), state.settings.name_max_length)
    role = f.get("role", "moderator")
    if role not in _INVITED:
        raise CommandError("field.invalid", f"role must be one of {', '.join(_INVITED)}")
    return ModeratorAdded(name=name, role=role)


_INVITED = tuple(r.value for r in INVITED)  # moderator (the default) or interpreter


def _active_moderator(state: RoomState, moderator_id: str) -> Moderator:
    mod = state.moderators.get(moderator_id)
    if mod is None:
        raise CommandError("moderator.not_found")
    MODERATOR.check(mod.active, ModeratorRevoked)
    return mod


def decide_revoke(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    mod = _active_moderator(state, req_str(f, "moderator_id"))
    return ModeratorRevoked(moderator_id=mod.id)


def decide_issue_codes(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    """The codes are drawn by the server (the engine draws no randomness), which hands in
    their keyed `hashes` only: the room never sees a code it issues."""
    count = req_int(f, "count", 1, CODES_PER_ISSUE)
    given = f.get("hashes")
    if given is None:
        raise CommandError("field.missing", "hashes is required (the server adds them)")
    if (
        not isinstance(given, list | tuple)
        or len(given) != count
        or not all(isinstance(h, str) and _KEYED_HASH.match(h) for h in given)
    ):
        raise CommandError(
            "field.invalid", f"hashes must be 1-{CODES_PER_ISSUE} keyed code hashes (k1:...)"
        )
    hashes = tuple(dict.fromkeys(given))
    if len(hashes) != len(given) or any(h in state.attendee_codes for h in hashes):
        raise CommandError("field.invalid", "codes must be new and distinct")
    if len(state.attendee_codes) + len(hashes) > CODES_PER_ROOM:
        raise CommandError("field.invalid", f"a room may have at most {CODES_PER_ROOM} codes")
    return CodesIssued(hashes=hashes)


def decide_publish(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    TRANSCRIPT.check(state.transcript_public, TranscriptPublished)
    if state.log_format < LOG_FORMAT:
        # Its chain holds names beside ballots: publishing it would publish who voted what.
        raise CommandError("transcript.legacy")
    return TranscriptPublished()


def decide_erase(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    return ParticipantErased()


def decide_forget(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    person = lookup.participant(state, req_str(f, "participant_id"))
    return ParticipantForgotten(participant_id=person.id)


DECIDERS: dict[str, Decider] = {
    "room.create": decide_create,
    "room.update": decide_update,
    "room.close": decide_close,
    "participant.join": decide_join,
    "participant.ban": decide_ban,
    "participant.unban": decide_unban,
    "moderator.add": decide_add_moderator,
    "moderator.revoke": decide_revoke,
    "codes.issue": decide_issue_codes,
    "room.publish": decide_publish,
    "participant.erase": decide_erase,
    "participant.forget": decide_forget,
}


def apply_created(state: RoomState, rec: Record, ev: RoomCreated, fx: Effects) -> None:
    state.created = True  # the reducer checked the ROOM table: a room is created once
    state.code = ev.code
    state.title = ev.title
    state.organiser = rec.actor
    state.created_at = rec.at
    state.log_format = ev.format
    state.settings = RoomSettings.from_dict(ev.settings)
    fx.result = {"code": ev.code}
    fx.target = f"room:{ev.code}"
    fx.after = dict(ev.settings)
    fx.touch("room", None, ev.TYPE)


def apply_updated(state: RoomState, rec: Record, ev: RoomUpdated, fx: Effects) -> None:
    before = state.settings.to_dict()
    fx.before = {k: before[k] for k in ev.settings}
    fx.after = dict(ev.settings)
    if ev.title is not None:
        fx.before["title"], fx.after["title"] = state.title, ev.title
        state.title = ev.title
    state.settings = RoomSettings.from_dict({**before, **ev.settings})
    fx.target = f"room:{state.code}"
    fx.touch("room", None, ev.TYPE)


def apply_closed(state: RoomState, rec: Record, ev: RoomClosed, fx: Effects) -> None:
    state.closed = True
    fx.target = f"room:{state.code}"
    fx.touch("room", None, ev.TYPE)


def apply_joined(state: RoomState, rec: Record, ev: ParticipantJoined, fx: Effects) -> None:
    person = state.participants.get(rec.actor)
    if person is None and ev.code_hash is not None:
        # Two joins may have been decided with the same code: the first committed wins.
        if ev.code_hash not in state.attendee_codes or state.attendee_codes[ev.code_hash]:
            raise CommandError("auth.attendee_code")
        state.attendee_codes[ev.code_hash] = rec.actor
    if person is None:
        state.participants[rec.actor] = Participant(
            id=rec.actor, name=ev.name, district=ev.district, joined_at=rec.at
        )
    else:  # a re-join; a banned person's was already refused by the reducer's standing check
        if ev.name not in (None, person.name) and name_locked(state, person.id):
            raise CommandError("name.locked")  # its question was published meanwhile
        if ev.name is not None:
            person.name = ev.name
        if ev.district is not None:
            person.district = ev.district
        if ev.name is not None or ev.district is not None:
            person.erased = False  # given again, after an erasure: theirs to give
    fx.result = {"participant_id": rec.actor}
    fx.touch("participant", rec.actor, ev.TYPE)


def apply_banned(state: RoomState, rec: Record, ev: ParticipantBanned, fx: Effects) -> None:
    person = lookup.participant(state, ev.participant_id)
    if ev.via is None:
        person.banned = BAN.next(person.banned, ParticipantBanned)
        person.ban_reason = ev.reason
        fx.result = {"participant_id": person.id}
        fx.target = f"participant:{person.id}"
        fx.touch("participant", person.id, ev.TYPE)
    else:
        # Banned again through the same content: a new reason, the same ban id.
        held = _held_via(person, ev.via)
        ban = ContentBan(
            ban_id=held.ban_id if held is not None else f"b{rec.seq}",
            via=ev.via,
            reason=ev.reason,
            at=rec.at,
        )
        person.content_bans[ban.ban_id] = ban
        # Staff learn the ban and its content, never the person: no participant frame, an
        # audit entry that names the content. "barred" reaches only the hub and the person.
        fx.result = {"ban_id": ban.ban_id, "via": ban.via}
        fx.target = ban.via
        fx.touch("ban", int(ban.ban_id[1:]), ev.TYPE)
        fx.touch("barred", person.id, ev.TYPE)
    fx.reason = ev.reason
    # A banned person leaves the speaker queue, and the floor if they hold it.
    if state.queue.pop(person.id, None) is not None:
        fx.touch("speaker", person.id, SpeakerWithdrawn.TYPE)
    if state.floor is not None and state.floor.participant_id == person.id:
        state.floor = None
        fx.touch("speaker", person.id, SpeakerFinished.TYPE)


def apply_unbanned(state: RoomState, rec: Record, ev: ParticipantUnbanned, fx: Effects) -> None:
    person = lookup.participant(state, ev.participant_id)
    if ev.ban_id is None:
        person.banned = BAN.next(person.banned, ParticipantUnbanned)
        person.ban_reason = None
        fx.result = {"participant_id": person.id}
        fx.target = f"participant:{person.id}"
        fx.touch("participant", person.id, ev.TYPE)
        return
    ban = person.content_bans.pop(ev.ban_id, None)
    if ban is None:  # two moderators lifted it at once: the first committed won
        raise CommandError("ban.not_found")
    fx.result = {"ban_id": ban.ban_id, "via": ban.via}
    fx.target = ban.via
    fx.touch("ban", int(ban.ban_id[1:]), ev.TYPE)


def apply_moderator_added(state: RoomState, rec: Record, ev: ModeratorAdded, fx: Effects) -> None:
    mod = Moderator(id=f"m{rec.seq}", name=ev.name, added_at=rec.at, role=ev.role)
    state.moderators[mod.id] = mod
    fx.result = {"moderator_id": mod.id}
    if mod.role != "moderator":
        fx.result["role"] = mod.role  # the edge's invite link carries this role
    fx.target = f"moderator:{mod.id}"
    fx.touch("moderator", mod.id, ev.TYPE)


def apply_moderator_revoked(
    state: RoomState, rec: Record, ev: ModeratorRevoked, fx: Effects
) -> None:
    mod = _active_moderator(state, ev.moderator_id)
    mod.active = MODERATOR.next(mod.active, ModeratorRevoked)
    fx.result = {"moderator_id": mod.id}
    fx.target = f"moderator:{mod.id}"
    fx.touch("moderator", mod.id, ev.TYPE)


def apply_codes_issued(state: RoomState, rec: Record, ev: CodesIssued, fx: Effects) -> None:
    fresh = [h for h in ev.hashes if h not in state.attendee_codes]
    if len(fresh) != len(ev.hashes):
        raise CommandError("field.invalid", "codes must be new and distinct")
    for h in fresh:
        state.attendee_codes[h] = None
    fx.result = {"count": len(fresh)}
    fx.target = f"room:{state.code}"
    fx.after = {"codes": len(fresh)}  # moderators see an audit entry; nobody else a frame


def apply_published(state: RoomState, rec: Record, ev: TranscriptPublished, fx: Effects) -> None:
    state.transcript_public = TRANSCRIPT.next(state.transcript_public, TranscriptPublished)
    fx.target = f"room:{state.code}"
    fx.after = {"transcript_public": True}
    fx.touch("room", None, ev.TYPE)


def _erase(state: RoomState, participant_id: str, ev: Event, fx: Effects) -> None:
    person = lookup.participant(state, participant_id)
    person.name = person.district = None
    person.erased = True
    fx.result = {"participant_id": person.id}
    fx.target = f"participant:{person.id}"
    fx.touch("participant", person.id, ev.TYPE)


def apply_erased(state: RoomState, rec: Record, ev: ParticipantErased, fx: Effects) -> None:
    _erase(state, rec.actor, ev, fx)


def apply_forgotten(state: RoomState, rec: Record, ev: ParticipantForgotten, fx: Effects) -> None:
    _erase(state, ev.participant_id, ev, fx)


APPLIERS: dict[type[Event], Applier] = {
    RoomCreated: apply_created,
    RoomUpdated: apply_updated,
    RoomClosed: apply_closed,
    ParticipantJoined: apply_joined,
    ParticipantBanned: apply_banned,
    ParticipantUnbanned: apply_unbanned,
    ModeratorAdded: apply_moderator_added,
    ModeratorRevoked: apply_moderator_revoked,
    CodesIssued: apply_codes_issued,
    TranscriptPublished: apply_published,
    ParticipantErased: apply_erased,
    ParticipantForgotten: apply_forgotten,
}
