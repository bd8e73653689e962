"""What the engine may read about a leader's past, without knowing where it lives.

Storage implements `Lookup`, scoped to one leader, so no event can reach another
leader's goals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True)
class GoalView:
    goal_id: str
    text: str
    status: str  # open | closed
    created_at: datetime
    commitment: int | None  # latest commitment score
    commitment_at: datetime | None
    action: str | None  # latest agreed action
    action_due: date | None
    session_id: str | None  # session that agreed the latest action
    baseline: int | None
    answers: dict[str, str]  # latest answer per GROW step, to show when revisiting


class CheckinStatus(StrEnum):
    """A planned check-in's life: pending, claimed by a sender, delivering (in the
    conversation, not yet confirmed by Telegram), sent, then answered or cancelled."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DELIVERING = "delivering"
    SENT = "sent"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"  # every send failed: given up


@dataclass(frozen=True)
class CheckinView:
    checkin_id: int
    goal_id: str
    goal_text: str
    kind: str
    due_at: datetime  # UTC
    status: str  # a CheckinStatus value
    action: str | None


class Lookup(Protocol):
    def open_goals(self) -> list[GoalView]: ...

    def goal(self, goal_id: str) -> GoalView | None: ...

    def pending_checkins(self, limit: int = 20) -> list[CheckinView]: ...

    def checkin(self, checkin_id: int) -> CheckinView | None: ...

    def export(self) -> dict[str, Any]: ...


class EmptyLookup:
    """A leader with no history: used by tests and by a first conversation."""

    def open_goals(self) -> list[GoalView]:
        return []

    def goal(self, goal_id: str) -> GoalView | None:
        return None

    def pending_checkins(self, limit: int = 20) -> list[CheckinView]:
        return []

    def checkin(self, checkin_id: int) -> CheckinView | None:
        return None

    def export(self) -> dict[str, Any]:
        return {}
