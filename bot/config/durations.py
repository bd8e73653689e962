"""Human-friendly durations ("2w") and quiet-hour windows ("21:00-08:00")."""

import datetime
import json
import re

DURATION_HINT = "expected a duration such as 30s, 15m, 2h, 3d or 2w"
QUIET_HOURS_HINT = 'expected quiet hours such as 21:00-08:00 (or "" to disable them)'

# ASCII digits only: str.isdigit() and \d would also accept e.g. Arabic-Indic digits.
_DURATION_RE = re.compile(r"([0-9]+)([smhdw])")
_CLOCK_RE = r"([0-9]{1,2}):([0-9]{2})"
_QUIET_HOURS_RE = re.compile(rf"{_CLOCK_RE}\s*-\s*{_CLOCK_RE}")

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _quote(text: str) -> str:
    # JSON quoting keeps control characters and stray quotes visible on one line.
    return json.dumps(text, ensure_ascii=False)


def parse_duration(text: str) -> datetime.timedelta:
    """Parse an integer followed by one unit (s, m, h, d or w), e.g. "15m"."""
    match = _DURATION_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{DURATION_HINT}, got {_quote(text)}")
    amount, unit = match.groups()
    try:
        return datetime.timedelta(seconds=int(amount) * _UNIT_SECONDS[unit])
    except OverflowError:
        raise ValueError(f"duration {_quote(text)} is too long") from None


def _parse_clock(hours: str, minutes: str) -> datetime.time:
    # datetime.time raises its own messages; the caller replaces them with one hint.
    return datetime.time(int(hours), int(minutes))


def parse_quiet_hours(text: str) -> tuple[datetime.time, datetime.time] | None:
    """Parse "HH:MM-HH:MM" into (start, end); an empty string disables quiet hours.

    The window may wrap past midnight, as in "21:00-08:00".
    """
    if not text.strip():
        return None
    match = _QUIET_HOURS_RE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        start = _parse_clock(*match.group(1, 2))
        end = _parse_clock(*match.group(3, 4))
    except ValueError:
        raise ValueError(f"{QUIET_HOURS_HINT}, got {_quote(text)}") from None
    if start == end:
        # Equal ends are ambiguous: "never quiet" or "always quiet"?
        raise ValueError(f"quiet hours must start and end at different times, got {_quote(text)}")
    return start, end


def format_duration(duration: datetime.timedelta) -> str:
    """The spelling parse_duration reads back, in the largest unit that divides evenly."""
    seconds = int(duration.total_seconds())
    for unit, size in sorted(_UNIT_SECONDS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("every whole number of seconds has a unit")


def format_quiet_hours(window: tuple[datetime.time, datetime.time] | None) -> str:
    """The spelling parse_quiet_hours reads back; "" for no quiet hours."""
    if window is None:
        return ""
    start, end = window
    return f"{start:%H:%M}-{end:%H:%M}"
