"""The check-in plan in the leader's time: whole plans across daylight-saving changes.

Berlin moves its clocks forward at 02:00 on Sunday 29 March 2026; New York moves them
back at 02:00 on Sunday 1 November 2026. A leader who agreed "17:00 on my action's day"
or "two weeks from now, same time" means their own clock, whatever UTC does meanwhile.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.schedule import after, out_of_quiet_hours, plan_checkins
from flows.settings import CoachSettings

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = (time(21, 0), time(8, 0))
SETTINGS = CoachSettings(quiet_hours=QUIET)  # first after 2 days, sessions every 2 weeks
FAST = CoachSettings(first_after=timedelta(seconds=2), quiet_hours=None)


def plan_in(
    zone: ZoneInfo, closed: datetime, due: date, settings: CoachSettings = SETTINGS
) -> dict[str, datetime]:
    """The plan for a session closed at a local time, each check-in on the leader's clock."""
    plan = plan_checkins(closed.replace(tzinfo=zone).astimezone(UTC), due, str(zone), settings)
    assert [at for _, at in plan] == sorted(at for _, at in plan)
    assert all(at.tzinfo == UTC for _, at in plan)
    return {kind: at.astimezone(zone).replace(tzinfo=None) for kind, at in plan}


@pytest.mark.parametrize(
    ("zone", "closed", "due"),
    [
        # Closed the Thursday before Berlin springs forward; the action is due after it.
        (BERLIN, datetime(2026, 3, 26, 17, 30), date(2026, 4, 6)),
        # Closed the Wednesday before New York falls back; the action is due after it.
        (NEW_YORK, datetime(2026, 10, 28, 17, 30), date(2026, 11, 9)),
    ],
    ids=["berlin-spring-forward", "new-york-fall-back"],
)
def test_every_check_in_keeps_the_leaders_clock_across_the_change(
    zone: ZoneInfo, closed: datetime, due: date
) -> None:
    plan = plan_in(zone, closed, due)
    assert sorted(plan) == ["action_due", "first", "midway", "next_session"]
    # Two days on at the same local time, across the change.
    assert plan["first"] == closed + timedelta(days=2)
    # The action's day at 17:00 local.
    assert plan["action_due"] == datetime.combine(due, time(17, 0))
    # Two weeks on, same local time, even though that is 14 days ± 1 hour of real time.
    assert plan["next_session"] == closed + timedelta(weeks=2)
    # Half way in real time, moved out of the night if it fell in it.
    assert plan["midway"].time() >= time(8, 0)
    assert plan["first"] < plan["midway"] < plan["action_due"]


def test_berlins_17_00_is_16_00_utc_before_the_change_and_15_00_after() -> None:
    zone = "Europe/Berlin"
    before = plan_checkins(datetime(2026, 3, 20, 9, 0, tzinfo=UTC), date(2026, 3, 28), zone, SETTINGS)
    after_change = plan_checkins(datetime(2026, 3, 22, 9, 0, tzinfo=UTC), date(2026, 3, 30), zone, SETTINGS)
    assert dict(before)["action_due"] == datetime(2026, 3, 28, 16, 0, tzinfo=UTC)
    assert dict(after_change)["action_due"] == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)


def test_new_yorks_17_00_is_21_00_utc_before_the_change_and_22_00_after() -> None:
    zone = "America/New_York"
    before = plan_checkins(datetime(2026, 10, 24, 14, 0, tzinfo=UTC), date(2026, 10, 31), zone, SETTINGS)
    after_change = plan_checkins(datetime(2026, 10, 26, 14, 0, tzinfo=UTC), date(2026, 11, 2), zone, SETTINGS)
    assert dict(before)["action_due"] == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert dict(after_change)["action_due"] == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)


def test_an_action_due_on_the_day_of_the_change_is_checked_at_17_00_local() -> None:
    for zone, day in ((BERLIN, date(2026, 3, 29)), (NEW_YORK, date(2026, 11, 1))):
        plan = plan_in(zone, datetime.combine(day - timedelta(days=5), time(9, 0)), day)
        assert plan["action_due"] == datetime.combine(day, time(17, 0))


def test_quiet_hours_are_left_at_08_00_local_on_the_morning_of_the_change() -> None:
    # Closed Friday 22:30: two days later is Sunday 22:30, quiet until Monday 08:00.
    plan = plan_in(BERLIN, datetime(2026, 3, 27, 22, 30), date(2026, 4, 10))
    assert plan["first"] == datetime(2026, 3, 30, 8, 0)
    # A nudge half way that lands in the night before the change waits for 08:00 too.
    moved = out_of_quiet_hours(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "Europe/Berlin", QUIET)
    assert moved.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 8, 0)
    assert moved == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    moved = out_of_quiet_hours(datetime(2026, 11, 1, 3, 30, tzinfo=UTC), "America/New_York", QUIET)
    assert moved == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_a_short_first_after_is_elapsed_time_even_across_the_change() -> None:
    # Two seconds before 02:00 on the night Berlin springs forward: two seconds later it is 03:00.
    closed = datetime(2026, 3, 29, 0, 59, 58, tzinfo=UTC)
    plan = dict(plan_checkins(closed, date(2026, 4, 10), "Europe/Berlin", FAST))
    assert plan["first"] == closed + timedelta(seconds=2)
    assert plan["first"].astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 0)


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        # Whole days on the wall clock.
        (datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN), timedelta(days=1), datetime(2026, 3, 29, 10, 0)),
        (datetime(2026, 10, 31, 10, 0, tzinfo=NEW_YORK), timedelta(days=1), datetime(2026, 11, 1, 10, 0)),
        # Hours are elapsed time: 01:30 EDT plus one hour is 01:30 EST, the repeated hour.
        (datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK), timedelta(hours=1), datetime(2026, 11, 1, 1, 30)),
        # A day and a half: a wall-clock day, then twelve real hours.
        (
            datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN),
            timedelta(days=1, hours=12),
            datetime(2026, 3, 30, 8, 0),
        ),
    ],
)
def test_after_counts_days_on_the_clock_and_the_rest_in_real_time(
    start: datetime, delta: timedelta, expected: datetime
) -> None:
    zone = start.tzinfo
    assert isinstance(zone, ZoneInfo)
    result = after(start.astimezone(UTC), delta, str(zone))
    assert result.tzinfo == UTC
    assert result.astimezone(zone).replace(tzinfo=None) == expected


def test_after_keeps_the_second_of_two_repeated_hours() -> None:
    # 01:30 EST on 1 November is the second 01:30; a week later it is simply 01:30.
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert second.astimezone(NEW_YORK).fold == 1
    assert after(second, timedelta(days=7), "America/New_York") == datetime(2026, 11, 8, 6, 30, tzinfo=UTC)
    # A day before the first 01:30 EDT, a day on: the first of the two.
    first = datetime(2026, 10, 31, 5, 30, tzinfo=UTC)
    assert after(first, timedelta(days=1), "America/New_York") == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
