"""Dates, time zones and scores as people write them, each with what the coach reads back."""

from __future__ import annotations

import resource
from datetime import UTC, date, datetime

import pytest

from flows.content import CONTENT_DIR
from flows.lexicon import Invalid
from flows.parsing import parse_date, parse_score, parse_timezone, small_int
from flows.when import WhenResult, parse_when
from flows.zones import AmbiguousZone, _places, parse_zone, zone_for_location, zone_readback

TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "expected", "readback"),
    [
        ("by Friday next week", date(2026, 12, 4), "Fri 4 Dec"),
        ("friday next week", date(2026, 12, 4), "Fri 4 Dec"),
        ("next week friday", date(2026, 12, 4), "Fri 4 Dec"),
        ("tomorrow morning", date(2026, 11, 25), "Wed 25 Nov"),
        ("Tomorrow EOD", date(2026, 11, 25), "Wed 25 Nov"),
        ("first thing Monday", date(2026, 11, 30), "Mon 30 Nov"),
        ("friday at 3pm", date(2026, 11, 27), "Fri 27 Nov"),
        ("within a week", date(2026, 12, 1), "Tue 1 Dec"),
        ("end of next week", date(2026, 12, 4), "Fri 4 Dec"),
        ("by the end of next week", date(2026, 12, 4), "Fri 4 Dec"),
        ("in a month", date(2026, 12, 24), "Thu 24 Dec"),
        ("a week from now", date(2026, 12, 1), "Tue 1 Dec"),
        ("two weeks from today", date(2026, 12, 8), "Tue 8 Dec"),
        ("in a couple of weeks", date(2026, 12, 8), "Tue 8 Dec"),
        ("in a fortnight", date(2026, 12, 8), "Tue 8 Dec"),
        ("in 2 weeks' time", date(2026, 12, 8), "Tue 8 Dec"),
        ("18.12.2026", date(2026, 12, 18), "Fri 18 Dec"),
        ("18.12.", date(2026, 12, 18), "Fri 18 Dec"),
        ("18/12", date(2026, 12, 18), "Fri 18 Dec"),
        ("12/18", date(2026, 12, 18), "Fri 18 Dec"),
        ("18-12-2026", date(2026, 12, 18), "Fri 18 Dec"),
        ("Dec 18th", date(2026, 12, 18), "Fri 18 Dec"),
        ("December 18, 2026", date(2026, 12, 18), "Fri 18 Dec"),
        ("the 18th", date(2026, 12, 18), "Fri 18 Dec"),
        ("by the 18th", date(2026, 12, 18), "Fri 18 Dec"),
        ("the 30th", date(2026, 11, 30), "Mon 30 Nov"),
        ("this friday", date(2026, 11, 27), "Fri 27 Nov"),
        ("end of the month", date(2026, 11, 30), "Mon 30 Nov"),
        ("end of next month", date(2026, 12, 31), "Thu 31 Dec"),
        ("in two weeks", date(2026, 12, 8), "Tue 8 Dec"),
        ("by the end of the week", date(2026, 11, 27), "Fri 27 Nov"),
        ("EOW", date(2026, 11, 27), "Fri 27 Nov"),
        ("the weekend", date(2026, 11, 28), "Sat 28 Nov"),
        ("tomorrow", date(2026, 11, 25), "Wed 25 Nov"),
        ("friday", date(2026, 11, 27), "Fri 27 Nov"),
        ("next tue", date(2026, 12, 1), "Tue 1 Dec"),
        ("in 3 days", date(2026, 11, 27), "Fri 27 Nov"),
        ("12 dec", date(2026, 12, 12), "Sat 12 Dec"),
        ("2026-12-12", date(2026, 12, 12), "Sat 12 Dec"),
        ("5 jan", date(2027, 1, 5), "Tue 5 Jan 2027"),
        ("5/1", date(2027, 1, 5), "Tue 5 Jan 2027"),
        ("in 3 months", date(2027, 2, 24), "Wed 24 Feb 2027"),
    ],
)
def test_parse_when_reads_and_reads_back(text: str, expected: date, readback: str) -> None:
    result = parse_when(text, TUESDAY)
    assert result == WhenResult(expected, readback)
    assert parse_date(text, TUESDAY) == expected


