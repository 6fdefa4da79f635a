"""When a person's name is fixed: once it stands beside something the room can see.

A re-join may change the name given, until the name is on show: a published question that
is not anonymous, an approved open answer, a place in the speaker queue or the floor. From
then on a new name would relabel what others have already read under the old one (an
approved question re-signed "Mayor Smith (OFFICIAL)" on the big screen), so `decide` and
`apply` both refuse it with `name.locked`. Locking, rather than allowing and auditing the
rename, stops the deception before anyone sees it; an audit would only explain it after a
room full of people had.
"""

from __future__ import annotations

from rooms.state import RoomState

__all__ = ["name_locked"]


def name_locked(state: RoomState, participant_id: str) -> bool:
    person = state.participants.get(participant_id)
    if person is None:
        return False
    for question_id in person.questions:
        q = state.questions.get(question_id)
        if q is not None and q.was_public and not q.anonymous:
            return True
    if participant_id in state.queue:
        return True
    if state.floor is not None and state.floor.participant_id == participant_id:
        return True
    return any(a.author == participant_id and a.state == "approved" for a in state.answers.values())
