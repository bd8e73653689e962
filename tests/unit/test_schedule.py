"""When check-ins fall due: the rhythm, quiet hours and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.schedule import format_local, in_quiet_hours, local_datetime, out_of_quiet_hours, plan_checkins
from flows.settings import CoachSettings

SETTINGS = CoachSettings()  # first check-in after 2 days, sessions every 2 weeks, quiet 21:00-08:00
NO_QUIET = CoachSettings(quiet_hours=None)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday 15:00 UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def kinds(plan: list[tuple[str, datetime]]) -> list[str]:
    return [kind for kind, _ in plan]


# the rhythm


def test_an_action_due_tomorrow_gets_one_check_in_at_the_end_of_its_day() -> None:
    plan = plan_checkins(NOW, date(2026, 11, 26), "UTC", SETTINGS)
    assert plan == [("action_due", utc(2026, 11, 26, 17, 0)), ("next_session", utc(2026, 12, 9, 15, 0))]


def test_an_action_due_within_the_first_gap_is_checked_once() -> None:
    # First check-in would be Friday 15:00, the action is due Friday 17:00: one nudge covers both.
    plan = plan_checkins(NOW, date(2026, 11, 27), "UTC", SETTINGS)
    assert plan == [("action_due", utc(2026, 11, 27, 15, 0)), ("next_session", utc(2026, 12, 9, 15, 0))]


def test_an_action_due_today_after_the_check_time_is_still_checked_after_closing() -> None:
    evening = utc(2026, 11, 25, 18, 0)
    plan = plan_checkins(evening, date(2026, 11, 25), "UTC", SETTINGS)
    assert kinds(plan) == ["action_due", "next_session"]
    assert plan[0][1] > evening


def test_an_action_a_few_days_out_gets_a_first_check_in_and_its_own() -> None:
    plan = plan_checkins(NOW, date(2026, 11, 28), "UTC", SETTINGS)
    assert plan == [
        ("first", utc(2026, 11, 27, 15, 0)),
        ("action_due", utc(2026, 11, 28, 17, 0)),
        ("next_session", utc(2026, 12, 9, 15, 0)),
    ]


def test_a_far_action_gets_first_midway_due_and_next_session() -> None:
    plan = plan_checkins(NOW, date(2026, 12, 16), "UTC", SETTINGS)
    assert kinds(plan) == ["first", "midway", "next_session", "action_due"]
    times = dict(plan)
    assert times["first"] == utc(2026, 11, 27, 15, 0)
    assert times["action_due"] == utc(2026, 12, 16, 17, 0)
    assert times["next_session"] == utc(2026, 12, 9, 15, 0)
    # Half way is 04:00 on 6 December, inside the quiet hours: it waits until 08:00.
    assert NOW + (times["action_due"] - NOW) / 2 == utc(2026, 12, 6, 4, 0)
    assert times["midway"] == utc(2026, 12, 6, 8, 0)
    assert [at for _, at in plan] == sorted(at for _, at in plan)


def test_the_rhythm_follows_the_settings() -> None:
    settings = CoachSettings(
        first_after=timedelta(days=1), session_interval=timedelta(weeks=1), quiet_hours=None
    )
    plan = plan_checkins(NOW, date(2026, 12, 16), "UTC", settings)
    assert dict(plan)["first"] == utc(2026, 11, 26, 15, 0)
    assert dict(plan)["next_session"] == utc(2026, 12, 2, 15, 0)


# quiet hours


def test_quiet_hours_move_a_check_in_to_the_next_allowed_minute_in_the_leaders_zone() -> None:
    closed = local(BERLIN, 2026, 11, 25, 22, 30)  # Wednesday 22:30 in Berlin
    plan = plan_checkins(closed.astimezone(UTC), date(2026, 12, 16), "Europe/Berlin", SETTINGS)
    times = dict(plan)
    assert times["first"] == local(BERLIN, 2026, 11, 28, 8, 0)
    assert times["next_session"] == local(BERLIN, 2026, 12, 10, 8, 0)
    assert times["action_due"] == local(BERLIN, 2026, 12, 16, 17, 0)


def test_quiet_hours_are_the_leaders_not_utcs() -> None:
    # 22:00 UTC is 17:00 in New York: a fine time to hear from the coach there.
    closed = utc(2026, 11, 25, 22, 0)
    plan = plan_checkins(closed, date(2026, 12, 16), "America/New_York", SETTINGS)
    assert dict(plan)["first"] == utc(2026, 11, 27, 22, 0)
    # 03:00 UTC is 22:00 in New York: quiet there.
    plan = plan_checkins(utc(2026, 11, 26, 3, 0), date(2026, 12, 16), "America/New_York", SETTINGS)
    assert dict(plan)["first"] == local(NEW_YORK, 2026, 11, 28, 8, 0)


def test_without_quiet_hours_nothing_moves() -> None:
    closed = utc(2026, 11, 25, 23, 30)
    plan = plan_checkins(closed, date(2026, 12, 16), "UTC", NO_QUIET)
    assert dict(plan)["first"] == utc(2026, 11, 27, 23, 30)


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_in_quiet_hours_over_midnight(clock: time, quiet: bool) -> None:
    moment = datetime.combine(date(2026, 11, 25), clock, tzinfo=BERLIN)
    assert in_quiet_hours(moment, "Europe/Berlin", (time(21, 0), time(8, 0))) is quiet


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (local(BERLIN, 2026, 11, 25, 23, 15), local(BERLIN, 2026, 11, 26, 8, 0)),
        (local(BERLIN, 2026, 11, 26, 2, 0), local(BERLIN, 2026, 11, 26, 8, 0)),
        (local(BERLIN, 2026, 11, 26, 8, 0), local(BERLIN, 2026, 11, 26, 8, 0)),
        (local(BERLIN, 2026, 11, 26, 14, 0), local(BERLIN, 2026, 11, 26, 14, 0)),
    ],
)
def test_out_of_quiet_hours(clock: datetime, expected: datetime) -> None:
    assert out_of_quiet_hours(clock.astimezone(UTC), "Europe/Berlin", (time(21, 0), time(8, 0))) == expected


def test_out_of_quiet_hours_within_one_day() -> None:
    lunch = (time(12, 0), time(13, 0))
    assert out_of_quiet_hours(utc(2026, 11, 25, 12, 30), "UTC", lunch) == utc(2026, 11, 25, 13, 0)
    assert out_of_quiet_hours(utc(2026, 11, 25, 13, 0), "UTC", lunch) == utc(2026, 11, 25, 13, 0)
    assert out_of_quiet_hours(utc(2026, 11, 25, 11, 0), "UTC", None) == utc(2026, 11, 25, 11, 0)


# daylight saving


@pytest.mark.parametrize(
    ("zone", "day", "offset"),
    [
        ("Europe/Berlin", date(2026, 3, 28), 1),
        ("Europe/Berlin", date(2026, 3, 29), 2),  # clocks go forward at 02:00
        ("Europe/Berlin", date(2026, 3, 30), 2),
        ("America/New_York", date(2026, 10, 31), -4),
        ("America/New_York", date(2026, 11, 1), -5),  # clocks go back at 02:00
        ("America/New_York", date(2026, 11, 2), -5),
    ],
)
def test_the_action_check_is_at_17_local_either_side_of_a_dst_change(
    zone: str, day: date, offset: int
) -> None:
    closed = datetime.combine(day - timedelta(days=6), time(10, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    plan = plan_checkins(closed, day, zone, SETTINGS)
    action_at = dict(plan)["action_due"]
    assert action_at.astimezone(ZoneInfo(zone)).time() == time(17, 0)
    assert action_at == datetime.combine(day, time(17, 0), tzinfo=UTC) - timedelta(hours=offset)


def test_a_wall_clock_time_skipped_by_dst_lands_on_a_real_instant() -> None:
    at = local_datetime(date(2026, 3, 29), time(2, 30), "Europe/Berlin")
    assert at.tzinfo == UTC
    assert at.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


def test_quiet_hours_end_at_8_local_on_the_night_dst_starts() -> None:
    closed = local(BERLIN, 2026, 3, 27, 23, 0)  # Friday 23:00 CET
    plan = plan_checkins(closed.astimezone(UTC), date(2026, 4, 10), "Europe/Berlin", SETTINGS)
    first = dict(plan)["first"]
    assert first.astimezone(BERLIN).time() == time(8, 0)
    assert first == utc(2026, 3, 30, 6, 0)


@pytest.mark.parametrize(
    ("zone", "closed"),
    [
        ("Europe/Berlin", datetime(2026, 3, 27, 10, 0)),  # DST starts Sunday 29 March
        ("America/New_York", datetime(2026, 10, 30, 10, 0)),  # DST ends Sunday 1 November
    ],
)
def test_first_check_in_and_next_session_keep_the_local_time_across_dst(zone: str, closed: datetime) -> None:
    tz = ZoneInfo(zone)
    closed_at = closed.replace(tzinfo=tz).astimezone(UTC)
    plan = dict(plan_checkins(closed_at, closed.date() + timedelta(days=20), zone, SETTINGS))
    assert plan["first"].astimezone(tz).time() == time(10, 0)
    assert plan["next_session"].astimezone(tz).time() == time(10, 0)


def test_format_local_shows_the_leaders_clock() -> None:
    assert format_local(utc(2026, 11, 27, 15, 0), "Europe/Berlin") == "Fri 27 Nov, 16:00"
    assert format_local(utc(2026, 11, 27, 15, 0), "America/New_York") == "Fri 27 Nov, 10:00"
    assert format_local(utc(2026, 11, 27, 15, 0), None) == "Fri 27 Nov, 15:00"
