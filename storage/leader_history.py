"""One leader's history, as the engine sees it: `flows.views.Lookup` plus `apply`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from flows.feedback_summary import FeedbackSummary, summarise, threshold
from flows.progress import GoalProgress
from flows.records import Record
from flows.settings import FEEDBACK_MIN_RESPONSES
from flows.views import CheckinView, EngagementView, FeedbackRoundView, GoalView, RecapView, ReflectionView
from storage import feedback, goal_progress, leader_views
from storage.export import export_user
from storage.record_writer import RecordWriter
from storage.utc import utcnow


class LeaderHistory:
    """Scoped to one user: nothing here can read or change another leader's rows."""

    def __init__(self, session: Session, user_id: int, min_feedback: int = FEEDBACK_MIN_RESPONSES) -> None:
        self.session = session
        self.user_id = user_id
        # Below this many answers a feedback round's answers never leave storage.
        self.min_feedback = threshold(min_feedback)
        self._writer = RecordWriter(session, user_id)

    def open_goals(self) -> list[GoalView]:
        """Open goals, newest first."""
        return leader_views.open_goals(self.session, self.user_id)

    def goal(self, goal_id: str) -> GoalView | None:
        return leader_views.goal(self.session, self.user_id, goal_id)

    def pending_checkins(self, limit: int = 20) -> list[CheckinView]:
        """Scheduled check-ins (status pending), soonest due first."""
        return leader_views.pending_checkins(self.session, self.user_id, limit)

    def checkin(self, checkin_id: int) -> CheckinView | None:
        return leader_views.checkin(self.session, self.user_id, checkin_id)

    def last_recap(self) -> RecapView | None:
        """The open goal most recently given an action, with its check-in and ratings."""
        return leader_views.last_recap(self.session, self.user_id)

    def engagement(self) -> EngagementView | None:
        """The leader's latest engagement (agreed, paused, closed or declined), if any."""
        return leader_views.engagement(self.session, self.user_id)

    def unrecalled_reflections(self) -> list[ReflectionView]:
        """Reflections logged since the last session, oldest first."""
        return leader_views.unrecalled_reflections(self.session, self.user_id)

    def goal_progress(self, goal_ids: Sequence[str] | None = None) -> list[GoalProgress]:
        """Chart data per goal: the open goals, newest first, unless `goal_ids` names them."""
        return goal_progress.goal_progress(self.session, self.user_id, goal_ids)

    def feedback_rounds(self) -> list[FeedbackRoundView]:
        return feedback.rounds_for_leader(self.session, self.user_id, self.min_feedback, utcnow())

    def feedback_summary(self) -> FeedbackSummary:
        """Stakeholder ratings by round and the change between them: for reviews and /progress."""
        return summarise(self.feedback_rounds(), self.min_feedback)

    def apply(self, records: Iterable[Record], now: datetime) -> None:
        """Apply the records in order; `now` stamps the rows they create or change."""
        self._writer.apply(records, now)

    @property
    def erased(self) -> bool:
        """True once a DataErased record took the leader's rows, their users row included."""
        return self._writer.erased

    def export(self) -> dict[str, Any]:
        return export_user(self.session, self.user_id)
