"""Turning what a leader typed into values, or into a reason to ask again."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.lexicon import MONTHS, NUMBER_WORDS, WEEKDAYS, Invalid, fold
from flows.when import parse_when
from flows.zones import AmbiguousZone, parse_zone

MAX_ANSWER_CHARS = 4000

# Re-exported: callers have always imported these from here.
__all__ = [
    "MAX_ANSWER_CHARS",
    "MONTHS",
    "NUMBER_WORDS",
    "WEEKDAYS",
    "AmbiguousZone",
    "Invalid",
    "clean_text",
    "local_today",
    "parse_date",
    "parse_score",
    "parse_timezone",
    "small_int",
]


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


def small_int(text: str) -> int | None:
    """A number of one to three digits, or None; never raises.

    `"²".isdigit()` is True but `int("²")` raises: superscript, circled and full-width
    digits are read through NFKC ("③" -> 3, "７" -> 7) and anything else is None.
    """
    raw = unicodedata.normalize("NFKC", text).strip().rstrip(".")
    # \d is any decimal digit (Arabic-Indic too), all of which int() reads.
    if not re.fullmatch(r"\d{1,3}", raw):
        return None
    return int(raw)


# Hedges people put around a score: "maybe a 3", "I'd say 7", "six-ish", "a solid 8".
_SCORE_BEFORE = (
    r"^(?:(?:maybe|perhaps|probably|prob|possibly|i'd say|id say|i would say|i guess|i think|i'd give it|"
    r"id give it|i'd give|i give it|give it|honestly|about|around|roughly|approx|approximately|like|"
    r"a solid|solid|a good|a weak|a strong|an|a|um|umm|hmm|hm|uh|eh|er|erm|oh|ok|okay|well|so|probs|just|"
    r"definitely|def|"
    r"a clear|easily|only|at least|at most|it's|its|it is|i'm|im|i am|~)\s*)+"
)
_SCORE_AFTER = (
    r"(?:\s*(?:-?ish|or so|maybe|probably|i think|i guess|i'd say|honestly|really|tbh|"
    r"at best|at most|at least|for now|right now|today|now|points?|pts?|for sure|lol|haha|obviously|"
    r"definitely|surely|easily|tops|max|honestly|really|to be honest|i reckon|i'd say|id say))+$"
)


# A score and then why: "7 - feeling good", "6, I have a plan but time is tight",
# "8 because I know what to say". The reason may hold no other number ("7, maybe 8").
_SCORE_THEN_REASON = re.compile(
    r"^(?P<score>.*?\d{1,2}(?:\s*(?:/|out of|of)\s*10)?|.*?\b[a-z]+)"
    r"\s*(?:[,;:–—(]|\s-\s|\.\s|\s(?:because|cause|cos|coz|since|as|bc)\s)\s*(?P<reason>[^\d]*[a-z][^\d]*)$"
)


def parse_score(text: str, low: int, high: int) -> int | Invalid:
    value = _parse_score(text, low, high)
    if not isinstance(value, Invalid) or value.reason != "score_format":
        return value
    match = _SCORE_THEN_REASON.match(fold(text).strip())
    if match is None or set(match.group("reason").split()) & set(NUMBER_WORDS):
        return value
    return _parse_score(match.group("score"), low, high)


def _parse_score(text: str, low: int, high: int) -> int | Invalid:
    raw = re.sub(r"\s*,\s*", " ", fold(text))
    # "8 :)", "10/10 💪", "7!!": emoticons, emoji and marks after the score say nothing more.
    raw = re.sub(r"(?<=\w)(?:\s*[^\w\s/]+)+$", "", raw).strip()
    raw = re.sub(r"[!?]+$|\.+$", "", raw).strip()
    raw = re.sub(_SCORE_BEFORE, "", raw).strip()
    raw = re.sub(_SCORE_AFTER, "", raw).strip()
    raw = re.sub(r"(?<=\w)(?:\s*[^\w\s/]+)+$", "", raw).strip()
    raw = re.sub(r"\s*(/|out of|outta|of)\s*(10|ten)$", "", raw).strip()
    raw = re.sub(r"-?ish$", "", raw).strip()
    if raw in NUMBER_WORDS:
        value = NUMBER_WORDS[raw]
    elif re.fullmatch(r"[0-9]{1,2}", raw):
        value = int(raw)
    else:
        return Invalid("score_format")
    if not low <= value <= high:
        return Invalid("score_range")
    return value


def parse_date(text: str, today: date) -> date | Invalid:
    """The date of parse_when (flows/when.py): 'friday', 'tomorrow morning', 'in 3 days', '18.12.2026'."""
    result = parse_when(text, today)
    return result if isinstance(result, Invalid) else result.date


def parse_timezone(text: str) -> str | Invalid:
    """An IANA zone name for 'Europe/Berlin', 'berlin', 'São Paulo', "I'm in Mumbai", 'PST', 'UTC+2'...

    A name used for several zones ('CST', 'IST') gives an AmbiguousZone, an Invalid that
    carries the candidates to offer (see flows/zones.py).
    """
    raw = re.sub(r"\s+", " ", text.strip())
    if not raw:
        return Invalid("empty")
    return parse_zone(raw)


def local_today(now: datetime, timezone: str | None) -> date:
    return now.astimezone(ZoneInfo(timezone or "UTC")).date()


def short(text: str, limit: int) -> str:
    """Text cut to fit a button or a list line, marked as cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
