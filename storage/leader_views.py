"""Read side of a leader's history: GoalView and CheckinView built from the tables.

Every query filters on user_id, so an id belonging to another leader finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from flows.views import CheckinView, EngagementView, GoalView, Rating, RecapView, ReflectionView
from storage.goal_progress import ACTION_OUTCOMES, RATING_SOURCES
from storage.models import (
    AnswerRow,
    CheckinRow,
    CoachingSessionRow,
    EngagementRow,
    GoalRow,
    ReflectionRow,
    ScoreRow,
)

# Check-ins a cancellation still stops: scheduled, claimed by a delivery round that has
# not sent them yet (its mark_delivering then finds them gone), or delivering and not
# yet confirmed (never sent again). A sent one is already in front of the leader;
# cancelling it would change nothing they see.
CANCELLABLE_CHECKIN_STATUSES = ("pending", "claimed", "delivering")


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

    latest_action = latest_actions(session, user_id, ids)
    plans = latest_plans(session, user_id, ids)

    answers: dict[str, dict[str, str]] = {goal_id: {} for goal_id in ids}
    for goal_id, step, text in session.execute(
        select(CoachingSessionRow.goal_id, AnswerRow.step, AnswerRow.text)
        .join(CoachingSessionRow, AnswerRow.session_id == CoachingSessionRow.id)
        .where(AnswerRow.user_id == user_id, CoachingSessionRow.goal_id.in_(ids))
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
                if_then=plans.get(row.id),
            )
        )
    return views


def latest_actions(session: Session, user_id: int, goal_ids: list[str]) -> dict[str, CoachingSessionRow]:
    """For each goal, the latest session that agreed an action."""
    latest: dict[str, CoachingSessionRow] = {}
    for coaching in session.scalars(
        select(CoachingSessionRow)
        .where(
            CoachingSessionRow.user_id == user_id,
            CoachingSessionRow.goal_id.in_(goal_ids),
            CoachingSessionRow.action.is_not(None),
        )
        .order_by(CoachingSessionRow.started_at, CoachingSessionRow.id)
    ):
        assert coaching.goal_id is not None
        latest[coaching.goal_id] = coaching
    return latest


def last_recap(session: Session, user_id: int) -> RecapView | None:
    latest = session.scalar(
        select(CoachingSessionRow)
        .join(GoalRow, CoachingSessionRow.goal_id == GoalRow.id)
        .where(
            CoachingSessionRow.user_id == user_id,
            CoachingSessionRow.action.is_not(None),
            GoalRow.status == "open",
        )
        .order_by(CoachingSessionRow.started_at.desc(), CoachingSessionRow.id.desc())
        .limit(1)
    )
    if latest is None or latest.goal_id is None:
        return None
    goal_row = session.get(GoalRow, latest.goal_id)
    assert goal_row is not None
    outcome = session.scalar(
        select(CheckinRow.outcome)
        .where(
            CheckinRow.user_id == user_id,
            CheckinRow.goal_id == goal_row.id,
            CheckinRow.status == "answered",
            CheckinRow.outcome.in_(ACTION_OUTCOMES),
        )
        .order_by(CheckinRow.id.desc())
        .limit(1)
    )
    ratings = tuple(
        Rating(score.value, score.created_at, score.kind)
        for score in session.scalars(
            select(ScoreRow)
            .where(
                ScoreRow.user_id == user_id,
                ScoreRow.goal_id == goal_row.id,
                ScoreRow.kind.in_(tuple(RATING_SOURCES)),  # the self-ratings, as /progress draws them
            )
            .order_by(ScoreRow.id)
        )
    )
    return RecapView(
        goal_id=goal_row.id,
        goal_text=goal_row.text,
        action=latest.action,
        action_due=latest.action_due,
        if_then=latest_plans(session, user_id, [goal_row.id]).get(goal_row.id),
        checkin_outcome=outcome,
        ratings=ratings,
    )


def latest_plans(session: Session, user_id: int, goal_ids: list[str]) -> dict[str, str]:
    """For each goal, the latest if-then plan the leader made (a re-dated action has none)."""
    plans: dict[str, str] = {}
    for goal_id, if_then in session.execute(
        select(CoachingSessionRow.goal_id, CoachingSessionRow.if_then)
        .where(
            CoachingSessionRow.user_id == user_id,
            CoachingSessionRow.goal_id.in_(goal_ids),
            CoachingSessionRow.if_then.is_not(None),
            CoachingSessionRow.if_then != "",
        )
        .order_by(CoachingSessionRow.started_at, CoachingSessionRow.id)
    ):
        plans[str(goal_id)] = if_then
    return plans


def pending_checkins(session: Session, user_id: int, limit: int = 20) -> list[CheckinView]:
    statement = (
        _checkin_query(user_id)
        # Only scheduled ones: /status shows the first as "next check-in", and a sent
        # one the leader ignored would otherwise stay "next" for ever.
        .where(CheckinRow.status == "pending")
        .order_by(CheckinRow.due_at, CheckinRow.id)
        .limit(limit)
    )
    return _checkin_views(session, user_id, session.execute(statement).all())


def checkin(session: Session, user_id: int, checkin_id: int) -> CheckinView | None:
    row = session.execute(_checkin_query(user_id).where(CheckinRow.id == checkin_id)).first()
    return _checkin_views(session, user_id, [row])[0] if row else None


def _checkin_views(
    session: Session,
    user_id: int,
    rows: Sequence[Row[tuple[CheckinRow, str, str | None, str | None]]],
) -> list[CheckinView]:
    # A check-in planned by a check-in or re-score session that kept the action has no
    # action of its own; it asks about the goal's latest agreed action instead.
    without_action = [checkin.goal_id for checkin, _, action, _ in rows if not action]
    fallback = latest_actions(session, user_id, without_action) if without_action else {}
    # A new date agreed at a check-in or re-score comes without a plan; the one the
    # leader made for the action still holds.
    without_plan = [checkin.goal_id for checkin, _, _, if_then in rows if not if_then]
    plans = latest_plans(session, user_id, without_plan) if without_plan else {}
    baselines = _baselines(session, user_id, list({checkin.goal_id for checkin, *_ in rows}))
    views = []
    for checkin_row, goal_text, action, if_then in rows:
        if not action and checkin_row.goal_id in fallback:
            action = fallback[checkin_row.goal_id].action
        if not if_then:
            if_then = plans.get(checkin_row.goal_id)
        view = _checkin_view(checkin_row, goal_text, action)
        views.append(replace(view, if_then=if_then or None, baseline=baselines.get(checkin_row.goal_id)))
    return views


def _baselines(session: Session, user_id: int, goal_ids: list[str]) -> dict[str, int]:
    """Each goal's first self-rating: the point change is measured from."""
    first: dict[str, int] = {}
    for goal_id, value in session.execute(
        select(ScoreRow.goal_id, ScoreRow.value)
        .where(ScoreRow.user_id == user_id, ScoreRow.goal_id.in_(goal_ids), ScoreRow.kind == "baseline")
        .order_by(ScoreRow.id)
    ):
        first.setdefault(goal_id, value)
    return first


