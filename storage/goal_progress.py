"""A goal's progress (`flows.progress.GoalProgress`) built from the stored rows.

What the /progress chart and summary show: the baseline, every later self-rating, the
commitment scores, the sessions held and how the agreed actions went. Every query
filters on user_id, like the rest of the read side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.progress import ActionCounts, CommitmentPoint, GoalProgress, RatingPoint, RatingSource
from storage.models import CheckinRow, CoachingSessionRow, EngagementRow, GoalRow, LeaderRow, ScoreRow

# Sessions drawn on the chart and counted as held. Check-ins and re-scores are between
# sessions; the engagement's reviews (issue 13) are sessions too once they are stored.
SESSION_KINDS = ("grow", "review")
# A session that ended any of these ways did not happen as a coaching session.
NOT_HELD = ("cancelled", "abandoned", "safety")
# Score kinds that are self-ratings of the behaviour, and where each goes on the chart.
RATING_SOURCES: dict[str, RatingSource] = {"baseline": "checkin", "checkin": "checkin", "review": "review"}
ACTION_OUTCOMES = ("done", "partly", "not_yet")


def goal_progress(
    session: Session, user_id: int, goal_ids: Sequence[str] | None = None
) -> list[GoalProgress]:
    """Progress of the given goals (in that order), or of the open goals, newest first."""
    query = select(GoalRow).where(GoalRow.user_id == user_id)
    if goal_ids is None:
        query = query.where(GoalRow.status == "open").order_by(GoalRow.created_at.desc(), GoalRow.id.desc())
    else:
        query = query.where(GoalRow.id.in_(list(goal_ids)))
    goals = list(session.scalars(query))
    if goal_ids is not None:
        order = {goal_id: index for index, goal_id in enumerate(goal_ids)}
        goals.sort(key=lambda row: order[row.id])
    if not goals:
        return []
    ids = [row.id for row in goals]
    timezone = session.scalar(select(LeaderRow.timezone).where(LeaderRow.id == user_id))
    scores = _scores(session, user_id, ids)
    sessions = _sessions(session, user_id, ids)
    actions = _action_counts(session, user_id, ids)
    planned = sessions_planned(session, user_id)
    progress = []
    for row in goals:
        baseline, ratings, commitments = _split_scores(scores.get(row.id, []))
        held = sessions.get(row.id, [])
        progress.append(
            GoalProgress(
                goal=row.text,
                goal_id=row.id,
                baseline=baseline.value if baseline else None,
                baseline_at=baseline.created_at if baseline else None,
                ratings=ratings,
                commitments=commitments,
                sessions=held,
                actions=actions.get(row.id, ActionCounts()),
                sessions_held=len(held),
                sessions_planned=planned,
                attainment=row.attainment,
                timezone=timezone,
                expected=row.expected_outcome,
            )
        )
    return progress


def sessions_planned(session: Session, user_id: int) -> int | None:
    """How many sessions the leader's latest engagement plans; None without one.

    An engagement the leader declined plans nothing, so the one before it (if any) counts.
    A length changed since (/engagement) is what is stored, so the count follows it.
    """
    return session.scalar(
        select(EngagementRow.sessions_planned)
        .where(EngagementRow.user_id == user_id, EngagementRow.status != "declined")
        .order_by(EngagementRow.started_at.desc(), EngagementRow.id.desc())
        .limit(1)
    )


def _scores(session: Session, user_id: int, goal_ids: list[str]) -> dict[str, list[ScoreRow]]:
    by_goal: dict[str, list[ScoreRow]] = defaultdict(list)
    for score in session.scalars(
        select(ScoreRow)
        .where(ScoreRow.user_id == user_id, ScoreRow.goal_id.in_(goal_ids))
        .order_by(ScoreRow.id)
    ):
        by_goal[score.goal_id].append(score)
    return by_goal


def _split_scores(
    scores: list[ScoreRow],
) -> tuple[ScoreRow | None, list[RatingPoint], list[CommitmentPoint]]:
    """The first baseline; every later self-rating; the commitments."""
    baseline = next((score for score in scores if score.kind == "baseline"), None)
    ratings, commitments = [], []
    for score in scores:
        if score.kind == "commitment":
            commitments.append(CommitmentPoint(score.created_at, score.value))
        elif score is not baseline and score.kind in RATING_SOURCES:
            # A second baseline (a goal set again) is one more rating of the same behaviour.
            ratings.append(RatingPoint(score.created_at, score.value, RATING_SOURCES[score.kind]))
    return baseline, ratings, commitments


def _sessions(session: Session, user_id: int, goal_ids: list[str]) -> dict[str, list[datetime]]:
    held: dict[str, list[datetime]] = defaultdict(list)
    for goal_id, started_at in session.execute(
        select(CoachingSessionRow.goal_id, CoachingSessionRow.started_at)
        .where(
            CoachingSessionRow.user_id == user_id,
            CoachingSessionRow.goal_id.in_(goal_ids),
            CoachingSessionRow.kind.in_(SESSION_KINDS),
            CoachingSessionRow.closed_at.is_not(None),
            CoachingSessionRow.outcome.not_in(NOT_HELD),
        )
        .order_by(CoachingSessionRow.started_at, CoachingSessionRow.id)
    ):
        held[str(goal_id)].append(started_at)
    return held


def _action_counts(session: Session, user_id: int, goal_ids: list[str]) -> dict[str, ActionCounts]:
    """How each agreed action went, by the latest check-in answer about it.

    Several nudges ask about one action (first, midway, due), and an action moved to a
    new date at a check-in is still the same action: the leader's last word on it counts,
    once. A check-in planned by a session that agreed no action of its own asks about the
    goal's latest action before it.
    """
    action_rows = session.execute(
        select(CoachingSessionRow.id, CoachingSessionRow.goal_id, CoachingSessionRow.action)
        .where(
            CoachingSessionRow.user_id == user_id,
            CoachingSessionRow.goal_id.in_(goal_ids),
        )
        .order_by(CoachingSessionRow.started_at, CoachingSessionRow.id)
    ).all()
    # For every session of a goal: the action it is about (its own, else the latest before).
    about: dict[str, tuple[str, str]] = {}
    latest: dict[str, str] = {}
    for session_id, goal_id, action in action_rows:
        if action:
            latest[str(goal_id)] = " ".join(action.lower().split())
        if str(goal_id) in latest:
            about[session_id] = (str(goal_id), latest[str(goal_id)])
    last_word: dict[tuple[str, str], str] = {}
    for session_id, outcome in session.execute(
        select(CheckinRow.session_id, CheckinRow.outcome)
        .where(
            CheckinRow.user_id == user_id,
            CheckinRow.goal_id.in_(goal_ids),
            CheckinRow.status == "answered",
            CheckinRow.outcome.in_(ACTION_OUTCOMES),
        )
        .order_by(CheckinRow.id)
    ):
        if session_id in about:
            last_word[about[session_id]] = outcome
    tallies: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACTION_OUTCOMES, 0))
    for (goal_id, _action), outcome in last_word.items():
        tallies[goal_id][outcome] += 1
    return {
        goal_id: ActionCounts(done=t["done"], partly=t["partly"], not_yet=t["not_yet"])
        for goal_id, t in tallies.items()
    }
