"""State to a plain dict and back, exactly: str keys, lists, no tuples or sets (JSON, msgpack).

Derived data (tallies, the question and answer indexes) is not stored: `from_snapshot`
recounts the tallies from the ballots and files the items again, so a snapshot can never
carry a tally that disagrees with its ballots. Sets are stored sorted and insertion-ordered
dicts as lists, so equal states give equal snapshots.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from moderation.audit import AuditEntry
from rooms.events import Choice
from rooms.item_index import ItemIndex
from rooms.op_memory import OpMemory
from rooms.poll_ops import definition_dict
from rooms.polls import recount
from rooms.settings import RoomSettings
from rooms.state import (
    Answer,
    ContentBan,
    Floor,
    Moderator,
    Participant,
    Poll,
    PollDef,
    PollTemplate,
    PollText,
    Presenting,
    Question,
    RoomState,
    SpeakerRequest,
)

__all__ = ["SNAPSHOT_VERSION", "from_snapshot", "to_snapshot"]

SNAPSHOT_VERSION = 2  # 2: ops became a bounded memory (rooms/op_memory.py)


def _wire(choice: Choice) -> Any:
    return list(choice) if isinstance(choice, tuple) else choice


def _unwire(value: Any) -> Choice:
    return tuple(value) if isinstance(value, list) else value


def _poll(p: Poll) -> dict[str, Any]:
    return {
        "id": p.id,
        "defn": definition_dict(p.defn),
        "created_at": p.created_at,
        "state": p.state,
        "revealed": p.revealed,
        "deleted": p.deleted,
        "was_public": p.was_public,
        "closes_at": p.closes_at,
        "ballots": [[who, _wire(c)] for who, c in p.ballots.items()],
        "answer_of": [[who, a] for who, a in p.answer_of.items()],
        "answer_ids": list(p.answer_ids),
        "opened_at": p.opened_at,
        "window_ms": p.window_ms,
        "cast_at": [[who, at] for who, at in p.cast_at.items()],
        "translations": [[lang, t.question, list(t.options)] for lang, t in p.translations.items()],
    }


def _question(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "author": q.author,
        "text": q.text,
        "anonymous": q.anonymous,
        "at": q.at,
        "state": q.state,
        "flags": list(q.flags),
        "original_text": q.original_text,
        "reason": q.reason,
        "lang": q.lang,
        "terms": list(q.terms),
        "answer": q.answer,
        "answered_at": q.answered_at,
        "answered_by": q.answered_by,
        "labels": list(q.labels),
        "upvoters": sorted(q.upvoters),
        "downvoters": sorted(q.downvoters),
        "was_public": q.was_public,
        "translations": dict(q.translations),
    }


def to_snapshot(state: RoomState) -> dict[str, Any]:
    return {
        "version": SNAPSHOT_VERSION,
        "seq": state.seq,
        "created": state.created,
        "closed": state.closed,
        "transcript_public": state.transcript_public,
        "log_format": state.log_format,
        "link_generations": dict(state.link_generations),
        "code": state.code,
        "title": state.title,
        "organiser": state.organiser,
        "created_at": state.created_at,
        "settings": state.settings.to_dict(),
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "district": p.district,
                "joined_at": p.joined_at,
                "erased": p.erased,
                "banned": p.banned,
                "ban_reason": p.ban_reason,
                "content_bans": [
                    {"ban_id": b.ban_id, "via": b.via, "reason": b.reason, "at": b.at}
                    for b in p.content_bans.values()
                ],
                "questions": list(p.questions),
                "asked": sorted(p.asked),
            }
            for p in state.participants.values()
        ],
        "moderators": [
            {"id": m.id, "name": m.name, "added_at": m.added_at, "active": m.active, "role": m.role}
            for m in state.moderators.values()
        ],
        "polls": [_poll(p) for p in state.polls.values()],
        "answers": [
            {
                "id": a.id,
                "poll_id": a.poll_id,
                "author": a.author,
                "text": a.text,
                "at": a.at,
                "state": a.state,
                "flags": list(a.flags),
                "original_text": a.original_text,
                "reason": a.reason,
                "lang": a.lang,
                "terms": list(a.terms),
                "wordcloud": a.wordcloud,
            }
            for a in state.answers.values()
        ],
        "questions": [_question(q) for q in state.questions.values()],
        "pinned": state.pinned,
        "queue": [[r.participant_id, r.topic, r.at] for r in state.queue.values()],
        "floor": None
        if state.floor is None
        else {
            "participant_id": state.floor.participant_id,
            "topic": state.floor.topic,
            "since": state.floor.since,
            "time_limit_s": state.floor.time_limit_s,
        },
        "presenting": None
        if state.presenting is None
        else {
            "target": state.presenting.target,
            "target_id": state.presenting.target_id,
            "since": state.presenting.since,
        },
        "reactions": [[w, dict(c)] for w, c in state.reactions.items()],
        "reaction_window": state.reaction_window,
        "audit": [e.to_dict() for e in state.audit],
        "attendee_codes": [[h, who] for h, who in state.attendee_codes.items()],
        "templates": [
            {**asdict(t), "options": list(t.options)} for t in state.templates.values()
        ],
        "ops": state.ops.to_dict(),
    }


def from_snapshot(d: dict[str, Any]) -> RoomState:
    if d.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"unsupported snapshot version {d.get('version')!r}")
    state = RoomState(
        seq=d["seq"],
        created=d["created"],
        closed=d["closed"],
        transcript_public=d.get("transcript_public", False),
        log_format=d.get("log_format", 1),
        link_generations={str(k): int(v) for k, v in d.get("link_generations", {}).items()},
        code=d["code"],
        title=d["title"],
        organiser=d["organiser"],
        created_at=d["created_at"],
        settings=RoomSettings.from_dict(d["settings"]),
        pinned=d["pinned"],
        reaction_window=d["reaction_window"],
    )
    for p in d["participants"]:
        state.participants[p["id"]] = Participant(
            id=p["id"],
            name=p["name"],
            district=p["district"],
            joined_at=p["joined_at"],
            banned=p["banned"],
            ban_reason=p["ban_reason"],
            erased=p.get("erased", False),
            questions=list(p["questions"]),
            asked=set(p["asked"]),
            content_bans={b["ban_id"]: ContentBan(**b) for b in p.get("content_bans", ())},
        )
    for m in d["moderators"]:
        state.moderators[m["id"]] = Moderator(**m)
    for p in d["polls"]:
        defn = dict(p["defn"])
        defn["options"] = tuple(defn["options"])
        defn["caps"] = tuple(defn["caps"]) if defn["caps"] is not None else None
        if defn.get("correct") is not None:
            defn["correct"] = tuple(defn["correct"])
        poll = Poll(
            id=p["id"],
            defn=PollDef(**defn),
            created_at=p["created_at"],
            state=p["state"],
            revealed=p["revealed"],
            deleted=p["deleted"],
            was_public=p["was_public"],
            closes_at=p["closes_at"],
            ballots={who: _unwire(c) for who, c in p["ballots"]},
            answer_of={who: a for who, a in p["answer_of"]},
            answer_ids=dict.fromkeys(p["answer_ids"]),
            # absent from snapshots taken before quizzes and translations existed
            opened_at=p.get("opened_at"),
            window_ms=p.get("window_ms", 0),
            cast_at={who: at for who, at in p.get("cast_at", ())},
            translations={
                lang: PollText(question, tuple(options))
                for lang, question, options in p.get("translations", ())
            },
        )
        poll.tally = recount(poll)
        state.polls[poll.id] = poll
    for a in d["answers"]:
        # "terms", "lang", "wordcloud": absent from snapshots taken before they existed
        state.answers[a["id"]] = Answer(
            **{**a, "flags": tuple(a["flags"]), "terms": tuple(a.get("terms", ()))}
        )
    for q in d["questions"]:
        state.questions[q["id"]] = Question(
            **{
                **q,
                "flags": tuple(q["flags"]),
                "terms": tuple(q.get("terms", ())),
                "labels": tuple(q["labels"]),
                "upvoters": set(q["upvoters"]),
                "downvoters": set(q["downvoters"]),
                "translations": dict(q.get("translations", {})),
            }
        )
    for who, topic, at in d["queue"]:
        state.queue[who] = SpeakerRequest(who, topic, at)
    if d["floor"] is not None:
        state.floor = Floor(**d["floor"])
    if d.get("presenting") is not None:  # absent from snapshots taken before screen.show
        state.presenting = Presenting(**d["presenting"])
    for window, counts in d["reactions"]:
        state.reactions[window] = dict(counts)
    state.audit = [AuditEntry.from_dict(e) for e in d["audit"]]
    for code_hash, who in d.get("attendee_codes", ()):
        state.attendee_codes[code_hash] = who
    for t in d.get("templates", ()):  # absent from snapshots taken before template.save
        state.templates[t["id"]] = PollTemplate(**{**t, "options": tuple(t["options"])})
    state.ops = OpMemory.from_dict(d["ops"])
    # Derived, so filed afresh (rooms/item_index.py), as the tallies are recounted.
    state.question_index = ItemIndex.of(state.questions.values())
    state.answer_index = ItemIndex.of(state.answers.values())
    return state
