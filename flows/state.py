"""What a flow remembers between a leader's messages, as typed data.

Storage saves `Conversation.data` as a plain dict (a JSON column); each flow reads it
into its own small dataclass at the start of an event and writes it back at the end.
Reading ignores keys it does not know and fills in missing ones, so positions saved by
an earlier version (with keys since dropped, such as a copy of every answer) still load.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self


class FlowName(StrEnum):
    """Where a leader is. A StrEnum, so it is stored, pickled and compared as plain text."""

    IDLE = "idle"
    ONBOARDING = "onboarding"
    GROW = "grow"
    CHECKIN = "checkin"
    RESCORE = "rescore"
    PROFILE = "profile"
    ERASE = "erase"
    GOALS = "goals"
    ENGAGEMENT = "engagement"
    REVIEW = "review"


# Idle has one state: between sessions, with the menu.
IDLE_STATE = "idle"

# The flows that are coaching sessions: they open and close a session row.
SESSION_FLOWS = frozenset({FlowName.GROW, FlowName.CHECKIN, FlowName.RESCORE, FlowName.REVIEW})


class FlowData:
    """A flow's saved data. Subclasses are dataclasses; this holds the shared plumbing."""

    # Picks one phrasing per question; without a seed every leader reads the first one.
    seed: int | None = None
    is_session: ClassVar[bool] = False
    # Kept by the flows that ask questions (setup and session data); see SetupData.
    nudged: list[str] | None = None
    clarify: dict[str, Any] | None = None

    def wording(self) -> dict[str, object]:
        """Values the flow's texts may fill in ({goal}, {action}, ...)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        # Unset (None) fields are left out, so an idle leader's data stays `{}`.
        saved = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {key: value for key, value in saved.items() if value is not None}

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: copy.deepcopy(value) for key, value in saved.items() if key in known})


@dataclass
class IdleData(FlowData):
    # Kept with the idle position: if the process dies before the recap is sent,
    # /start shows it again.
    last_recap: str | None = None
    # The session reminder on screen: its "move it" button moves this check-in.
    reminder_id: int | None = None


@dataclass
class SetupData(FlowData):
    """Onboarding, /level, /timezone and /delete need only their wording seed."""

    seed: int | None = None
    # "state:kind" for each re-ask already made at the current question (a non-answer
    # nudged, a weak answer challenged): each is made once, then the answer is taken.
    nudged: list[str] | None = None
    # An answer read two ways (an ambiguous date or zone) waiting for the leader to
    # pick one: {"text": question, "options": [[label, value], ...]}.
    clarify: dict[str, Any] | None = None


@dataclass
class SessionData(FlowData):
    """What every coaching session carries: its id, its goal and the wording values."""

    session_id: str = ""
    seed: int = 0
    goal_id: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    opened: bool = False  # the SessionOpened record has been written
    nudged: list[str] | None = None  # as in SetupData
    clarify: dict[str, Any] | None = None  # as in SetupData
    is_session: ClassVar[bool] = True

    def wording(self) -> dict[str, object]:
        return dict(self.vars)


def blank(flow: str) -> FlowData:
    """The data of a flow entered without any: idle, or a setup flow from its start."""
    return IdleData() if flow == FlowName.IDLE else SetupData()
