"""Turning what a leader typed into values, or into a reason to ask again."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_ANSWER_CHARS = 4000

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}

MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class Invalid:
    """Why an answer was refused; `reason` names a message in the content files."""

    reason: str


def clean_text(text: str) -> str | Invalid:
    # Control characters (other than newline and tab) and lone surrogates carry no
    # meaning; format characters such as zero-width joiners build emoji and words.
    cleaned = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if not cleaned:
        return Invalid("empty")
    if len(cleaned) > MAX_ANSWER_CHARS:
        return Invalid("too_long")
    return cleaned


def parse_score(text: str, low: int, high: int) -> int | Invalid:
    raw = text.strip().lower()
    raw = re.sub(r"\s*(/|out of)\s*10$", "", raw).strip()
    if raw in NUMBER_WORDS:
        value = NUMBER_WORDS[raw]
    elif re.fullmatch(r"\d{1,2}", raw):
        value = int(raw)
    else:
        return Invalid("score_format")
    if not low <= value <= high:
        return Invalid("score_range")
    return value


def parse_date(text: str, today: date) -> date | Invalid:
    """Reads the dates leaders actually type: 'friday', 'tomorrow', 'in 3 days', '2026-12-01', '3 dec'."""
    raw = re.sub(r"[,.]", " ", text.strip().lower())
    raw = re.sub(r"\s+", " ", raw).strip()
    raw = re.sub(r"^(on|by|before|until) ", "", raw)
    result = _parse_date_words(raw, today)
    if result is None:
        return Invalid("date_format")
    if result < today:
        return Invalid("date_past")
    if result > today + timedelta(days=366):
        return Invalid("date_far")
    return result


def _parse_date_words(raw: str, today: date) -> date | None:
    if raw in ("today", "tonight"):
        return today
    if raw in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)
    if raw in ("next week",):
        return today + timedelta(days=7)
    if raw in ("end of week", "end of the week", "this week"):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if raw in ("end of month", "end of the month", "this month"):
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first_next - timedelta(days=1)
    match = re.fullmatch(r"in (\d{1,3}|an?|one|two|three|four|five|six) (day|days|week|weeks)", raw)
    if match:
        amount_text, unit = match.groups()
        amount = (
            int(amount_text)
            if amount_text.isdigit()
            else 1
            if amount_text in ("a", "an")
            else NUMBER_WORDS[amount_text]
        )
        return today + timedelta(days=amount * (7 if unit.startswith("week") else 1))
    match = re.fullmatch(r"(this |next )?([a-z]+)", raw)
    if match and match.group(2) in WEEKDAYS:
        weekday = WEEKDAYS[match.group(2)]
        ahead = (weekday - today.weekday()) % 7 or 7
        if match.group(1) == "next " and ahead < 7:
            ahead += 7
        return today + timedelta(days=ahead)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
    if match:
        return _safe_date(*(int(part) for part in match.groups()))
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", raw)
    if match:
        day, month, year = match.groups()
        return _with_year(int(day), int(month), year, today)
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+)(?: (\d{4}))?", raw)
    if match and match.group(2) in MONTHS:
        return _with_year(int(match.group(1)), MONTHS[match.group(2)], match.group(3), today)
    match = re.fullmatch(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?", raw)
    if match and match.group(1) in MONTHS:
        return _with_year(int(match.group(2)), MONTHS[match.group(1)], match.group(3), today)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _with_year(day: int, month: int, year: str | None, today: date) -> date | None:
    if year:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(full_year, month, day)
    # The next time that day comes round: 29 February may be up to four years away.
    for year in range(today.year, today.year + 5):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


_ZONES_BY_KEY: dict[str, str] = {}


def _zone_index() -> dict[str, str]:
    if not _ZONES_BY_KEY:
        for name in sorted(available_timezones()):
            _ZONES_BY_KEY.setdefault(name.lower(), name)
            city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
                _ZONES_BY_KEY.setdefault(city, name)
    return _ZONES_BY_KEY


def parse_timezone(text: str) -> str | Invalid:
    """Accepts 'Europe/Berlin', 'berlin', 'new york', 'UTC', 'UTC+2', '+05:30'."""
    raw = re.sub(r"\s+", " ", text.strip())
    if not raw:
        return Invalid("empty")
    if raw.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    match = re.fullmatch(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", raw, re.IGNORECASE)
    if match:
        sign, hours, minutes = match.groups()
        if minutes and minutes != "00":
            return _offset_zone(sign, int(hours), int(minutes))
        if int(hours) > 14:
            return Invalid("timezone")
        if int(hours) == 0:
            return "UTC"
        # Etc/GMT zones have their sign inverted by POSIX convention.
        zone = f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"
        return zone if zone.lower() in _zone_index() else Invalid("timezone")
    name = _zone_index().get(raw.lower()) or _zone_index().get(raw.lower().replace(" ", "_"))
    if name is None:
        return Invalid("timezone")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return Invalid("timezone")
    return name


_HALF_HOUR_ZONES = {
    ("+", 5, 30): "Asia/Kolkata",
    ("+", 5, 45): "Asia/Kathmandu",
    ("+", 9, 30): "Australia/Darwin",
    ("+", 3, 30): "Asia/Tehran",
    ("+", 4, 30): "Asia/Kabul",
    ("+", 6, 30): "Asia/Yangon",
    ("-", 3, 30): "America/St_Johns",
    ("+", 10, 30): "Australia/Adelaide",
}


def _offset_zone(sign: str, hours: int, minutes: int) -> str | Invalid:
    return _HALF_HOUR_ZONES.get((sign, hours, minutes), Invalid("timezone"))


def local_today(now: datetime, timezone: str | None) -> date:
    return now.astimezone(ZoneInfo(timezone or "UTC")).date()


def short(text: str, limit: int) -> str:
    """Text cut to fit a button or a list line, marked as cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
