"""Drive the coaching engine the way a leader would, and read what they would see.

Used by the engine, resume and terminal tests. Nothing here talks to Telegram; the
engine is called directly (`Coach`) or through `bot.coaching.service.CoachService`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from flows.content import Content, load_content
from flows.conversation import Conversation, Profile
from flows.engine import CoachEngine
from flows.events import Event, Outcome, Reply
from flows.feedback_summary import FeedbackSummary, summarise
from flows.progress import GoalProgress
from flows.records import Record
from flows.views import (
    CheckinView,
    EngagementView,
    FeedbackRoundView,
    GoalView,
    Lookup,
    RecapView,
    ReflectionView,
)

# A Wednesday afternoon in UTC: "friday" is 2026-11-27, "today" is 2026-11-25.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
CONTENT: Content = load_content("en")

# One straight path through GROW that visits every question state once (options_more
# twice): a vague goal, a low commitment, then "keep".
GROW_PATH: tuple[tuple[str, str], ...] = (
    ("goal", "be a better leader"),
    ("goal_concrete", "stop avoiding difficult conversations with my team"),
    ("goal_measure", "my team tells me that issues get raised early"),
    ("goal_by_when", "within a month"),
    ("reality_now", "last week I skipped telling Sam his report was late"),
    ("reality_tried", "I wrote notes but never used them"),
    ("reality_cost", "the team stops trusting deadlines"),
    ("reality_baseline", "4"),
    ("options_first", "rehearse with a peer"),
    ("options_more", "book a weekly slot for hard talks"),
    ("options_more", "ask HR for a script"),
    ("options_bold", "tell the whole team what I expect"),
    ("options_pick", "2"),
    ("will_action", "talk to Sam about deadlines"),
    ("will_when", "friday"),
    ("will_support", "my manager"),
    ("will_obstacle", "I will put it off"),
    ("will_if_then", "if I put it off then I book a room at once"),
    ("will_commitment", "5"),
    ("will_raise", "a smaller first step"),
    ("will_low_next", "keep"),
)
GROW_QUESTIONS: tuple[str, ...] = tuple(dict.fromkeys(state for state, _ in GROW_PATH))
# Steps only first-time managers are asked; experienced leaders go past them.
GUIDED_ONLY = frozenset(
    {"goal_by_when", "reality_tried", "reality_cost", "options_bold", "will_support", "will_obstacle"}
)
ONBOARDING_PATH: tuple[str, ...] = ("hello", "yes", "Ann", "{level}", "UTC")


def path_for(style: str, path: Sequence[tuple[str, str]] = GROW_PATH) -> list[tuple[str, str]]:
    """The steps of `path` a leader of this style is asked ("guided" or "open")."""
    return [(state, answer) for state, answer in path if style == "guided" or state not in GUIDED_ONLY]


# An engagement of six sessions with the first one held: the next /new is session 2, an
# ordinary GROW session (the midpoint review is session 3). Session 1 made the start's
# feedback offer (flows/feedback_offers.py).
ENGAGED = EngagementView("engagement-1", "active", 3, 6, 1, NOW, ("start",))
# A leader who was offered an engagement and said not now.
DECLINED = EngagementView("engagement-0", "declined", 0, 0, 0, NOW)


class FakeLookup:
    """A leader's history held in memory: the `Lookup` the engine reads.

    `engagement` defaults to ENGAGED; pass None for a leader set up before engagements.
    """

    def __init__(
        self,
        goals: Sequence[GoalView] = (),
        checkins: Sequence[CheckinView] = (),
        recap: RecapView | None = None,
        engagement: EngagementView | None = ENGAGED,
        reflections: Sequence[ReflectionView] = (),
        progress: Sequence[GoalProgress] = (),
    ) -> None:
        self.goals = list(goals)
        self.checkins = list(checkins)
        self.recap = recap
        self.engaged = engagement
        self.reflections = list(reflections)
        self.progress = list(progress)
        self.rounds: list[FeedbackRoundView] = []

    def engagement(self) -> EngagementView | None:
        return self.engaged

    def unrecalled_reflections(self) -> list[ReflectionView]:
        return list(self.reflections)

    def feedback_rounds(self) -> list[FeedbackRoundView]:
        return list(self.rounds)

    def feedback_summary(self) -> FeedbackSummary:
        return summarise(self.rounds, 3)

    def open_goals(self) -> list[GoalView]:
        return list(self.goals)

    def goal(self, goal_id: str) -> GoalView | None:
        return next((g for g in self.goals if g.goal_id == goal_id), None)

    def pending_checkins(self, limit: int = 20) -> list[CheckinView]:
        return self.checkins[:limit]

    def checkin(self, checkin_id: int) -> CheckinView | None:
        return next((c for c in self.checkins if c.checkin_id == checkin_id), None)

    def last_recap(self) -> RecapView | None:
        return self.recap

    def goal_progress(self, goal_ids: Sequence[str] | None = None) -> list[GoalProgress]:
        if goal_ids is None:
            return list(self.progress)
        return [p for p in self.progress if p.goal_id in goal_ids]

    def export(self) -> dict[str, Any]:
        return {"goals": [g.goal_id for g in self.goals], "checkins": [c.checkin_id for c in self.checkins]}


def goal_view(**changes: Any) -> GoalView:
    view = GoalView(
        goal_id="goal-1",
        text="stop avoiding difficult conversations with my team",
        status="open",
        created_at=NOW,
        commitment=5,
        commitment_at=NOW,
        action="talk to Sam about deadlines",
        action_due=date(2026, 11, 27),
        session_id="session-1",
        baseline=4,
        answers={"goal": "stop avoiding difficult conversations with my team", "reality_baseline": "4"},
    )
    return replace(view, **changes)


def checkin_view(**changes: Any) -> CheckinView:
    view = CheckinView(
        checkin_id=7,
        goal_id="goal-1",
        goal_text="stop avoiding difficult conversations with my team",
        kind="action_due",
        due_at=NOW,
        status="pending",
        action="talk to Sam about deadlines",
    )
    return replace(view, **changes)


def consented(level: str = "first_time", timezone: str = "UTC", name: str = "Ann") -> Conversation:
    """A leader who finished onboarding and sits between sessions."""
    profile = Profile(name=name, level=level, timezone=timezone, consented=True)
    return Conversation(flow="idle", state="idle", profile=profile)


@dataclass(frozen=True)
class Snapshot:
    flow: str
    state: str
    question_seq: int
    data: dict[str, Any]
    profile: Profile


@dataclass
class Coach:
    """One leader talking to a `CoachEngine`; keeps every record the engine emitted."""

    conv: Conversation = field(default_factory=Conversation)
    lookup: Lookup = field(default_factory=FakeLookup)
    engine: CoachEngine = field(default_factory=CoachEngine)
    now: datetime = NOW
    outcome: Outcome = field(default_factory=lambda: Outcome([], []))
    records: list[Record] = field(default_factory=list)
    position: int = 0  # how far along GROW_PATH (or the path given to drive_to) we are

    # sending

    def send(self, event: Event) -> Outcome:
        self.outcome = self.engine.handle(self.conv, event, self.lookup)
        self.records.extend(self.outcome.records)
        return self.outcome

    def say(self, text: str) -> Outcome:
        return self.send(Event.message(text, self.now))

    def command(self, name: str) -> Outcome:
        return self.send(Event.command(name, self.now))

    def choose(self, value: str, question: int | None = None) -> Outcome:
        seq = self.conv.question_seq if question is None else question
        return self.send(Event.pick(value, seq, self.now))

    def timer(self, checkin_id: int) -> Outcome:
        return self.send(Event.timer("checkin", checkin_id, self.now))

    # reading

    @property
    def replies(self) -> list[Reply]:
        return self.outcome.replies

    @property
    def texts(self) -> list[str]:
        return [reply.text for reply in self.outcome.replies]

    @property
    def question(self) -> Reply:
        """The question the last event ended on (the last reply that asks something)."""
        asked = [reply for reply in self.outcome.replies if reply.question is not None]
        assert asked, f"no question in {self.texts}"
        return asked[-1]

    def labels(self) -> list[str]:
        return [choice.label for choice in self.question.choices]

    def values(self) -> list[str]:
        return [choice.value for choice in self.question.choices]

    def snapshot(self) -> Snapshot:
        conv = self.conv
        return Snapshot(
            conv.flow, conv.state, conv.question_seq, copy.deepcopy(conv.data), replace(conv.profile)
        )

    def phrasings(self, flow: str, key: str, field: str = "ask", **extra: object) -> list[str]:
        """Every wording of a text as this leader could see it now."""
        values: dict[str, object] = {"name": self.conv.profile.name or "there"}
        values.update(self.conv.data.get("vars", {}))
        values.update(extra)
        return phrasings(flow, key, field, self.conv.profile.style, **values)

    def asked(self, flow: str, key: str, field: str = "ask", **extra: object) -> bool:
        return self.question.text in self.phrasings(flow, key, field, **extra)

    def said(self, flow: str, key: str, field: str = "ask", **extra: object) -> bool:
        wanted = self.phrasings(flow, key, field, **extra)
        return any(text in wanted for text in self.texts)

    # getting somewhere

    def onboard(self, level: str = "first_time", timezone: str = "UTC") -> Coach:
        for answer in ONBOARDING_PATH[:-1]:
            self.say(answer.format(level=level.replace("_", " ")))
        self.say(timezone)
        assert (self.conv.flow, self.conv.state) == ("grow", "goal"), self.texts
        return self

    def drive_to(self, state: str, path: Sequence[tuple[str, str]] = GROW_PATH) -> Coach:
        """Answer GROW questions from `path` until the conversation reaches `state`."""
        while self.conv.state != state:
            assert self.position < len(path), f"{state} not reached"
            expected, answer = path[self.position]
            if expected in GUIDED_ONLY and self.conv.profile.style == "open" and self.conv.state != expected:
                self.position += 1
                continue
            assert self.conv.state == expected, (self.conv.state, expected, self.texts)
            self.say(answer)
            self.position += 1
        return self


def phrasings(
    flow: str, key: str, field: str = "ask", style: str | None = None, **values: object
) -> list[str]:
    count = len(CONTENT.items(flow, key, field, style))
    return [CONTENT.text(flow, key, field, style=style, seed=seed, values=values) for seed in range(count)]


def records_of(records: Sequence[Record], kind: type) -> list[Any]:
    return [record for record in records if isinstance(record, kind)]


def grow_coach(level: str = "first_time", timezone: str = "UTC") -> Coach:
    """A new leader taken through onboarding, now at the first GROW question."""
    return Coach().onboard(level, timezone)
