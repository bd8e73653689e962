"""The coaching settings the engine needs, independent of where they were configured.

The defaults here are the only ones: bot/config/loader.py writes its config-file defaults
from them, so a coach running the engine without a config file gets the same coach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

LANGUAGE = "en"
FIRST_CHECKIN_AFTER = timedelta(days=2)
SESSION_INTERVAL = timedelta(weeks=2)
QUIET_HOURS: tuple[time, time] | None = (time(21, 0), time(8, 0))
SNOOZE = timedelta(days=1)
# An engagement: 3 to 6 months of sessions every SESSION_INTERVAL, 6 to 12 sessions.
ENGAGEMENT_MONTHS = 3
ENGAGEMENT_MONTHS_RANGE = (3, 6)
ENGAGEMENT_SESSIONS_RANGE = (6, 12)
# A month as the calendar averages it: 3 months of fortnightly sessions is 6 sessions.
MONTH = timedelta(days=30.44)
# A leader holds at most this many open goals; a new one waits until one is closed.
MAX_ACTIVE_GOALS = 3
# "Move it by a few days" on a session reminder.
MOVE_BY = timedelta(days=3)
# Stakeholder feedback: the fewest answers a round shows (never below 3), and how long a link works.
FEEDBACK_MIN_RESPONSES = 3
FEEDBACK_LINK_TTL = timedelta(days=14)
# Shown when a message leaves coaching for crisis territory (see flows/safety.py).
CRISIS_RESOURCES = (
    "If you are in immediate danger, call your local emergency number "
    "(112 in the EU, 911 in the US and Canada, 999 in the UK).",
    "Find a free, confidential helpline in your country: https://findahelpline.com",
    "International Association for Suicide Prevention crisis centres: "
    "https://www.iasp.info/crisis-centres-helplines/",
)


@dataclass(frozen=True)
class CoachSettings:
    language: str = LANGUAGE
    first_after: timedelta = FIRST_CHECKIN_AFTER
    session_interval: timedelta = SESSION_INTERVAL
    quiet_hours: tuple[time, time] | None = QUIET_HOURS
    snooze: timedelta = SNOOZE
    engagement_months: int = ENGAGEMENT_MONTHS
    # None: as many sessions as the months hold at `session_interval`, kept within 6..12.
    # A number overrides that (short test runs use 2 to 4).
    engagement_sessions: int | None = None
    move_by: timedelta = MOVE_BY
    safety_resources: tuple[str, ...] = field(default=CRISIS_RESOURCES)
    feedback_min_responses: int = FEEDBACK_MIN_RESPONSES
    feedback_link_ttl: timedelta = FEEDBACK_LINK_TTL
    # False when the deployment has no key to hash stakeholders' ids with (see README).
    feedback_enabled: bool = True

    def sessions_for(self, months: int) -> int:
        """How many sessions an engagement of `months` months holds."""
        if self.engagement_sessions is not None:
            return self.engagement_sessions
        low, high = ENGAGEMENT_SESSIONS_RANGE
        return max(low, min(high, int(MONTH * months / self.session_interval)))
