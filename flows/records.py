"""Facts the engine asks storage to keep.

The engine never writes anything itself: handling an event returns these records,
and the caller commits them together with the new conversation position in one
transaction before any reply leaves the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True)
class ProfileUpdated:
    name: str | None = None
    level: str | None = None
    timezone: str | None = None
    consented_at: datetime | None = None


@dataclass(frozen=True)
class GoalOpened:
    goal_id: str
    text: str


@dataclass(frozen=True)
class GoalRevised:
    """A new wording of a goal; storage keeps the earlier ones as its history."""

    goal_id: str
    text: str


@dataclass(frozen=True)
class SessionOpened:
    session_id: str
    goal_id: str | None
    kind: str  # grow | checkin | rescore


@dataclass(frozen=True)
class SessionGoalSet:
    """A session opened before its goal existed (GROW) learns its goal later."""

    session_id: str
    goal_id: str


@dataclass(frozen=True)
class AnswerGiven:
    session_id: str
    step: str
    text: str


@dataclass(frozen=True)
class ScoreGiven:
    goal_id: str
    session_id: str
    kind: str  # baseline | commitment | checkin
    value: int


@dataclass(frozen=True)
class ActionAgreed:
    goal_id: str
    session_id: str
    action: str
    due: date
    support: str = ""
    obstacle: str = ""
    if_then: str = ""


@dataclass(frozen=True)
class SessionClosed:
    session_id: str
    outcome: str  # committed | low_commitment | cancelled | done | partly | not_yet


@dataclass(frozen=True)
class CheckinPlanned:
    """One check-in to create; (session_id, kind) is unique in storage."""

    goal_id: str
    session_id: str
    kind: str  # first | midway | action_due | next_session
    due_at: datetime  # UTC


@dataclass(frozen=True)
class CheckinsCancelled:
    goal_id: str | None = None  # None: every pending check-in of the leader
    kinds: tuple[str, ...] | None = None  # None: every kind


@dataclass(frozen=True)
class CheckinsReplanned:
    """The leader's zone changed: pending check-ins keep their wall-clock time in the new
    zone, moved out of its quiet hours (a 17:00 nudge stays at 17:00 where they are now)."""

    old_zone: str
    new_zone: str
    quiet_hours: tuple[time, time] | None


@dataclass(frozen=True)
class CheckinResolved:
    checkin_id: int
    outcome: str  # done | partly | not_yet | snoozed | answered


@dataclass(frozen=True)
class CheckinLapsed:
    """Never answered, and a later check-in took its place: it is not sent again."""

    checkin_id: int


@dataclass(frozen=True)
class CheckinSnoozed:
    checkin_id: int
    due_at: datetime


@dataclass(frozen=True)
class PauseChanged:
    paused: bool


@dataclass(frozen=True)
class SafetyFlagged:
    category: str  # the text itself is never kept


@dataclass(frozen=True)
class DataErased:
    pass


@dataclass(frozen=True)
class ExpectedOutcomeSet:
    """What "as expected" looks like for a goal, in the leader's words: the middle of
    the five-point goal attainment scale the closing review asks them to place it on."""

    goal_id: str
    text: str


@dataclass(frozen=True)
class GoalAttainmentRated:
    """Where the leader got on a goal, on the goal attainment scale: -2 much less than
    expected, -1 less, 0 as expected, +1 more, +2 much more than expected."""

    goal_id: str
    value: int


@dataclass(frozen=True)
class GoalClosed:
    goal_id: str
    reason: str = "achieved"  # achieved | dropped


@dataclass(frozen=True)
class EngagementAgreed:
    """The leader agreed an engagement: `sessions` sessions over `months` months."""

    engagement_id: str
    months: int
    sessions: int


@dataclass(frozen=True)
class EngagementDeclined:
    """Asked to agree an engagement, the leader said not now; sessions stay open to them."""

    engagement_id: str


@dataclass(frozen=True)
class EngagementResized:
    """The leader changed a running engagement's length: `sessions` planned over `months`."""

    engagement_id: str
    months: int
    sessions: int


@dataclass(frozen=True)
class EngagementSessionHeld:
    """Session `number` of the engagement was held (a GROW session closed, or a review)."""

    engagement_id: str
    number: int


@dataclass(frozen=True)
class EngagementStatusChanged:
    engagement_id: str
    status: str  # active | paused | closed


@dataclass(frozen=True)
class ReflectionLogged:
    """What happened between sessions, in the leader's words, attached to a goal."""

    reflection_id: str
    goal_id: str
    text: str


@dataclass(frozen=True)
class ReflectionsRecalled:
    """These reflections were brought back at the start of a session."""

    reflection_ids: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackLinkIssued:
    """A stakeholder invite link: a new round, or a fresh link for the latest one.

    Storage keeps only `code_hash`; the code itself reaches nobody but the leader.
    """

    code_hash: str
    expires_at: datetime
    new_round: bool
    behaviour: str = ""  # what stakeholders rate (a new round only)


@dataclass(frozen=True)
class FeedbackLinkRevoked:
    """The latest round's link stops working; the answers it brought stay."""


@dataclass(frozen=True)
class FeedbackOffered:
    """The leader was offered a feedback round at one of the engagement's two points
    ("start" or "closing"); whatever they answer, that point is not offered again."""

    engagement_id: str
    point: str
    taken: bool = False  # the leader said yes: the round for this point is open


Record = (
    ProfileUpdated
    | GoalOpened
    | GoalRevised
    | SessionOpened
    | SessionGoalSet
    | AnswerGiven
    | ScoreGiven
    | ActionAgreed
    | SessionClosed
    | CheckinPlanned
    | CheckinsCancelled
    | CheckinsReplanned
    | CheckinResolved
    | CheckinLapsed
    | CheckinSnoozed
    | PauseChanged
    | SafetyFlagged
    | DataErased
    | GoalClosed
    | EngagementAgreed
    | EngagementDeclined
    | EngagementResized
    | EngagementSessionHeld
    | EngagementStatusChanged
    | ReflectionLogged
    | ReflectionsRecalled
    | ExpectedOutcomeSet
    | GoalAttainmentRated
    | FeedbackLinkIssued
    | FeedbackLinkRevoked
    | FeedbackOffered
)
