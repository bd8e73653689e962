"""A leader's position in the coaching conversation, as plain data storage can save."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.state import FlowName

LEVELS = ("first_time", "experienced", "senior", "executive")


@dataclass
class Profile:
    name: str | None = None
    level: str | None = None
    timezone: str | None = None
    consented: bool = False
    paused: bool = False

    @property
    def onboarded(self) -> bool:
        """Consent, level and time zone are all known: check-ins can be timed and styled."""
        return self.consented and self.level is not None and self.timezone is not None

    @property
    def style(self) -> str:
        """New leaders get structure and examples; the others get open questions."""
        return "guided" if self.level in (None, "first_time") else "open"


@dataclass
class Conversation:
    flow: str = FlowName.ONBOARDING
    state: str = "start"
    data: dict[str, Any] = field(default_factory=dict)
    question_seq: int = 0
    profile: Profile = field(default_factory=Profile)

    def reset(self, flow: str, state: str) -> None:
        self.flow = flow
        self.state = state
        self.data = {}
