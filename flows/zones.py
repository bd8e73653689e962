"""Time zones as people give them: a city, a country, an abbreviation, an offset or a location.

The city table is flows/data/cities.tsv and the abbreviations flows/data/zone_abbreviations.tsv;
both are plain text a coach or admin can extend. Names are matched accent-folded, so
"Sao Paulo", "São Paulo" and "SÃO PAULO" are one city.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flows.lexicon import DATA_DIR, Invalid, fold


@dataclass(frozen=True)
class AmbiguousZone(Invalid):
    """A name used for more than one zone ("CST", "IST", "USA"): ask which of `candidates`.

    It is an Invalid, so a caller that only knows Invalid refuses the answer with
    the "timezone_ambiguous" message instead of storing something half understood.
    """

    candidates: tuple[str, ...] = field(default=())


def parse_zone(text: str) -> str | Invalid:
    """An IANA zone name for what the leader typed, AmbiguousZone, or Invalid("timezone")."""
    raw = fold(text).strip(" .!?")
    if not raw:
        return Invalid("empty")
    offset = _offset(raw)
    if offset is not None:
        return offset
    for candidate in _candidates(raw):
        found = _lookup(candidate)
        if found is not None:
            return found
    return Invalid("timezone")


_LEAD_INS = (
    r"(?:(?:i'm|im|i am|we're|we are|i live|i'm living|i work|i'm working|i'm based|i am based|based|"
    r"i've moved|ive moved|i have moved|i moved|moved|i'm moving|im moving|moving|relocated|i relocated|"
    r"i'm travelling|im travelling|i'm traveling|im traveling|travelling|traveling|i'm staying|staying|"
    r"back|to|"
    r"living|currently|right now|at the moment|now|mostly|usually|my|our|the|time ?zone|tz|is|it's|its|"
    r"in|near|around|from|out of|close to|just outside|outside|at)\s+)+"
)
_TAILS = (
    r"(?:\s+(?:time|standard time|daylight time|daylight saving time|summer time|time ?zone|tz|area|"
    r"region))+$"
)


def _candidates(raw: str) -> list[str]:
    """The ways to read "I'm in Mumbai, India" as a place: whole, then part by part."""
    whole = re.sub(rf"^{_LEAD_INS}", "", raw).strip()
    text = re.sub(_TAILS, "", whole).strip()
    found = [whole, text, text.replace(",", " ").replace("  ", " ")]
    parts = [part.strip() for part in re.split(r",|\(|\)|/(?=[a-z ]+$)|\s+-\s+", text) if part.strip()]
    found += parts
    for part in parts:
        tokens = part.split()
        # "Mumbai India", "New York City USA": the longest leading run of words that is a place,
        # never a compass word alone ("north carolina" is not Australia/North).
        found += [
            " ".join(tokens[:cut])
            for cut in range(len(tokens) - 1, 0, -1)
            if tokens[:cut] != tokens[:1] or tokens[0] not in _COMPASS
        ]
        # "west London", "northern Germany": the place after the compass word.
        if len(tokens) > 1 and tokens[0] in _COMPASS:
            found.append(" ".join(tokens[1:]))
    found += [re.sub(_TAILS, "", part).strip() for part in parts]
    return [candidate for candidate in dict.fromkeys(found) if candidate]


# Words that name a direction, not a place, when a longer name begins with them.
_COMPASS = frozenset(
    {
        "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
        "northeast", "northwest", "southeast", "southwest", "upper", "lower", "greater", "mid",
    }
)  # fmt: skip


def _lookup(name: str) -> str | Invalid | None:
    for table in (_abbreviations(), _places(), _iana_names()):
        zones = table.get(name) or table.get(name.replace(" ", "_")) or table.get(name.replace(".", ""))
        if zones:
            return zones[0] if len(zones) == 1 else AmbiguousZone("timezone_ambiguous", zones)
    return None


@cache
def _abbreviations() -> dict[str, tuple[str, ...]]:
    return _read_table(DATA_DIR / "zone_abbreviations.tsv")


@cache
def _places() -> dict[str, tuple[str, ...]]:
    return _read_table(DATA_DIR / "cities.tsv")


@cache
def _iana_names() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for name in sorted(available_timezones()):
        index.setdefault(fold(name), (name,))
        short = fold(name.rsplit("/", 1)[-1].replace("_", " "))
        # Old aliases such as Brazil/East or Australia/North are no city: "east" is no answer.
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")) and short not in _COMPASS:
            index.setdefault(short, (name,))
    return index


def _read_table(path: Path) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, zones = line.split("\t")
        table[fold(name)] = tuple(zone.strip() for zone in zones.split(","))
    return table


# Offsets that are not whole hours: the zone most people with that offset live in.
_PART_HOUR_ZONES = {
    ("+", 5, 30): "Asia/Kolkata",
    ("+", 5, 45): "Asia/Kathmandu",
    ("+", 9, 30): "Australia/Darwin",
    ("+", 3, 30): "Asia/Tehran",
    ("+", 4, 30): "Asia/Kabul",
    ("+", 6, 30): "Asia/Yangon",
    ("-", 3, 30): "America/St_Johns",
    ("+", 10, 30): "Australia/Adelaide",
    ("-", 9, 30): "Pacific/Marquesas",
    ("+", 8, 45): "Australia/Eucla",
    ("+", 12, 45): "Pacific/Chatham",
}


def _offset(raw: str) -> str | Invalid | None:
    text = re.sub(r"^(?:i'm |im |i am |it's |its |my time ?zone is |time ?zone )", "", raw)
    match = re.fullmatch(
        r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:(?::|\.|h)?(\d{2})|\.(5))?(?:\s*h(?:ours?)?)?", text
    )
    if match is None:
        return None
    sign, hours_text, minutes_text, half = match.groups()
    hours = int(hours_text)
    minutes = 30 if half else int(minutes_text or 0)
    if minutes:
        return _PART_HOUR_ZONES.get((sign, hours, minutes), Invalid("timezone"))
    if hours == 0:
        return "UTC"
    if hours > 14 or (sign == "-" and hours > 12):
        # No zone on Earth is that far from UTC (Etc/GMT+13 does not exist).
        return Invalid("timezone")
    # Etc/GMT zones have their sign inverted by POSIX convention.
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


_FINDER: list[Any] = []


def zone_for_location(latitude: float, longitude: float) -> str | None:
    """The zone at a shared location (a Telegram location message), or None if unknown.

    timezonefinder is imported on first use: it brings numpy and a polygon index, whose
    memory only the process that reads locations should pay for.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if not _FINDER:
        from timezonefinder import TimezoneFinder

        _FINDER.append(TimezoneFinder())
    zone = _FINDER[0].timezone_at(lat=latitude, lng=longitude)
    return zone if isinstance(zone, str) and zone in available_timezones() else None


def zone_readback(zone: str, now: datetime) -> str:
    """'Asia/Kolkata — 09:14 there now': lets the leader see at a glance if the zone is right."""
    local = now.astimezone(ZoneInfo(zone))
    return f"{zone_label(zone)} — {local:%H:%M} there now"


def zone_label(zone: str) -> str:
    """The zone as the leader would write it: 'Etc/GMT-2' (POSIX, sign inverted) is 'UTC+2'."""
    match = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", zone)
    if match is None:
        return zone
    return f"UTC{'-' if match.group(1) == '+' else '+'}{match.group(2)}"
