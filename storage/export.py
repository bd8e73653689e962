"""Everything kept about one user, as JSON-ready data for the /export command.

The nested part (profile, goals with their sessions, answers, scores and check-ins) is
what the readable export is made from; `stored_rows` is every row about the leader in
every table, column for column, so nothing stored is left out of the export even
before someone teaches the nested part about a new table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.leader_rows import rows_about
from storage.models import (
    AnswerRow,
    CheckinRow,
    CoachingSessionRow,
    EngagementRow,
    GoalRow,
    GoalVersionRow,
    LeaderRow,
    ReflectionRow,
    SafetyFlagRow,
    ScoreRow,
)


def export_user(session: Session, user_id: int) -> dict[str, Any]:
    user = session.get(LeaderRow, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")

    answers: dict[str, list[dict[str, Any]]] = {}
    for answer in session.scalars(
        select(AnswerRow).where(AnswerRow.user_id == user_id).order_by(AnswerRow.id)
    ):
        answers.setdefault(answer.session_id, []).append(
            {"step": answer.step, "text": answer.text, "created_at": _iso(answer.created_at)}
        )

    sessions_by_goal: dict[str | None, list[dict[str, Any]]] = {}
    for coaching in session.scalars(
        select(CoachingSessionRow)
        .where(CoachingSessionRow.user_id == user_id)
        .order_by(CoachingSessionRow.started_at, CoachingSessionRow.id)
    ):
        sessions_by_goal.setdefault(coaching.goal_id, []).append(
            _session(coaching, answers.get(coaching.id, []))
        )

    scores: dict[str, list[dict[str, Any]]] = {}
    for score in session.scalars(select(ScoreRow).where(ScoreRow.user_id == user_id).order_by(ScoreRow.id)):
        scores.setdefault(score.goal_id, []).append(
            {
                "session_id": score.session_id,
                "kind": score.kind,
                "value": score.value,
                "goal_version": score.goal_version,
                "created_at": _iso(score.created_at),
            }
        )

    checkins: dict[str, list[dict[str, Any]]] = {}
    for checkin in session.scalars(
        select(CheckinRow).where(CheckinRow.user_id == user_id).order_by(CheckinRow.id)
    ):
        checkins.setdefault(checkin.goal_id, []).append(
            {
                "id": checkin.id,
                "session_id": checkin.session_id,
                "kind": checkin.kind,
                "due_at": _iso(checkin.due_at),
                "status": checkin.status,
                "sent_at": _iso(checkin.sent_at),
                "outcome": checkin.outcome,
            }
        )

    versions: dict[str, list[dict[str, Any]]] = {}
    for version in session.scalars(
        select(GoalVersionRow).where(GoalVersionRow.user_id == user_id).order_by(GoalVersionRow.id)
    ):
        versions.setdefault(version.goal_id, []).append(
            {"version": version.version, "text": version.text, "created_at": _iso(version.created_at)}
        )

    reflections: dict[str, list[dict[str, Any]]] = {}
    for reflection in session.scalars(
        select(ReflectionRow)
        .where(ReflectionRow.user_id == user_id)
        .order_by(ReflectionRow.created_at, ReflectionRow.id)
    ):
        reflections.setdefault(reflection.goal_id, []).append(
            {
                "text": reflection.text,
                "created_at": _iso(reflection.created_at),
                "recalled_at": _iso(reflection.recalled_at),
            }
        )

    engagements = [
        {
            "status": row.status,
            "months": row.months,
            "sessions_planned": row.sessions_planned,
            "sessions_held": row.sessions_held,
            "started_at": _iso(row.started_at),
            "last_session_at": _iso(row.last_session_at),
            "closed_at": _iso(row.closed_at),
        }
        for row in session.scalars(
            select(EngagementRow)
            .where(EngagementRow.user_id == user_id)
            .order_by(EngagementRow.started_at, EngagementRow.id)
        )
    ]

    goals = [
        {
            "id": goal.id,
            "text": goal.text,
            "status": goal.status,
            "created_at": _iso(goal.created_at),
            "updated_at": _iso(goal.updated_at),
            "closed_at": _iso(goal.closed_at),
            "closed_reason": goal.closed_reason,
            "expected_outcome": goal.expected_outcome,
            "attainment": goal.attainment,
            "attainment_at": _iso(goal.attainment_at),
            "versions": versions.get(goal.id, []),
            "sessions": sessions_by_goal.get(goal.id, []),
            "scores": scores.get(goal.id, []),
            "checkins": checkins.get(goal.id, []),
            "reflections": reflections.get(goal.id, []),
        }
        for goal in session.scalars(
            select(GoalRow).where(GoalRow.user_id == user_id).order_by(GoalRow.created_at)
        )
    ]

    flags = [
        {"category": flag.category, "created_at": _iso(flag.created_at)}
        for flag in session.scalars(
            select(SafetyFlagRow).where(SafetyFlagRow.user_id == user_id).order_by(SafetyFlagRow.id)
        )
    ]

    return {
        "profile": {
            "channel": user.channel,
            "name": user.name,
            "level": user.level,
            "timezone": user.timezone,
            "consented_at": _iso(user.consented_at),
            "paused": user.paused,
            "created_at": _iso(user.created_at),
        },
        "engagements": engagements,
        "goals": goals,
        # A GROW session abandoned before its goal was named still holds answers.
        "sessions_without_goal": sessions_by_goal.get(None, []),
        "safety_flags": flags,
        "stored_rows": rows_about(session, user_id),
    }


def _session(row: CoachingSessionRow, answers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "started_at": _iso(row.started_at),
        "closed_at": _iso(row.closed_at),
        "outcome": row.outcome,
        "action": row.action,
        "action_due": _iso(row.action_due),
        "support": row.support,
        "obstacle": row.obstacle,
        "if_then": row.if_then,
        "answers": answers,
    }


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None
