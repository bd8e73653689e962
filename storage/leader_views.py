"""Read side of a leader's history: GoalView and CheckinView built from the tables.

Every query filters on user_id, so an id belonging to another leader finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from flows.views import CheckinView, GoalView
from storage.models import AnswerRow, CheckinRow, GoalRow, ScoreRow, SessionRow

# Check-ins still waiting for the leader: not yet delivered, being delivered by the
# dispatcher (storage.dispatch), or delivered and unanswered.
OPEN_CHECKIN_STATUSES = ("pending", "claimed", "sent")


def open_goals(session: Session, user_id: int) -> list[GoalView]:
    goals = session.scalars(
        select(GoalRow)
        .where(GoalRow.user_id == user_id, GoalRow.status == "open")
        .order_by(GoalRow.created_at.desc(), GoalRow.id.desc())
    ).all()
    return goal_views(session, user_id, goals)


def goal(session: Session, user_id: int, goal_id: str) -> GoalView | None:
    row = session.scalar(select(GoalRow).where(GoalRow.id == goal_id, GoalRow.user_id == user_id))
    if row is None:
        return None
    return goal_views(session, user_id, [row])[0]


def goal_views(session: Session, user_id: int, goals: Sequence[GoalRow]) -> list[GoalView]:
    """Views for several goals with one query per kind of fact rather than per goal."""
    if not goals:
        return []
    ids = [row.id for row in goals]

    # Ascending ids/times: for each key the last row seen is the latest one.
    latest_score: dict[tuple[str, str], ScoreRow] = {}
    for score in session.scalars(
        select(ScoreRow)
        .where(
            ScoreRow.user_id == user_id,
            ScoreRow.goal_id.in_(ids),
            ScoreRow.kind.in_(("baseline", "commitment")),
        )
        .order_by(ScoreRow.id)
    ):
        latest_score[(score.goal_id, score.kind)] = score

    latest_action: dict[str, SessionRow] = {}
    for coaching in session.scalars(
        select(SessionRow)
        .where(
            SessionRow.user_id == user_id,
            SessionRow.goal_id.in_(ids),
            SessionRow.action.is_not(None),
        )
        .order_by(SessionRow.started_at, SessionRow.id)
    ):
        assert coaching.goal_id is not None
        latest_action[coaching.goal_id] = coaching

    answers: dict[str, dict[str, str]] = {goal_id: {} for goal_id in ids}
    for goal_id, step, text in session.execute(
        select(SessionRow.goal_id, AnswerRow.step, AnswerRow.text)
        .join(SessionRow, AnswerRow.session_id == SessionRow.id)
        .where(AnswerRow.user_id == user_id, SessionRow.goal_id.in_(ids))
        .order_by(AnswerRow.id)
    ):
        answers[goal_id][step] = text

    views = []
    for row in goals:
        commitment = latest_score.get((row.id, "commitment"))
        baseline = latest_score.get((row.id, "baseline"))
        action = latest_action.get(row.id)
        views.append(
            GoalView(
                goal_id=row.id,
                text=row.text,
                status=row.status,
                created_at=row.created_at,
                commitment=commitment.value if commitment else None,
                commitment_at=commitment.created_at if commitment else None,
                action=action.action if action else None,
                action_due=action.action_due if action else None,
                session_id=action.id if action else None,
                baseline=baseline.value if baseline else None,
                answers=answers[row.id],
            )
        )
    return views


def pending_checkins(session: Session, user_id: int, limit: int = 20) -> list[CheckinView]:
    statement = (
        _checkin_query(user_id)
        .where(CheckinRow.status.in_(OPEN_CHECKIN_STATUSES))
        .order_by(CheckinRow.due_at, CheckinRow.id)
        .limit(limit)
    )
    return [_checkin_view(*row) for row in session.execute(statement)]


def checkin(session: Session, user_id: int, checkin_id: int) -> CheckinView | None:
    row = session.execute(_checkin_query(user_id).where(CheckinRow.id == checkin_id)).first()
    return _checkin_view(*row) if row else None


def _checkin_query(user_id: int) -> Select[tuple[CheckinRow, str, str | None]]:
    return (
        select(CheckinRow, GoalRow.text, SessionRow.action)
        .join(GoalRow, CheckinRow.goal_id == GoalRow.id)
        .outerjoin(SessionRow, CheckinRow.session_id == SessionRow.id)
        .where(CheckinRow.user_id == user_id)
    )


def _checkin_view(row: CheckinRow, goal_text: str, action: str | None) -> CheckinView:
    return CheckinView(
        checkin_id=row.id,
        goal_id=row.goal_id,
        goal_text=goal_text,
        kind=row.kind,
        due_at=row.due_at,
        status=row.status,
        action=action,
    )
