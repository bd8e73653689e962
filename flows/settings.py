"""The coaching settings the engine needs, independent of where they were configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

DEFAULT_RESOURCES = (
    "If you are in immediate danger, call your local emergency number "
    "(112 in the EU, 911 in the US and Canada, 999 in the UK).",
    "Find a free, confidential helpline in your country: https://findahelpline.com",
)


@dataclass(frozen=True)
class CoachSettings:
    language: str = "en"
    first_after: timedelta = timedelta(days=2)
    session_interval: timedelta = timedelta(weeks=2)
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(8, 0))
    snooze: timedelta = timedelta(days=1)
    safety_resources: tuple[str, ...] = field(default=DEFAULT_RESOURCES)
