"""When check-ins fall due: the accountability rhythm between sessions, in the leader's time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.settings import CoachSettings

# An action is due by the end of the leader's working day on its date.
ACTION_CHECK_TIME = time(17, 0)
MIDWAY_AFTER_DAYS = 3


def local_datetime(day: date, at: time, timezone: str) -> datetime:
    """A wall-clock time on a day in the leader's zone, as UTC.

    zoneinfo resolves a time that a daylight-saving jump skips or repeats with `fold=0`,
    so a 02:30 that does not exist still lands on a real instant.
    """
    local = datetime.combine(day, at, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def after(moment: datetime, delta: timedelta, timezone: str) -> datetime:
    """`moment` plus `delta` as the leader's clock reads it.

    Whole days are counted on the wall clock, so "two weeks after Friday 10:00" is a
    Friday at 10:00 even when a daylight-saving change falls in between; what is left
    (hours, seconds) is elapsed time, which is what a short delay means.
    """
    days = timedelta(days=delta.days)
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    # time() keeps `fold`, so the second 01:30 of a night the clocks go back stays the second.
    wall = datetime.combine(local.date() + days, local.time(), tzinfo=zone)
    return wall.astimezone(UTC) + (delta - days)


def in_quiet_hours(moment: datetime, timezone: str, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    clock = moment.astimezone(ZoneInfo(timezone)).time()
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def out_of_quiet_hours(moment: datetime, timezone: str, quiet: tuple[time, time] | None) -> datetime:
    """The first allowed minute at or after `moment`, in the leader's own zone."""
    if not in_quiet_hours(moment, timezone, quiet):
        return moment
    assert quiet is not None
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    end = quiet[1]
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    candidate = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
    if candidate <= moment:
        candidate = datetime.combine(day + timedelta(days=1), end, tzinfo=zone).astimezone(UTC)
    return candidate


def replanned(
    due_at: datetime, old_zone: str, new_zone: str, quiet: tuple[time, time] | None, now: datetime
) -> datetime:
    """A check-in planned in `old_zone` moved to the same wall-clock time in `new_zone`,
    out of quiet hours there; one that would now fall in the past is due at once."""
    local = due_at.astimezone(ZoneInfo(old_zone))
    moved = datetime.combine(local.date(), local.time(), tzinfo=ZoneInfo(new_zone)).astimezone(UTC)
    return out_of_quiet_hours(max(moved, now), new_zone, quiet)


def plan_checkins(
    closed_at: datetime, action_due: date, timezone: str, settings: CoachSettings
) -> list[tuple[str, datetime]]:
    """Check-ins after a committed session, as (kind, due time in UTC), earliest first."""
    action_at = local_datetime(action_due, ACTION_CHECK_TIME, timezone)
    first_at = max(
        min(after(closed_at, settings.first_after, timezone), action_at), closed_at + timedelta(seconds=1)
    )
    plan: list[tuple[str, datetime]] = []
    # Two nudges within a day of each other read as nagging: the first one covers both.
    if action_at - first_at <= timedelta(days=1):
        plan.append(("action_due", first_at))
    else:
        plan.append(("first", first_at))
        today = closed_at.astimezone(ZoneInfo(timezone)).date()
        midway = closed_at + (action_at - closed_at) / 2
        if (action_due - today).days > MIDWAY_AFTER_DAYS and midway - first_at > timedelta(hours=12):
            plan.append(("midway", midway))
        plan.append(("action_due", action_at))
    plan.append(("next_session", after(closed_at, settings.session_interval, timezone)))
    return sorted(
        ((kind, out_of_quiet_hours(at, timezone, settings.quiet_hours)) for kind, at in plan),
        key=lambda item: item[1],
    )


def format_local(moment: datetime, timezone: str | None) -> str:
    local = moment.astimezone(ZoneInfo(timezone or "UTC"))
    return local.strftime("%a %d %b, %H:%M")
