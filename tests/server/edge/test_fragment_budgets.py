"""The /live and /mine budgets, given a clock: a person's own budget first, and only what
passes it spends their address's, so one flooding person cannot lock out the hundreds of
people behind the same address; with no verified person the address alone pays."""

from __future__ import annotations

from dataclasses import replace

from moderation.roles import Role
from server.config import Limits
from server.edge.fragment_budgets import FRAGMENTS, FragmentBudgets
from server.edge.tokens import Claims

LIMITS = replace(
    Limits(),
    live_per_second_per_participant=1.0,
    live_burst_per_participant=3,
    live_per_second_per_ip=1.0,
    live_burst_per_ip=10,
)


def _person(pid: str) -> Claims:
    return Claims(room="ROOM", participant_id=pid, role=Role.ATTENDEE, expires_at=0)


def test_a_person_past_their_budget_is_refused_and_spends_nothing_of_the_address() -> None:
    budgets = FragmentBudgets(LIMITS)
    flooder, other = _person("p-flood"), _person("p-ana")
    answers = [budgets.refusal("live", flooder, "203.0.113.9", now=0.0) for _ in range(100)]
    assert answers[:3] == [None] * 3 and set(answers[3:]) == {"person"}
    # The address spent 3 of its 10: seven more people behind it still get their page.
    for i in range(7):
        assert budgets.refusal("live", _person(f"p-{i}"), "203.0.113.9", now=0.0) is None
    assert budgets.refusal("live", other, "203.0.113.9", now=0.0) == "address"
    assert budgets.refusal("live", other, "198.51.100.1", now=0.0) is None  # another address
    # A second later each bucket holds one more: one more page, then refused again.
    assert budgets.refusal("live", flooder, "203.0.113.9", now=1.0) is None
    assert budgets.refusal("live", flooder, "203.0.113.9", now=1.0) == "person"
    assert budgets.refusal("live", other, "203.0.113.9", now=1.0) == "address"


def test_without_a_person_the_address_pays_and_fragments_have_their_own_budgets() -> None:
    budgets = FragmentBudgets(LIMITS)
    anonymous = [budgets.refusal("live", None, "203.0.113.9", now=0.0) for _ in range(12)]
    assert anonymous == [None] * 10 + ["address"] * 2
    assert budgets.refusal("mine", None, "203.0.113.9", now=0.0) is None  # /mine: its own
    staff = Claims(room="ROOM", participant_id="o", role=Role.ORGANISER, expires_at=0)
    assert budgets.refusal("live", staff, "203.0.113.9", now=0.0) == "address"
    assert set(FRAGMENTS) == {"live", "mine"}
    for names in FRAGMENTS.values():  # every budget is a documented, tunable limit
        for field in (names.person_rate, names.person_burst, names.address_rate):
            assert hasattr(Limits(), field)
