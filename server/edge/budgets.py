"""What a frame may cost before anyone decodes it: size for the sender's role, and budgets of
ops and bytes per socket, per person across all their sockets, and per address.

Decoding is the expensive part of a frame (a 62 KiB JSON frame takes milliseconds); these
checks are a length and a few bucket lookups, so an attacker's flood is refused for the price
of noticing it, and a bystander's vote never waits behind someone else's bytes.
"""

from __future__ import annotations

from moderation.roles import Role
from server.config import Limits
from server.edge.addresses import address_bucket
from server.live.connection import Connection
from server.live.ratelimit import KeyedBuckets

__all__ = ["IntakeBudgets"]


class IntakeBudgets:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.person_ops = KeyedBuckets(limits.ops_per_second, limits.ops_burst)
        self.person_bytes = KeyedBuckets(
            limits.bytes_per_second_per_participant, limits.bytes_burst_per_participant
        )
        self.address_ops = KeyedBuckets(limits.ops_per_second_per_ip, limits.ops_burst_per_ip)
        self.address_bytes = KeyedBuckets(limits.bytes_per_second_per_ip, limits.bytes_burst_per_ip)

    def max_frame(self, role: Role) -> int:
        """Attendee ops are small (a vote is tens of bytes, a question a few hundred)."""
        limits = self.limits
        return limits.max_attendee_frame_bytes if role is Role.ATTENDEE else limits.max_frame_bytes

    def refusal(self, conn: Connection, size: int, now: float) -> str | None:
        """None when the frame may be decoded; else the code to answer it with."""
        if size > self.max_frame(conn.role):
            return "frame.too_large"
        if not conn.bucket.take(now):
            return "rate.limited"
        where = address_bucket(conn.ip)
        if not (self.address_ops.take(where, now) and self.address_bytes.take(where, now, size)):
            return "rate.limited"
        if conn.role is Role.ATTENDEE:
            person = f"{conn.room}\\0{conn.participant_id}"
            if not (
                self.person_ops.take(person, now) and self.person_bytes.take(person, now, size)
            ):
                return "rate.limited"
        return None