@pytest.mark.parametrize(
    ("text", "meant", "other"),
    [
        ("next friday", date(2026, 12, 4), date(2026, 11, 27)),
        ("next monday", date(2026, 12, 7), date(2026, 11, 30)),
        ("3/12", date(2026, 12, 3), None),  # 12 March is too far ahead to be the other reading
    ],
)
def test_loose_dates_are_flagged_with_the_other_reading(text: str, meant: date, other: date | None) -> None:
    result = parse_when(text, TUESDAY)
    assert isinstance(result, WhenResult)
    assert (result.date, result.ambiguous, result.alternative) == (meant, other is not None, other)


def test_next_day_a_week_away_is_not_ambiguous() -> None:
    result = parse_when("next tuesday", TUESDAY)
    assert isinstance(result, WhenResult)
    assert (result.date, result.ambiguous) == (date(2026, 12, 1), False)


def test_day_and_month_both_readable_in_range_is_ambiguous() -> None:
    result = parse_when("1/2", date(2026, 12, 20))
    assert isinstance(result, WhenResult)
    assert (result.date, result.alternative) == (date(2027, 2, 1), date(2027, 1, 2))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4/10", "date_score"),
        ("7", "date_score"),
        ("8/10", "date_score"),
        ("8 out of 10", "date_score"),
        ("10/10", "date_score"),
        ("20 nov", "date_past"),
        ("1 nov", "date_past"),
        ("23/11", "date_past"),
        ("2026-11-23", "date_past"),
        ("2028-01-01", "date_far"),
        ("in 13 months", "date_far"),
        ("soon", "date_format"),
        ("asap", "date_format"),
        ("31/2", "date_format"),
        ("someday", "date_format"),
        ("", "date_format"),
    ],
)
def test_parse_when_refuses(text: str, reason: str) -> None:
    assert parse_when(text, TUESDAY) == Invalid(reason)


def test_18_10_is_a_date_not_a_score() -> None:
    result = parse_when("18/10", date(2026, 10, 1))
    assert isinstance(result, WhenResult)
    assert result.date == date(2026, 10, 18)


def test_every_refusal_reason_has_words() -> None:
    errors = (CONTENT_DIR / "en" / "errors.toml").read_text(encoding="utf-8")
    for reason in ("date_score", "date_past", "date_far", "date_format", "timezone", "timezone_ambiguous"):
        assert f"[{reason}]" in errors


