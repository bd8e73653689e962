"""Reading a deadline the way people write it, with a read-back so the leader can check it.

Readings chosen where English is loose (each is flagged `ambiguous` and carries the other
reading in `alternative`, so the coach can ask):
- "next friday" is the Friday after the coming one (8-13 days ahead) when the coming Friday
  is less than a week away; "this friday" and "friday" are the coming one.
- "3/12" is day/month (3 December); "12/18" can only be month/day and is read so. When both
  readings are real dates in range, the day-first one is kept and the text is ambiguous.
- A day and month without a year that have passed this year mean next year only when that is
  at most ~3 months ahead (in December, "5 jan" is next January); otherwise "date_past".
- "end of (the) week" / "EOW" is Friday; "the weekend" is Saturday; "end of the month" its last day.
- A bare number or "N/10" is taken for a score typed at the wrong question ("date_score").
- Part of a month: "end of Jan" is its last day, "mid-March" the 15th, "early Feb" the 10th,
  "start of April" the 1st; a month already past this year is next year's. "end of the
  quarter" / "end of Q1" is the quarter's last day; "mid next week" / "midweek" a Wednesday.
- At a "by when" question a bare duration ("3 weeks") means that long from today.
- "3/1" whose day-first reading has passed but whose month-first reading is ahead
  (1 March, or 3 January) is read the way that is still to come.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flows.lexicon import COUNT_WORDS, MONTHS, WEEKDAYS, Invalid, fold

MAX_AHEAD = timedelta(days=366)
# How far ahead a day/month that has passed this year may be read as next year's.
ROLL_OVER = timedelta(days=92)


@dataclass(frozen=True)
class WhenResult:
    date: date
    readback: str
    ambiguous: bool = False
    alternative: date | None = None


def readback(day: date, today: date) -> str:
    """'Fri 11 Dec', with the year when it is not this year's: 'Tue 5 Jan 2027'."""
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def parse_when(text: str, today: date) -> WhenResult | Invalid:
    raw = _normalise(text)
    if re.fullmatch(r"\d{1,3}|(?:10|[0-9]) ?(?:/|out of|of) ?(?:10|ten)", raw):
        return Invalid("date_score")
    readings = _readings(raw, today)
    if readings is None:
        return Invalid("date_format")
    if isinstance(readings, Invalid):
        return readings
    first, other = readings
    if first < today:
        return Invalid("date_past")
    if first > today + MAX_AHEAD:
        return Invalid("date_far")
    alternative = (
        other if other is not None and today <= other <= today + MAX_AHEAD and other != first else None
    )
    return WhenResult(first, readback(first, today), alternative is not None, alternative)


_LEADING = (
    r"(?:(?:on|by|before|until|till|til|no later than|latest|at the latest|around|about|sometime|"
    r"some time|hopefully|ideally|maybe|probably|do it|done|i'll do it|i will do it|i can do it)\s+)+"
)
_TIME_OF_DAY = (
    r"(?:first thing|early|late|eod|cob|end of (?:the )?day|close of business|in the morning|"
    r"in the afternoon|in the evening|morning|afternoon|evening|night|midday|noon|lunchtime|at lunch|"
    r"at the latest|latest|at \d{1,2}(?::\d{2})? ?(?:am|pm|h)?|\d{1,2}(?::\d{2})? ?(?:am|pm)|\d{1,2}:\d{2})"
)


