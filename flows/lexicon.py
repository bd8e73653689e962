"""Shared vocabulary for reading answers: refusal reasons, word tables, text folding.

The phrase lists (non-answers, yes/no words, vague phrases...) live in
flows/data/en/phrases.toml so a coach can extend them without touching code.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Invalid:
    """Why an answer was refused; `reason` names a message in the content files."""

    reason: str


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

# Counts people use for durations ("in a couple of weeks"), beyond the score words.
COUNT_WORDS = {
    **NUMBER_WORDS,
    "a": 1,
    "an": 1,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
    "eleven": 11,
    "twelve": 12,
}

WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "tu": 1,
    "wednesday": 2,
    "wed": 2,
    "weds": 2,
    "wednes": 2,
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

# Letters NFKD does not split into a base letter and a mark.
_UNSPLIT = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
    }
)
_QUOTES = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-"}
)


def fold(text: str) -> str:
    """Lower case, accents dropped, typographic quotes and dashes made plain: 'São Paulo' -> 'sao paulo'."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_UNSPLIT)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain.lower()).strip()


def words(text: str) -> list[str]:
    """The words of a folded text, apostrophes kept inside words ("don't")."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", fold(text))


def phrase_text(text: str) -> str:
    """A folded text reduced to its words, for comparing with the phrase lists."""
    return " ".join(words(text))


@cache
def phrases(key: str) -> tuple[str, ...]:
    """One list from phrases.toml, each entry folded the way answers are."""
    # An entry with no words (an emoji) is kept as typed.
    return tuple(phrase_text(value) or value.strip() for value in _phrase_tree()[key])


@cache
def phrase_set(key: str) -> frozenset[str]:
    return frozenset(phrases(key))


@cache
def patterns(key: str) -> tuple[re.Pattern[str], ...]:
    """A list of regular expressions from phrases.toml, matched against phrase_text()."""
    return tuple(re.compile(pattern) for pattern in _phrase_tree()[key])


@cache
def choice_words(question: str) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """The words for each choice of one question ("checkin.did"), in the order they are tried."""
    table: dict[str, dict[str, list[str]]] = _phrase_tree().get("choice_words", {})  # type: ignore[assignment]
    return tuple(
        (value, tuple(re.compile(pattern) for pattern in listed))
        for value, listed in table.get(question, {}).items()
    )


@cache
def _phrase_tree() -> dict[str, list[str]]:
    with (DATA_DIR / "en" / "phrases.toml").open("rb") as handle:
        return tomllib.load(handle)
