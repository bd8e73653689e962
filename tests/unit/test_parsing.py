"""Reading what leaders type: scores, dates, time zones and free text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.parsing import (
    MAX_ANSWER_CHARS,
    Invalid,
    clean_text,
    local_today,
    parse_date,
    parse_score,
    parse_timezone,
)

TODAY = date(2026, 11, 25)  # a Wednesday


# scores


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8", 8),
        (" 8 ", 8),
        ("8/10", 8),
        ("8 / 10", 8),
        ("8 out of 10", 8),
        ("eight", 8),
        ("Eight", 8),
        ("10", 10),
        ("1", 1),
        ("ten/10", 10),
        ("08", 8),
    ],
)
def test_parse_score_accepts(text: str, value: int) -> None:
    assert parse_score(text, 1, 10) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "score_range"),
        ("11", "score_range"),
        ("zero", "score_range"),
        ("8.5", "score_format"),
        ("abc", "score_format"),
        ("", "score_format"),
        ("-3", "score_format"),
        ("7-8", "score_format"),
        ("100", "score_format"),
        ("eleven", "score_format"),
        ("/10", "score_format"),
    ],
)
def test_parse_score_refuses(text: str, reason: str) -> None:
    assert parse_score(text, 1, 10) == Invalid(reason)


def test_parse_score_uses_the_scale_it_is_given() -> None:
    assert parse_score("0", 0, 10) == 0
    assert parse_score("zero", 0, 10) == 0
    assert parse_score("10", 0, 10) == 10
    assert parse_score("11", 0, 10) == Invalid("score_range")


# dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 11, 25)),
        ("Tonight", date(2026, 11, 25)),
        ("tomorrow", date(2026, 11, 26)),
        ("tmrw", date(2026, 11, 26)),
        ("friday", date(2026, 11, 27)),
        ("Fri", date(2026, 11, 27)),
        ("on friday", date(2026, 11, 27)),
        ("by Friday.", date(2026, 11, 27)),
        ("this friday", date(2026, 11, 27)),
        ("next friday", date(2026, 12, 4)),
        ("monday", date(2026, 11, 30)),
        ("next monday", date(2026, 12, 7)),
        ("wednesday", date(2026, 12, 2)),
        ("next wednesday", date(2026, 12, 2)),
        ("next week", date(2026, 12, 2)),
        ("end of the week", date(2026, 11, 27)),
        ("end of month", date(2026, 11, 30)),
        ("in 3 days", date(2026, 11, 28)),
        ("in 1 day", date(2026, 11, 26)),
        ("in a week", date(2026, 12, 2)),
        ("in two weeks", date(2026, 12, 9)),
        ("in 10 days", date(2026, 12, 5)),
        ("2026-12-01", date(2026, 12, 1)),
        ("2027-1-5", date(2027, 1, 5)),
        ("3/12", date(2026, 12, 3)),
        ("03/12/2026", date(2026, 12, 3)),
        ("3/12/26", date(2026, 12, 3)),
        ("25/11", date(2026, 11, 25)),
        ("1/1", date(2027, 1, 1)),
        ("3 dec", date(2026, 12, 3)),
        ("3rd of December", date(2026, 12, 3)),
        ("3 dec 2026", date(2026, 12, 3)),
        ("dec 3", date(2026, 12, 3)),
        ("December 3rd", date(2026, 12, 3)),
        ("Dec 3, 2026", date(2026, 12, 3)),
        ("1 jan", date(2027, 1, 1)),
        ("in 366 days", date(2027, 11, 26)),
    ],
)
def test_parse_date_reads_what_leaders_write(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-11-24", "date_past"),
        ("24/11/2026", "date_past"),
        ("1 jan 2026", "date_past"),
        ("2027-11-27", "date_far"),
        ("in 367 days", "date_far"),
        ("in 60 weeks", "date_far"),
        ("2030-01-01", "date_far"),
        ("yesterday", "date_format"),
        ("soon", "date_format"),
        ("", "date_format"),
        ("31/2", "date_format"),
        ("2026-13-01", "date_format"),
        ("32 dec", "date_format"),
        ("smarch 3", "date_format"),
        ("in many days", "date_format"),
    ],
)
def test_parse_date_refuses(text: str, reason: str) -> None:
    assert parse_date(text, TODAY) == Invalid(reason)


def test_parse_date_rolls_a_passed_day_and_month_into_next_year_only_when_near() -> None:
    # Issue 12: a day/month already passed means next year only within about three months;
    # "20 nov" said on 25 November is a slip, not a deadline a year away.
    assert parse_date("20 nov", TODAY) == Invalid("date_past")
    assert parse_date("1 nov", TODAY) == Invalid("date_past")
    assert parse_date("25 nov", TODAY) == TODAY
    assert parse_date("5 feb", TODAY) == date(2027, 2, 5)


def test_parse_date_finds_the_next_29_february() -> None:
    assert parse_date("29 feb", date(2027, 12, 10)) == date(2028, 2, 29)
    assert parse_date("29 feb", date(2027, 3, 1)) == Invalid("date_past")


def test_local_today_is_the_leaders_day() -> None:
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert local_today(late, "Asia/Singapore") == date(2026, 11, 26)
    assert local_today(late, "America/Los_Angeles") == date(2026, 11, 25)
    assert local_today(late, None) == date(2026, 11, 25)


# time zones


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New_York", "America/New_York"),
        ("berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("  tokyo ", "Asia/Tokyo"),
        ("sao paulo", "America/Sao_Paulo"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("UTC+2", "Etc/GMT-2"),
        ("utc -5", "Etc/GMT+5"),
        ("GMT+10", "Etc/GMT-10"),
        ("+3", "Etc/GMT-3"),
        ("+0", "UTC"),
        ("UTC+02:00", "Etc/GMT-2"),
        ("+05:30", "Asia/Kolkata"),
        ("+5:45", "Asia/Kathmandu"),
        ("-03:30", "America/St_Johns"),
    ],
)
def test_parse_timezone_accepts(text: str, zone: str) -> None:
    assert parse_timezone(text) == zone


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("garbage", "timezone"),
        ("Mars/Olympus", "timezone"),
        ("UTC+15", "timezone"),
        ("+03:15", "timezone"),
        ("12", "timezone"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_parse_timezone_refuses(text: str, reason: str) -> None:
    assert parse_timezone(text) == Invalid(reason)


@pytest.mark.parametrize("hours", range(-14, 15), ids=lambda hours: f"UTC{hours:+d}")
def test_every_whole_hour_offset_is_a_real_zone_with_that_offset(hours: int) -> None:
    zone = parse_timezone(f"UTC{hours:+d}")
    if hours in (-13, -14):
        # No zone on Earth is that far behind UTC (Etc/GMT+13 does not exist).
        assert zone == Invalid("timezone")
        return
    assert isinstance(zone, str)
    assert ZoneInfo(zone).utcoffset(datetime(2026, 1, 15)) == timedelta(hours=hours)


# free text


def test_clean_text_strips_and_drops_control_characters() -> None:
    assert clean_text("  hello\x00 wor\x07ld\x1b  ") == "hello world"
    assert clean_text("line one\n\tline two") == "line one\n\tline two"
    assert clean_text("👍 done, café") == "👍 done, café"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01\x02", " \u0000 \u007f "])
def test_clean_text_refuses_empty(text: str) -> None:
    assert clean_text(text) == Invalid("empty")


def test_clean_text_limits_the_length_after_cleaning() -> None:
    assert MAX_ANSWER_CHARS == 4000
    assert clean_text("x" * 4000) == "x" * 4000
    assert clean_text("  " + "x" * 4000 + "\n") == "x" * 4000
    assert clean_text("x" * 4000 + "\x00" * 50) == "x" * 4000
    assert clean_text("x" * 4001) == Invalid("too_long")


def test_clean_text_keeps_joiners_that_carry_meaning() -> None:
    assert clean_text("👩\u200d💻 coding") == "👩\u200d💻 coding"
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"
