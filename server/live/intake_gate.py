"""Flow control for one room: past a mark of ops decided and not yet committed, an attendee's
socket is not read again until the room's writer has taken the next batch.

Refusing an op with `server.busy` costs the event loop about what taking it does: the frame
is read, budgeted, decoded, decided against the inbox and answered, and the phone sends it
again a moment later. In `make bench`'s `burst` (20,000 votes a second offered) the loop
refused about 7,000 a second beside 3,000 it acked. Held instead, a phone's frames wait in
its own socket (TCP backpressure: the kernel holds them, nothing is read or parsed), and
the loop spends itself on the votes it can commit. Nothing is refused, and nothing is lost:
a held frame has not been read, let alone acknowledged.

Only the roles in HELD are held. Staff sockets are few, and their ops must get through a
surge: a moderator closes the poll the crowd is flooding. `max_pending_ops` stays the hard
bound for everything the gate does not hold (staff, the HTTP API): past it, `server.busy`.

Once the writer has taken a batch, only as many held sockets go on as the room has room
for (the mark less what is pending), oldest first. Letting every one go at once cost more
than the hold saved: each woke, found the room full again behind the first few hundred, and
was held again (about 11,000 holds a second in `burst`). The last of those let go looks
again once it has run, so that none is stranded if they brought fewer ops than there was
room for (a phone gone, a ping): if the room is still below the mark, more go on; if not,
it is at the mark, and the writer's next batch comes.

    gate = IntakeGate(mark=2000)
    if gate.holds(role, pending):       # before a socket's next frame is handled
        gate.hold(resume)               # resume() is called once the room may take more
    gate.taken(pending, release)        # by the writer, after each batch it takes:
                                        # pending() counts the ops still waiting
"""

from __future__ import annotations

from collections.abc import Callable

from moderation.roles import Role

__all__ = ["HELD", "IntakeGate"]

# The roles whose sockets wait while the room is saturated: the crowd.
HELD = frozenset({Role.ATTENDEE})


class IntakeGate:
    __slots__ = ("held", "mark")

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.held: list[Callable[[], None]] = []  # each waiting socket's resume, in order

    def holds(self, role: Role, pending: int) -> bool:
        """Must a socket of `role` wait before its next frame, with `pending` ops queued?
        (A mark of 0 holds nobody.)"""
        return 0 < self.mark <= pending and role in HELD

    def hold(self, resume: Callable[[], None]) -> None:
        """`resume` runs once, after the writer takes a batch (or the room stops)."""
        self.held.append(resume)

    def taken(
        self, pending: Callable[[], int], release: Callable[[list[Callable[[], None]]], None]
    ) -> None:
        """The writer took a batch and `pending()` are left: below the mark, as many held
        sockets as there is room for go on, in the order they were held, through `release`
        (the loop's intake line, so a release of thousands still takes its turns)."""
        held = self.held
        room = self.mark - pending()
        if not held or room <= 0:
            return
        if room >= len(held):
            self.held = []
            release(held)
            return
        going, self.held = held[:room], held[room:]
        last = going[-1]

        def last_then_look_again() -> None:
            last()
            self.taken(pending, release)

        going[-1] = last_then_look_again
        release(going)

    def release(self, release: Callable[[list[Callable[[], None]]], None]) -> None:
        """Every held socket goes on now, whatever is pending (the room is stopping)."""
        held, self.held = self.held, []
        if held:
            release(held)