def _checkin_query(user_id: int) -> Select[tuple[CheckinRow, str, str | None, str | None]]:
    return (
        select(CheckinRow, GoalRow.text, CoachingSessionRow.action, CoachingSessionRow.if_then)
        .join(GoalRow, CheckinRow.goal_id == GoalRow.id)
        .outerjoin(CoachingSessionRow, CheckinRow.session_id == CoachingSessionRow.id)
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
        session_id=row.session_id,
    )


def engagement(session: Session, user_id: int) -> EngagementView | None:
    row = session.scalar(
        select(EngagementRow)
        .where(EngagementRow.user_id == user_id)
        .order_by(EngagementRow.started_at.desc(), EngagementRow.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return EngagementView(
        engagement_id=row.id,
        status=row.status,
        months=row.months,
        planned=row.sessions_planned,
        held=row.sessions_held,
        started_at=row.started_at,
        feedback_offered=tuple(filter(None, row.feedback_offered.split(","))),
    )


def unrecalled_reflections(session: Session, user_id: int) -> list[ReflectionView]:
    return [
        ReflectionView(row.id, row.goal_id, row.text, row.created_at)
        for row in session.scalars(
            select(ReflectionRow)
            .where(ReflectionRow.user_id == user_id, ReflectionRow.recalled_at.is_(None))
            .order_by(ReflectionRow.created_at, ReflectionRow.id)
        )
    ]
