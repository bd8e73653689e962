"""Figures for whoever deploys the coach: aggregate, anonymous, never free text.

Every figure carries how many leaders it comes from and is withheld below `MIN_LEADERS`,
so no number in the report can describe one leader, or two. Ratings are averaged per
leader first, so a leader with many goals weighs no more than one with a single goal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from sqlalchemy import MetaData, Table, func, inspect, select
from sqlalchemy.orm import Session

from flows.feedback_summary import MIN_RESPONSES_FLOOR
from storage.models import (
    CheckinRow,
    CoachingSessionRow,
    FeedbackResponseRow,
    FeedbackRoundRow,
    LeaderRow,
    ScoreRow,
)

MIN_LEADERS = 5
ACTIVE_WITHIN = timedelta(days=30)
# Sessions that ended in coaching rather than being left: the ones "held".
HELD_OUTCOMES = ("committed", "low_commitment", "done", "partly", "not_yet", "answered")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | int | dict[str, int] | None  # None: withheld (fewer than MIN_LEADERS leaders)
    leaders: int

    @property
    def withheld(self) -> bool:
        return self.value is None


def _figure(name: str, value: float | int | dict[str, int], leaders: int) -> Figure:
    return Figure(name, value if leaders >= MIN_LEADERS else None, leaders)


def organisation_stats(session: Session, now: datetime) -> list[Figure]:
    onboarded = set(
        session.scalars(
            select(LeaderRow.id).where(
                LeaderRow.consented_at.is_not(None),
                LeaderRow.level.is_not(None),
                LeaderRow.timezone.is_not(None),
            )
        )
    )
    figures = [_figure("leaders_onboarded", len(onboarded), len(onboarded))]
    figures.append(_active(session, onboarded, now))
    held = Counter(
        session.scalars(
            select(CoachingSessionRow.user_id).where(
                CoachingSessionRow.kind == "grow", CoachingSessionRow.outcome.in_(HELD_OUTCOMES)
            )
        )
    )
    figures.append(_figure("sessions_held", sum(held.values()), len(held)))
    answered = Counter(session.scalars(select(CheckinRow.user_id).where(CheckinRow.status == "answered")))
    figures.append(_figure("checkins_answered", sum(answered.values()), len(answered)))
    figures.append(_engagements_completed(session))
    figures.append(_self_rating_change(session))
    figures.append(_stakeholder_rating_change(session))
    figures.append(_goal_attainment(session))
    return figures


def _active(session: Session, onboarded: set[int], now: datetime) -> Figure:
    since = now - ACTIVE_WITHIN
    in_session = set(
        session.scalars(select(CoachingSessionRow.user_id).where(CoachingSessionRow.started_at >= since))
    )
    active = (
        in_session | set(session.scalars(select(ScoreRow.user_id).where(ScoreRow.created_at >= since)))
    ) & onboarded
    return _figure("leaders_active_30d", len(active), len(active))


def _engagements_completed(session: Session) -> Figure:
    # Engagements come with the engagement flow; a database without them reports none.
    if "engagements" not in inspect(session.connection()).get_table_names():
        return _figure("engagements_completed", 0, 0)
    table = _table(session, "engagements")
    rows = session.execute(select(table.c.user_id).where(table.c.status == "closed")).scalars()
    done = Counter(rows)
    return _figure("engagements_completed", sum(done.values()), len(done))


def _self_rating_change(session: Session) -> Figure:
    """Per goal, the latest check-in rating minus the baseline; averaged per leader, then over leaders."""
    rows = session.execute(
        select(ScoreRow.user_id, ScoreRow.goal_id, ScoreRow.kind, ScoreRow.value, ScoreRow.id)
        .where(ScoreRow.kind.in_(("baseline", "checkin")))
        .order_by(ScoreRow.id)
    ).all()
    baseline: dict[str, int] = {}
    latest: dict[str, int] = {}
    owner: dict[str, int] = {}
    for user_id, goal_id, kind, value, _ in rows:
        owner[goal_id] = user_id
        if kind == "baseline":
            baseline.setdefault(goal_id, value)
        else:
            latest[goal_id] = value
    per_leader: dict[int, list[int]] = defaultdict(list)
    for goal_id, value in latest.items():
        if goal_id in baseline:
            per_leader[owner[goal_id]].append(value - baseline[goal_id])
    return _mean_figure("mean_self_rating_change", per_leader)


def _stakeholder_rating_change(session: Session) -> Figure:
    """Per leader, the latest round's mean minus round 1's, where both had enough answers to show."""
    rows = session.execute(
        select(
            FeedbackRoundRow.user_id,
            FeedbackRoundRow.number,
            func.avg(FeedbackResponseRow.rating),
            func.count(FeedbackResponseRow.id),
        )
        .join(FeedbackResponseRow, FeedbackResponseRow.round_id == FeedbackRoundRow.id)
        .where(FeedbackResponseRow.step == "done")
        .group_by(FeedbackRoundRow.user_id, FeedbackRoundRow.number)
        .order_by(FeedbackRoundRow.number)
    ).all()
    rounds: dict[int, list[float]] = defaultdict(list)
    for user_id, _number, mean, count in rows:
        if count >= MIN_RESPONSES_FLOOR:
            rounds[user_id].append(float(mean))
    per_leader = {user_id: [means[-1] - means[0]] for user_id, means in rounds.items() if len(means) >= 2}
    return _mean_figure("mean_stakeholder_rating_change", per_leader)


def _goal_attainment(session: Session) -> Figure:
    """Goals by where they ended: the attainment scale (-2..+2) where reviews placed it,
    else how the goal was closed. Open and draft goals are not counted."""
    columns = {column["name"] for column in inspect(session.connection()).get_columns("goals")}
    table = _table(session, "goals")
    attainment = table.c.attainment if "attainment" in columns else None
    selected = [table.c.user_id, table.c.status, table.c.closed_reason]
    if attainment is not None:
        selected.append(attainment)
    buckets: dict[str, set[int]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for row in session.execute(select(*selected).where(table.c.status == "closed")):
        placed = row[3] if attainment is not None and len(row) > 3 else None
        bucket = f"{placed:+d}" if placed is not None else str(row[2] or "closed")
        buckets[bucket].add(row[0])
        counts[bucket] += 1
    leaders = set().union(*buckets.values()) if buckets else set()
    # A bucket from fewer than MIN_LEADERS leaders is withheld on its own.
    shown = {bucket: counts[bucket] for bucket in sorted(counts) if len(buckets[bucket]) >= MIN_LEADERS}
    return _figure("goal_attainment", shown, len(leaders))


def _mean_figure(name: str, per_leader: dict[int, list[float]] | dict[int, list[int]]) -> Figure:
    means = [fmean(values) for values in per_leader.values() if values]
    return _figure(name, round(fmean(means), 2) if means else 0.0, len(means))


def _table(session: Session, name: str) -> Table:
    # Read from the database, so figures from tables other features add work before and after.
    return Table(name, MetaData(), autoload_with=session.connection())