def _normalise(text: str) -> str:
    raw = fold(text)
    raw = re.sub(r"[!?]+$", "", raw).strip()
    raw = re.sub(r",|(?<!\d)\.|\.(?!\d)", " ", raw)  # keep the dots of 18.12.2026
    raw = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", raw)  # "mid-March", "mid-week"
    raw = re.sub(r"\bwks?\b", lambda m: "weeks" if m.group() == "wks" else "week", raw)
    raw = re.sub(r"\s+", " ", raw).strip()
    # A correction after a question: "nope, this friday", "actually the 4th", "I meant Fri 4 Dec".
    raw = re.sub(
        r"^(?:(?:no|nope|nah|yes|yeah|yep|oh|oops|sorry|actually|rather|i mean|i meant|make it|let's say|"
        r"lets say|say)\s+)+(?!later than)(?=\S)",
        "",
        raw,
    )
    raw = re.sub(rf"^{_LEADING}", "", raw)
    # "this afternoon", "later today", "end of day": today, before the time of day is cut off.
    if re.fullmatch(
        rf"(?:this|today|later today|later) {_TIME_OF_DAY}|{_TIME_OF_DAY} today|later today|"
        r"end of (?:the )?day|cob|close of business",
        raw,
    ):
        return "today"
    # "early Feb", "late March": part of a month, not a time of day.
    raw = re.sub(
        rf"^(early|late) (?=(?:{_MONTH_NAMES})\b)",
        lambda m: "the first week of " if m.group(1) == "early" else "end of ",
        raw,
    )
    # "tomorrow morning", "first thing monday", "friday at 3pm": the day is what we keep.
    for _ in range(2):
        raw = re.sub(rf"^{_TIME_OF_DAY}\s+", "", raw)
        raw = re.sub(rf"\s+{_TIME_OF_DAY}$", "", raw)
    raw = re.sub(r"^(?:the )?(?=end of)", "", raw)
    return raw.strip()


_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_COUNT = "|".join(sorted((re.escape(word) for word in COUNT_WORDS), key=len, reverse=True))
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14, "fortnights": 14}


def _count(word: str) -> int:
    return int(word) if word.isascii() and word.isdigit() else COUNT_WORDS[word]


def _readings(raw: str, today: date) -> tuple[date, date | None] | Invalid | None:
    """The date meant and, when the words allow another, the other one."""
    simple = _simple(raw, today)
    if simple is not None:
        return simple, None
    for reader in (
        _relative,
        _weekday,
        _numeric,
        _named_month,
        _day_of_month,
        _part_of_month,
        _quarter,
        _weekday_and_date,
    ):
        result = reader(raw, today)
        if result is not None:
            return result
    return None


def _weekday_and_date(raw: str, today: date) -> tuple[date, date | None] | Invalid | None:
    """ "Fri 4 Dec" (as the coach reads dates back), "Friday the 4th", "thursday 3/12".

    A weekday that is not the date's ("Thu 4 Dec", a Friday) leaves both readings to choose from.
    """
    match = re.fullmatch(r"([a-z]+) (?:the )?(.+)", raw)
    if match is None or match.group(1) not in WEEKDAYS:
        return None
    for reader in (_numeric, _named_month, _day_of_month):
        result = reader(match.group(2), today)
        if result is None:
            continue
        if isinstance(result, Invalid):
            return result
        day, _ = result
        weekday = WEEKDAYS[match.group(1)]
        if day.weekday() == weekday:
            return day, None
        # The same weekday in the date's week: "Thu 4 Dec" may have meant Thu 3 Dec.
        return day, day + timedelta(days=weekday - day.weekday())
    return None


def _friday_of_week(today: date, weeks_on: int) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(days=7 * weeks_on + 4)


def _simple(raw: str, today: date) -> date | None:
    if raw in ("today", "tonight", "this evening", "this afternoon", "this morning", "asap today", "eod"):
        return today
    if raw in ("tomorrow", "tmrw", "tmr", "tomoz", "2moro", "tomorow", "tommorow", "tommorrow"):
        return today + timedelta(days=1)
    if raw in ("the day after tomorrow", "day after tomorrow", "overmorrow"):
        return today + timedelta(days=2)
    if raw in ("next week", "a week today", "a week from today", "a week from now", "one week from now"):
        return today + timedelta(days=7)
    if raw in (
        "end of week",
        "end of the week",
        "this week",
        "eow",
        "end of this week",
        "the end of the week",
    ):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if raw in ("end of next week", "the end of next week", "next week end", "end of the next week"):
        return max(_friday_of_week(today, 1), today)
    if raw in ("the weekend", "this weekend", "weekend", "the end of the weekend"):
        return today + timedelta(days=(5 - today.weekday()) % 7)
    if raw in ("next weekend",):
        return today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    if raw in ("end of month", "end of the month", "this month", "eom", "end of this month", "month end"):
        return _last_day(today.year, today.month)
    if raw in ("end of next month", "the end of next month"):
        year, month = _month_on(today.year, today.month, 1)
        return _last_day(year, month)
    if raw in ("next month",):
        return _add_months(today, 1)
    if raw in ("end of the year", "end of year", "eoy", "this year", "year end"):
        return date(today.year, 12, 31)
    if raw in ("midweek", "mid week", "middle of the week", "the middle of the week", "this midweek"):
        return today + timedelta(days=(2 - today.weekday()) % 7)
    if raw in ("mid next week", "middle of next week", "the middle of next week", "next midweek"):
        return _weekday_of_week(today, 2, "next week")
    for names, month, day in _FEASTS:
        if raw in names:
            found = _safe_date(today.year, month, day)
            return found if found is not None and found >= today else _safe_date(today.year + 1, month, day)
    return None


