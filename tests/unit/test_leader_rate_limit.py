"""A leader's message rate: a burst, then one every interval; one notice per burst."""

from __future__ import annotations

from bot.telegram.flood import LeaderRateLimit, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_taken_then_the_first_one_over_is_told_and_the_rest_dropped() -> None:
    limit = LeaderRateLimit(burst=3, interval=1.0, clock=Clock())
    verdicts = [limit.admit(1) for _ in range(6)]
    assert verdicts == [Verdict.TAKE] * 3 + [Verdict.DROP_AND_TELL] + [Verdict.DROP] * 2
    assert limit.admit(2) is Verdict.TAKE  # another leader has an allowance of their own
    assert limit.take_dropped(1) == 3
    assert limit.take_dropped(1) == 0


def test_the_rate_refills_one_per_interval_within_the_same_burst_without_a_second_notice() -> None:
    clock = Clock()
    limit = LeaderRateLimit(burst=3, interval=1.0, clock=clock)
    for _ in range(4):
        limit.admit(1)
    clock.now = 1.0
    assert limit.admit(1) is Verdict.TAKE
    assert limit.admit(1) is Verdict.DROP  # still the same flood: told already
    assert limit.flooding(1)


def test_a_new_burst_after_the_allowance_refilled_gets_its_own_notice() -> None:
    clock = Clock()
    limit = LeaderRateLimit(burst=3, interval=1.0, clock=clock)
    for _ in range(5):
        limit.admit(1)
    clock.now = 3.0  # three intervals: full again
    assert not limit.flooding(1)
    verdicts = [limit.admit(1) for _ in range(5)]
    assert verdicts == [Verdict.TAKE] * 3 + [Verdict.DROP_AND_TELL, Verdict.DROP]


def test_quiet_leaders_are_forgotten() -> None:
    clock = Clock()
    limit = LeaderRateLimit(burst=2, interval=1.0, clock=clock)
    for leader in range(2000):
        limit.admit(leader)
    clock.now = 10.0
    for _ in range(1100):
        limit.admit(99_999)
    assert len(limit) < 100


def test_a_leader_who_waits_for_each_reply_is_never_held_back() -> None:
    limit = LeaderRateLimit(burst=2, interval=60.0, clock=Clock())
    assert all(limit.admit(1, waiting=False) is Verdict.TAKE for _ in range(100))
    assert [limit.admit(1) for _ in range(3)] == [Verdict.TAKE, Verdict.TAKE, Verdict.DROP_AND_TELL]
