"""What the attendee page's script may fetch: `/r/{code}/live` (the public part, the same
bytes for everyone, usually a 304) and `/r/{code}/mine` (the person's own blocks, rendered
for them), budgeted per person and per address.

    refusal = fragments.refusal("live", claims, address, time.monotonic())   # None: go on

Per person first, from the verified cookie alone (no room loaded, nothing rendered): the
script asks for /live at most once a second per page and for /mine one at a time, so a
person's budget is several times that (tabs, devices, a burst after reconnecting) and only a
script of its own meets it. Then per address, only for what passed its person's budget, so
one flooding person cannot spend the budget of the hundreds of people behind the same
council-chamber Wi-Fi; without a verified cookie the address alone pays (the answer is a
refusal anyway). Buckets are in this process's memory, like the socket frame budgets: these
guard CPU, not fairness across processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from moderation.roles import Role
from server.config import Limits
from server.edge.tokens import Claims
from server.live.ratelimit import KeyedBuckets

__all__ = ["FRAGMENTS", "FragmentBudgets"]


@dataclass(frozen=True, slots=True)
class _Names:
    """The Limits fields of one fragment's budgets."""

    person_rate: str
    person_burst: str
    address_rate: str
    address_burst: str


FRAGMENTS: Mapping[str, _Names] = {
    "live": _Names(
        "live_per_second_per_participant",
        "live_burst_per_participant",
        "live_per_second_per_ip",
        "live_burst_per_ip",
    ),
    "mine": _Names(
        "mine_per_second_per_participant",
        "mine_burst_per_participant",
        "mine_per_second_per_ip",
        "mine_burst_per_ip",
    ),
}


class FragmentBudgets:
    def __init__(self, limits: Limits) -> None:
        self._person: dict[str, KeyedBuckets] = {}
        self._address: dict[str, KeyedBuckets] = {}
        for name, f in FRAGMENTS.items():
            self._person[name] = KeyedBuckets(
                getattr(limits, f.person_rate), getattr(limits, f.person_burst)
            )
            self._address[name] = KeyedBuckets(
                getattr(limits, f.address_rate), getattr(limits, f.address_burst)
            )

    def refusal(self, fragment: str, claims: Claims | None, address: str, now: float) -> str | None:
        """None when `fragment` may be served; else why not ("person" or "address")."""
        if claims is not None and claims.role is Role.ATTENDEE:
            person = f"{claims.room}\0{claims.participant_id}"
            if not self._person[fragment].take(person, now):
                return "person"
        if not self._address[fragment].take(address, now):
            return "address"
        return None