# Days people name as deadlines: "by christmas", "before new year".
_FEASTS = (
    (("christmas", "xmas", "x mas", "christmas day", "xmas day"), 12, 25),
    (("christmas eve", "xmas eve"), 12, 24),
    (("new year's eve", "new years eve", "nye"), 12, 31),
    (("new year", "new year's", "new years", "the new year", "new year's day", "new years day"), 1, 1),
)


def _relative(raw: str, today: date) -> tuple[date, date | None] | None:
    match = re.fullmatch(
        rf"(?:(?:in|within|in the next|within the next) )?(\d{{1,3}}|{_COUNT}) ?"
        r"(days?|weeks?|fortnights?|months?)(?:'? time)?( from (?:now|today))?",
        raw,
    )
    if match is None:
        match = re.fullmatch(r"(?:in|within) (?:a )?(fortnight)()()", raw)
        if match is None:
            return None
        return today + timedelta(days=14), None
    amount_text, unit, _ = match.groups()
    # "3 weeks" alone, asked by when: that long from today.
    amount = _count(amount_text)
    if unit.startswith("month"):
        return _add_months(today, amount), None
    return today + timedelta(days=amount * _UNITS[unit]), None


def _weekday(raw: str, today: date) -> tuple[date, date | None] | None:
    match = re.fullmatch(r"(?:(this|next|coming|this coming) )?([a-z]+)(?: (?:of )?(next|this) week)?", raw)
    if match is None:
        match = re.fullmatch(r"(next week|this week) (?:on )?([a-z]+)", raw)
        if match is None or match.group(2) not in WEEKDAYS:
            return None
        return _weekday_of_week(today, WEEKDAYS[match.group(2)], match.group(1)), None
    which, name, week = match.groups()
    if name not in WEEKDAYS:
        return None
    weekday = WEEKDAYS[name]
    if week:
        return _weekday_of_week(today, weekday, f"{week} week"), None
    ahead = (weekday - today.weekday()) % 7 or 7
    coming = today + timedelta(days=ahead)
    if which == "next" and ahead < 7:
        # "next friday" said on a Tuesday: most mean the week after, some the coming one.
        return coming + timedelta(days=7), coming
    return coming, None


def _weekday_of_week(today: date, weekday: int, week: str) -> date:
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7 if week == "next week" else 0)
    return monday + timedelta(days=weekday)


def _numeric(raw: str, today: date) -> tuple[date, date | None] | Invalid | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
    if match:
        year, month, day = (int(part) for part in match.groups())
        found = _safe_date(year, month, day)
        return None if found is None else (found, None)
    match = re.fullmatch(r"(\d{1,2})([./-])(\d{1,2})(?:\2(\d{2}|\d{4})?)?", raw)
    if match is None:
        return None
    first, _, second, year = match.groups()
    a, b = int(first), int(second)
    day_first = _on_day(a, b, year, today)
    month_first = _on_day(b, a, year, today)
    if isinstance(day_first, date):
        other = month_first if isinstance(month_first, date) else None
        return day_first, other
    if isinstance(month_first, date) and (a <= 12 < b or day_first == Invalid("date_past")):
        # "12/18"; or "1/5" on 25 Nov: 1 May has passed, 5 January is still to come.
        return month_first, None
    return day_first if isinstance(day_first, Invalid) else None


