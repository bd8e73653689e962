"""What the engine may read about a leader's past, without knowing where it lives.

Storage implements `Lookup`, scoped to one leader, so no event can reach another
leader's goals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows.feedback_summary import FeedbackSummary
    from flows.progress import GoalProgress


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
    if_then: str | None = None  # the if-then plan that came with the latest action


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
    if_then: str | None = None  # the leader's plan for the obstacle, recalled by the check-in
    baseline: int | None = None  # the goal's first self-rating, to comment on change since
    session_id: str | None = None  # the session that planned it


@dataclass(frozen=True)
class Rating:
    value: int
    at: datetime  # UTC
    kind: str  # baseline | checkin


@dataclass(frozen=True)
class RecapView:
    """Where a leader stands on their most recently worked goal: opens the next session."""

    goal_id: str
    goal_text: str
    action: str | None
    action_due: date | None
    if_then: str | None
    checkin_outcome: str | None  # done | partly | not_yet of the latest answered check-in
    ratings: tuple[Rating, ...]  # baseline and check-in ratings, oldest first


@dataclass(frozen=True)
class EngagementView:
    """The leader's latest engagement: where they are in it."""

    engagement_id: str
    status: str  # active | paused | closed | declined
    months: int
    planned: int  # sessions agreed
    held: int  # sessions held so far
    started_at: datetime
    # The points ("start", "closing") a feedback round was already offered at, and those
    # the leader took ("start.taken").
    feedback_offered: tuple[str, ...] = ()

    @property
    def next_number(self) -> int:
        return min(self.held + 1, self.planned)


@dataclass(frozen=True)
class ReflectionView:
    reflection_id: str
    goal_id: str
    text: str
    created_at: datetime  # UTC


@dataclass(frozen=True)
class StakeholderAnswer:
    relationship: str  # peer | report | manager | other
    rating: int
    keep: str
    change: str


@dataclass(frozen=True)
class FeedbackRoundView:
    """One round as the leader may see it: the answers only once enough people gave them."""

    number: int
    behaviour: str
    answered: int
    expires_at: datetime
    link_open: bool  # neither revoked nor replaced nor expired
    # Empty while `answered` is below the threshold: storage holds them back.
    answers: tuple[StakeholderAnswer, ...] = ()
    opened_at: datetime | None = None  # when the leader opened the round (not an answer's time)


class Lookup(Protocol):
    def open_goals(self) -> list[GoalView]: ...

    def goal(self, goal_id: str) -> GoalView | None: ...

    def pending_checkins(self, limit: int = 20) -> list[CheckinView]: ...

    def checkin(self, checkin_id: int) -> CheckinView | None: ...

    def export(self) -> dict[str, Any]: ...

    def last_recap(self) -> RecapView | None: ...

    def engagement(self) -> EngagementView | None: ...

    def unrecalled_reflections(self) -> list[ReflectionView]: ...

    def goal_progress(self, goal_ids: Sequence[str] | None = None) -> list[GoalProgress]:
        """Each goal's chart data; the open goals (newest first) when `goal_ids` is None."""
        ...

    def feedback_rounds(self) -> list[FeedbackRoundView]: ...

    def feedback_summary(self) -> FeedbackSummary:
        """Stakeholder ratings per round and the change between rounds (for reviews)."""
        ...


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

    def last_recap(self) -> RecapView | None:
        return None

    def engagement(self) -> EngagementView | None:
        return None

    def unrecalled_reflections(self) -> list[ReflectionView]:
        return []

    def goal_progress(self, goal_ids: Sequence[str] | None = None) -> list[GoalProgress]:
        return []

    def feedback_rounds(self) -> list[FeedbackRoundView]:
        return []

    def feedback_summary(self) -> FeedbackSummary:
        from flows.feedback_summary import FeedbackSummary

        return FeedbackSummary(())