# time zones


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("SÃO PAULO", "America/Sao_Paulo"),
        ("Mumbai", "Asia/Kolkata"),
        ("Bangalore", "Asia/Kolkata"),
        ("Bengaluru", "Asia/Kolkata"),
        ("Munich", "Europe/Berlin"),
        ("München", "Europe/Berlin"),
        ("Seattle", "America/Los_Angeles"),
        ("New York", "America/New_York"),
        ("NYC", "America/New_York"),
        ("SF", "America/Los_Angeles"),
        ("London", "Europe/London"),
        ("Lagos", "Africa/Lagos"),
        ("Nairobi", "Africa/Nairobi"),
        ("Sydney", "Australia/Sydney"),
        ("Tokyo", "Asia/Tokyo"),
        ("Singapore", "Asia/Singapore"),
        ("Dubai", "Asia/Dubai"),
        ("Toronto", "America/Toronto"),
        ("Mexico City", "America/Mexico_City"),
        ("Berlin", "Europe/Berlin"),
        ("Kyiv", "Europe/Kyiv"),
        ("I'm in Mumbai", "Asia/Kolkata"),
        ("Mumbai, India", "Asia/Kolkata"),
        ("mumbai india", "Asia/Kolkata"),
        ("I live in Portland, Oregon", "America/Los_Angeles"),
        ("based in NYC", "America/New_York"),
        ("I am in the Bay Area", "America/Los_Angeles"),
        ("Germany", "Europe/Berlin"),
        ("PST", "America/Los_Angeles"),
        ("pdt", "America/Los_Angeles"),
        ("EST", "America/New_York"),
        ("Eastern time", "America/New_York"),
        ("Pacific Time", "America/Los_Angeles"),
        ("CET", "Europe/Berlin"),
        ("central european time", "Europe/Berlin"),
        ("GMT", "UTC"),
        ("UTC", "UTC"),
        ("BST", "Europe/London"),
        ("JST", "Asia/Tokyo"),
        ("AEST", "Australia/Sydney"),
        ("GMT+5:30", "Asia/Kolkata"),
        ("UTC-3", "Etc/GMT+3"),
        ("UTC−3", "Etc/GMT+3"),
        ("+0530", "Asia/Kolkata"),
        ("UTC+5.5", "Asia/Kolkata"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_parse_zone(text: str, zone: str) -> None:
    assert parse_zone(text) == zone
    assert parse_timezone(text) == zone


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("CST", {"America/Chicago", "Asia/Shanghai"}),
        ("IST", {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"}),
        ("USA", {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}),
        (
            "I'm in Australia",
            {"Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide", "Australia/Perth"},
        ),
    ],
)
def test_ambiguous_zones_offer_the_candidates(text: str, candidates: set[str]) -> None:
    result = parse_timezone(text)
    assert isinstance(result, AmbiguousZone)
    # An AmbiguousZone is an Invalid: code that only knows Invalid refuses rather than stores it.
    assert isinstance(result, Invalid)
    assert result.reason == "timezone_ambiguous"
    assert set(result.candidates) == candidates


@pytest.mark.parametrize("text", ["garbage", "Mars/Olympus", "12", "UTC-13", "+03:15", "my team"])
def test_unknown_zones_are_refused(text: str) -> None:
    assert parse_zone(text) == Invalid("timezone")


def test_every_zone_in_the_tables_exists() -> None:
    from zoneinfo import ZoneInfo

    for zones in _places().values():
        for zone in zones:
            ZoneInfo(zone)
    assert len(_places()) > 400


def test_zone_readback_shows_the_local_time() -> None:
    now = datetime(2026, 11, 25, 3, 44, tzinfo=UTC)
    assert zone_readback("Asia/Kolkata", now) == "Asia/Kolkata — 09:14 there now"
    assert zone_readback("America/Sao_Paulo", now) == "America/Sao_Paulo — 00:44 there now"


def test_zone_for_a_shared_location() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert zone_for_location(-23.55, -46.63) == "America/Sao_Paulo"
    assert zone_for_location(19.07, 72.87) == "Asia/Kolkata"
    assert zone_for_location(48.14, 11.58) == "Europe/Berlin"
    assert zone_for_location(91, 0) is None
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >= before


# scores and small numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("maybe a 3", 3),
        ("I'd say 7", 7),
        ("I’d say 7", 7),
        ("7 out of 10", 7),
        ("about 6", 6),
        ("six-ish", 6),
        ("6ish", 6),
        ("a solid 8", 8),
        ("probably 4", 4),
        ("like a 5, maybe", 5),
        ("around 5 I think", 5),
        ("7!", 7),
        ("8/10 honestly", 8),
        ("③", 3),
        ("７", 7),
    ],
)
def test_parse_score_reads_hedged_scores(text: str, value: int) -> None:
    assert parse_score(text, 1, 10) == value


@pytest.mark.parametrize("text", ["²", "³/10", "⑪", "x²", "maybe", "7 or 8", "about -3", "a lot"])
def test_parse_score_never_crashes_on_odd_digits(text: str) -> None:
    assert isinstance(parse_score(text, 1, 10), int | Invalid)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        (" 12 ", 12),
        ("2.", 2),
        ("②", 2),
        ("²", 2),
        ("７", 7),
        ("٣", 3),
        ("x", None),
        ("", None),
        ("1234", None),
        ("-1", None),
        ("1.5", None),
    ],
)
def test_small_int_never_raises(text: str, value: int | None) -> None:
    assert small_int(text) == value