def _named_month(raw: str, today: date) -> tuple[date, date | None] | Invalid | None:
    match = re.fullmatch(r"(?:the )?(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+)(?: (\d{4}))?", raw)
    if match and match.group(2) in MONTHS:
        day, month, year = int(match.group(1)), MONTHS[match.group(2)], match.group(3)
    else:
        match = re.fullmatch(r"([a-z]+) (?:the )?(\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?", raw)
        if not match or match.group(1) not in MONTHS:
            return None
        day, month, year = int(match.group(2)), MONTHS[match.group(1)], match.group(3)
    found = _on_day(day, month, year, today)
    if found is None:
        return None
    return found if isinstance(found, Invalid) else (found, None)


def _day_of_month(raw: str, today: date) -> tuple[date, date | None] | None:
    match = re.fullmatch(r"(?:the )?(\d{1,2})(?:st|nd|rd|th)|the (\d{1,2})", raw)
    if match is None:
        return None
    day = int(match.group(1) or match.group(2))
    for months_on in range(3):
        year, month = _month_on(today.year, today.month, months_on)
        found = _safe_date(year, month, day)
        if found is not None and found >= today:
            return found, None
    return None


# The day a part of a month falls on: "end of Jan" its last day (0), "mid-March" the 15th.
_MONTH_PARTS = (
    (r"(?:the )?(?:end|close) of|late|(?:the )?last week of", 0),
    (r"(?:the )?(?:middle|mid) of|mid|middle", 15),
    (r"early|(?:the )?first week of", 10),
    (r"(?:the )?(?:start|beginning) of|start|beginning", 1),
)


def _part_of_month(raw: str, today: date) -> tuple[date, date | None] | Invalid | None:
    for lead, day in _MONTH_PARTS:
        match = re.fullmatch(rf"(?:{lead}) ([a-z]+)(?: (\d{{4}}))?|([a-z]+) end", raw)
        if match is None:
            continue
        name = match.group(1) or match.group(3)
        if name not in MONTHS:
            return None
        month = MONTHS[name]
        if match.group(3):
            day = 0
        # A month already past this year is next year's; this month's past days are past.
        year = int(match.group(2)) if match.group(2) else today.year + (month < today.month)
        found = date(year, month, day or calendar.monthrange(year, month)[1])
        return Invalid("date_past") if found < today else (found, None)
    return None


def _quarter(raw: str, today: date) -> tuple[date, date | None] | None:
    """The last day of a quarter: "end of the quarter", "end of Q1", "Q2 end", "eoq"."""
    if raw in (
        "end of quarter",
        "end of the quarter",
        "this quarter",
        "eoq",
        "quarter end",
        "end of this quarter",
    ):
        quarter, year = (today.month - 1) // 3 + 1, today.year
    elif raw in ("end of next quarter", "end of the next quarter", "next quarter end"):
        quarter, year = (today.month - 1) // 3 + 2, today.year
        if quarter == 5:
            quarter, year = 1, year + 1
    else:
        match = re.fullmatch(r"(?:end of |the end of )?q([1-4])(?: end)?(?: (\d{4}))?", raw)
        if match is None or not (raw.startswith(("end", "the end")) or raw.endswith("end")):
            return None
        quarter = int(match.group(1))
        year = int(match.group(2)) if match.group(2) else today.year
        if not match.group(2) and _last_day(year, quarter * 3) < today:
            year += 1
    return _last_day(year, quarter * 3), None


def _on_day(day: int, month: int, year: str | None, today: date) -> date | Invalid | None:
    """A day and month, in the year given, or the coming one (see ROLL_OVER)."""
    if year:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(full_year, month, day)
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    next_year = _safe_date(today.year + 1, month, day)
    if next_year is not None and next_year <= today + ROLL_OVER:
        return next_year
    if this_year is None and next_year is None:
        return None
    return Invalid("date_past")


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_on(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(today: date, months: int) -> date:
    year, month = _month_on(today.year, today.month, months)
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
