"""Write side of a leader's history: applies the records the engine emits.

Every id in a record is looked up together with the leader's user_id; a record that
names another leader's goal, session or check-in is dropped, so no event can reach
beyond its own leader even if the engine were fed a forged id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from flows.records import (
    ActionAgreed,
    AnswerGiven,
    CheckinLapsed,
    CheckinPlanned,
    CheckinResolved,
    CheckinsCancelled,
    CheckinSnoozed,
    CheckinsReplanned,
    DataErased,
    EngagementAgreed,
    EngagementDeclined,
    EngagementResized,
    EngagementSessionHeld,
    EngagementStatusChanged,
    ExpectedOutcomeSet,
    FeedbackLinkIssued,
    FeedbackLinkRevoked,
    FeedbackOffered,
    GoalAttainmentRated,
    GoalClosed,
    GoalOpened,
    GoalRevised,
    PauseChanged,
    ProfileUpdated,
    Record,
    ReflectionLogged,
    ReflectionsRecalled,
    SafetyFlagged,
    ScoreGiven,
    SessionClosed,
    SessionGoalSet,
    SessionOpened,
)
from flows.schedule import replanned
from storage import feedback
from storage.checkin_delivery import lapse
from storage.leader_rows import erase_leader
from storage.leader_views import CANCELLABLE_CHECKIN_STATUSES
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
from storage.upsert import insert_ignoring

log = logging.getLogger("grow_coach.storage")


class RecordWriter:
    def __init__(self, session: Session, user_id: int) -> None:
        self.session = session
        self.user_id = user_id
        self._record_name = ""
        self.erased = False  # the leader's rows, users row included, are gone

    def apply(self, records: Iterable[Record], now: datetime) -> None:
        for record in records:
            self.apply_one(record, now)

    def apply_one(self, record: Record, now: datetime) -> None:
        self._record_name = type(record).__name__
        if self.erased:
            # Nothing may be stored for a leader who just erased themselves; the engine
            # emits nothing after DataErased, so this is a guard, not a path.
            log.warning("user=%s %s after erasure ignored", self.user_id, self._record_name)
            return
        match record:
            case ProfileUpdated():
                self._profile_updated(record, now)
            case GoalOpened():
                self._goal_opened(record, now)
            case GoalRevised():
                self._goal_revised(record, now)
            case GoalClosed():
                if goal := self._goal(record.goal_id):
                    goal.status = "closed"
                    goal.closed_at = now
                    goal.closed_reason = record.reason
                    goal.updated_at = now
            case ExpectedOutcomeSet():
                if goal := self._goal(record.goal_id):
                    goal.expected_outcome = record.text
                    goal.updated_at = now
            case GoalAttainmentRated():
                self._attainment_rated(record, now)
            case SessionOpened():
                self._session_opened(record, now)
            case SessionGoalSet():
                coaching = self._coaching(record.session_id)
                if coaching and self._goal(record.goal_id):
                    coaching.goal_id = record.goal_id
            case AnswerGiven():
                self._answer_given(record, now)
            case ScoreGiven():
                if (goal := self._goal(record.goal_id)) and self._coaching(record.session_id):
                    self.session.add(
                        ScoreRow(
                            user_id=self.user_id,
                            goal_id=record.goal_id,
                            session_id=record.session_id,
                            kind=record.kind,
                            value=record.value,
                            goal_version=goal.version,
                            created_at=now,
                        )
                    )
            case ActionAgreed():
                self._action_agreed(record, now)
            case SessionClosed():
                if coaching := self._coaching(record.session_id):
                    coaching.closed_at = now
                    coaching.outcome = record.outcome
            case CheckinPlanned():
                self._checkin_planned(record)
            case CheckinsCancelled():
                self._checkins_cancelled(record)
            case CheckinsReplanned():
                self._checkins_replanned(record, now)
            case CheckinResolved():
                if row := self._checkin(record.checkin_id):
                    row.status = "answered"
                    row.outcome = record.outcome
            case CheckinLapsed():
                lapse(self.session, record.checkin_id)
            case CheckinSnoozed():
                self._checkin_snoozed(record)
            case PauseChanged():
                # Pending check-ins stay pending; check-in delivery skips paused leaders.
                user = self._user()
                user.paused = record.paused
                user.updated_at = now
            case SafetyFlagged():
                self.session.add(
                    SafetyFlagRow(user_id=self.user_id, category=record.category, created_at=now)
                )
            case DataErased():
                self._data_erased()
            case EngagementAgreed() | EngagementDeclined():
                self._engagement_started(record, now)
            case EngagementResized():
                if engagement := self._engagement(record.engagement_id):
                    engagement.months = record.months
                    engagement.sessions_planned = record.sessions
            case EngagementSessionHeld():
                if engagement := self._engagement(record.engagement_id):
                    engagement.sessions_held = max(engagement.sessions_held, record.number)
                    engagement.last_session_at = now
            case EngagementStatusChanged():
                if engagement := self._engagement(record.engagement_id):
                    engagement.status = record.status
                    engagement.closed_at = now if record.status == "closed" else None
            case ReflectionLogged():
                if (
                    self._goal(record.goal_id)
                    and self.session.get(ReflectionRow, record.reflection_id) is None
                ):
                    self.session.add(
                        ReflectionRow(
                            id=record.reflection_id,
                            user_id=self.user_id,
                            goal_id=record.goal_id,
                            text=record.text,
                            created_at=now,
                        )
                    )
            case ReflectionsRecalled():
                self.session.execute(
                    update(ReflectionRow)
                    .where(
                        ReflectionRow.user_id == self.user_id,
                        ReflectionRow.id.in_(record.reflection_ids),
                        ReflectionRow.recalled_at.is_(None),
                    )
                    .values(recalled_at=now)
                )
            case FeedbackLinkIssued():
                feedback.issue_link(self.session, self.user_id, record, now)
            case FeedbackLinkRevoked():
                feedback.revoke_link(self.session, self.user_id, now)
            case FeedbackOffered():
                if engagement := self._engagement(record.engagement_id):
                    offered = set(filter(None, engagement.feedback_offered.split(",")))
                    token = f"{record.point}.taken" if record.taken else record.point
                    engagement.feedback_offered = ",".join(sorted(offered | {record.point, token}))
            case _:
                # A new record type must get a deliberate rule here, not vanish.
                raise TypeError(f"storage cannot apply {type(record).__name__}")

    def _profile_updated(self, record: ProfileUpdated, now: datetime) -> None:
        user = self._user()
        if record.name is not None:
            user.name = record.name
        if record.level is not None:
            user.level = record.level
        if record.timezone is not None:
            user.timezone = record.timezone
        if record.consented_at is not None:
            user.consented_at = record.consented_at
        user.updated_at = now

    def _goal_opened(self, record: GoalOpened, now: datetime) -> None:
        # An id already taken (a replayed event, or another leader's goal) is left alone.
        if self.session.get(GoalRow, record.goal_id) is not None:
            return
        # A draft until its session agrees an action: a session left half-way leaves
        # nothing in /status or /rescore.
        self.session.add(
            GoalRow(
                id=record.goal_id,
                user_id=self.user_id,
                text=record.text,
                status="draft",
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        self.session.add(
            GoalVersionRow(
                user_id=self.user_id, goal_id=record.goal_id, version=1, text=record.text, created_at=now
            )
        )

    def _goal_revised(self, record: GoalRevised, now: datetime) -> None:
        goal = self._goal(record.goal_id)
        if goal is None or goal.text == record.text:
            return
        goal.version += 1
        goal.text = record.text
        goal.updated_at = now
        self.session.add(
            GoalVersionRow(
                user_id=self.user_id, goal_id=goal.id, version=goal.version, text=record.text, created_at=now
            )
        )

    def _attainment_rated(self, record: GoalAttainmentRated, now: datetime) -> None:
        if not -2 <= record.value <= 2:
            # The engine only offers the five points; anything else is a bug, not data.
            log.warning("user=%s attainment %s out of range ignored", self.user_id, record.value)
            return
        if goal := self._goal(record.goal_id):
            goal.attainment = record.value
            goal.attainment_at = now
            goal.updated_at = now

    def _session_opened(self, record: SessionOpened, now: datetime) -> None:
        if self.session.get(CoachingSessionRow, record.session_id) is not None:
            return
        if record.goal_id is not None and self._goal(record.goal_id) is None:
            return
        self.session.add(
            CoachingSessionRow(
                id=record.session_id,
                user_id=self.user_id,
                goal_id=record.goal_id,
                kind=record.kind,
                started_at=now,
            )
        )

    def _action_agreed(self, record: ActionAgreed, now: datetime) -> None:
        coaching = self._coaching(record.session_id)
        goal = self._goal(record.goal_id)
        if coaching is None or goal is None:
            return
        if coaching.goal_id is None:
            coaching.goal_id = goal.id
        coaching.action = record.action
        coaching.action_due = record.due
        coaching.support = record.support
        coaching.obstacle = record.obstacle
        coaching.if_then = record.if_then
        if goal.status == "draft":
            goal.status = "open"
        goal.updated_at = now

    def _checkin_planned(self, record: CheckinPlanned) -> None:
        if self._goal(record.goal_id) is None or self._coaching(record.session_id) is None:
            return
        insert_ignoring(
            self.session,
            CheckinRow,
            ["session_id", "kind"],
            user_id=self.user_id,
            goal_id=record.goal_id,
            session_id=record.session_id,
            kind=record.kind,
            due_at=record.due_at,
            status="pending",
            attempts=0,
        )

    def _checkins_cancelled(self, record: CheckinsCancelled) -> None:
        statement = (
            update(CheckinRow)
            .where(
                CheckinRow.user_id == self.user_id,
                CheckinRow.status.in_(CANCELLABLE_CHECKIN_STATUSES),
            )
            .values(status="cancelled")
        )
        if record.goal_id is not None:
            statement = statement.where(CheckinRow.goal_id == record.goal_id)
        if record.kinds is not None:
            statement = statement.where(CheckinRow.kind.in_(record.kinds))
        self.session.execute(statement)

    def _checkins_replanned(self, record: CheckinsReplanned, now: datetime) -> None:
        # Claimed ones are being sent right now: only those still waiting move.
        rows = self.session.scalars(
            select(CheckinRow).where(CheckinRow.user_id == self.user_id, CheckinRow.status == "pending")
        )
        for row in rows:
            row.due_at = replanned(row.due_at, record.old_zone, record.new_zone, record.quiet_hours, now)

    def _checkin_snoozed(self, record: CheckinSnoozed) -> None:
        row = self._checkin(record.checkin_id)
        if row is None:
            return
        # A fresh delivery: check-in delivery must be able to claim and send it again.
        row.status = "pending"
        row.due_at = record.due_at
        row.attempts = 0
        row.sent_at = None
        row.claimed_at = None
        row.claimed_by = None

    def _data_erased(self) -> None:
        # Stakeholders' answers hang off the rounds, not off users: they go first.
        feedback.erase_rounds(self.session, self.user_id)
        erase_leader(self.session, self.user_id)
        self.erased = True

    def _answer_given(self, record: AnswerGiven, now: datetime) -> None:
        """The commonest record, so one statement: the answer is inserted only if the
        session is this leader's (an ORM lookup and then an insert cost twice as much)."""
        answers, sessions = AnswerRow.__table__, CoachingSessionRow.__table__
        values = {
            "session_id": record.session_id,
            "user_id": self.user_id,
            "step": record.step,
            "text": record.text,
            "created_at": now,
        }
        columns = (bindparam(name, value, type_=answers.c[name].type) for name, value in values.items())
        owned = select(*columns).where(
            exists().where(sessions.c.id == record.session_id, sessions.c.user_id == self.user_id)
        )
        # RETURNING rather than rowcount, which psycopg leaves at -1 for INSERT … SELECT.
        inserted = self.session.execute(
            insert(answers).from_select(list(values), owned).returning(answers.c.id)
        )
        if inserted.first() is None:
            self._owned(None, "session", record.session_id)

    def _engagement_started(self, record: EngagementAgreed | EngagementDeclined, now: datetime) -> None:
        if self.session.get(EngagementRow, record.engagement_id) is not None:
            return  # a replayed event
        agreed = isinstance(record, EngagementAgreed)
        self.session.add(
            EngagementRow(
                id=record.engagement_id,
                user_id=self.user_id,
                status="active" if agreed else "declined",
                months=record.months if agreed else 0,
                sessions_planned=record.sessions if agreed else 0,
                sessions_held=0,
                started_at=now,
            )
        )

    def _engagement(self, engagement_id: str) -> EngagementRow | None:
        row = self.session.get(EngagementRow, engagement_id)
        return row if self._owned(row, "engagement", engagement_id) else None

    def _user(self) -> LeaderRow:
        user = self.session.get(LeaderRow, self.user_id)
        if user is None:
            raise LookupError(f"no user {self.user_id}")
        return user

    def _goal(self, goal_id: str) -> GoalRow | None:
        row = self.session.get(GoalRow, goal_id)
        return row if self._owned(row, "goal", goal_id) else None

    def _coaching(self, session_id: str) -> CoachingSessionRow | None:
        row = self.session.get(CoachingSessionRow, session_id)
        return row if self._owned(row, "session", session_id) else None

    def _checkin(self, checkin_id: int) -> CheckinRow | None:
        row = self.session.get(CheckinRow, checkin_id)
        return row if self._owned(row, "check-in", checkin_id) else None

    def _owned(
        self, row: GoalRow | CoachingSessionRow | CheckinRow | EngagementRow | None, kind: str, key: object
    ) -> bool:
        if row is not None and row.user_id == self.user_id:
            return True
        # Ids only, never text. Normal for a stale button after an erasure; anything
        # else points at an engine that lost track of what it created.
        log.warning(
            "user=%s %s ignored: %s %s is unknown or not theirs",
            self.user_id,
            self._record_name,
            kind,
            key,
        )
        return False
