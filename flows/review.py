"""The midpoint and closing reviews: a guided look back over each active goal.

For each goal: re-rate the behaviour 0-10 (compared with the baseline), what changed and
what helped, what gets in the way; then at the midpoint keep / adjust / replace the goal,
and at the close place it on the five-point goal attainment scale and say what they will
keep doing. The close ends the engagement and offers a new one. Each goal's part of the
review is a session of its own, so every goal keeps its own history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData

from flows import engagement, feedback_offers, follow_ups, session_reminders
from flows.chart_replies import progress_replies
from flows.events import Choice
from flows.feedback_summary import FeedbackSummary, stakeholder_points
from flows.parsing import Invalid
from flows.progress import stakeholder_line
from flows.quoting import quote
from flows.records import (
    CheckinsCancelled,
    EngagementSessionHeld,
    EngagementStatusChanged,
    GoalAttainmentRated,
    GoalClosed,
    ScoreGiven,
    SessionClosed,
    SessionOpened,
)
from flows.settings import MAX_ACTIVE_GOALS
from flows.state import FlowName, SessionData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel, Turn, new_id, new_seed
from flows.views import EngagementView, GoalView

# The five points of goal attainment scaling, as stored.
ATTAINMENT = (-2, -1, 0, 1, 2)

STEPS = (
    Step("rate", Ask.score(0, 10), on_exit="keep_rating"),
    Step("changed", Ask.text(needs_content=True)),
    Step("in_the_way", Ask.text()),
    Step("decide", Ask.choice("keep", "adjust", "replace"), on_exit="keep_decision"),
    Step("attainment", Ask.pick(), on_exit="keep_attainment"),
    Step("keep_doing", Ask.text(), on_exit="next_goal"),
    Step("mid_done", on_enter="finish_midpoint"),
    Step("again", Ask.choice("yes", "no", yes="yes", no="no"), on_enter="close_engagement"),
    Step("renewed", on_enter="offer_new_engagement"),
    Step("ended", on_enter="say_goodbye"),
)

TRANSITIONS = (
    # trigger   source          dest            condition
    ("answer", "rate", "changed"),
    ("answer", "changed", "in_the_way"),
    ("answer", "in_the_way", "decide", "is_midpoint"),
    ("answer", "in_the_way", "attainment"),
    ("answer", "decide", "rate", "has_more_goals"),
    ("answer", "decide", "mid_done"),
    ("answer", "attainment", "keep_doing"),
    ("answer", "keep_doing", "rate", "has_more_goals"),
    ("answer", "keep_doing", "again"),
    ("answer", "again", "renewed", "wants_another"),
    ("answer", "again", "ended"),
)


@dataclass
class ReviewData(SessionData):
    kind: str = "midpoint"  # midpoint | closing
    engagement_id: str = ""
    number: int = 0
    planned: int = 0
    # The goals reviewed, oldest first: [goal_id, text, baseline or None].
    goals: list[list[Any]] = field(default_factory=list)
    index: int = 0
    # What each goal came to: {goal_id: {"rating": 7, "decision": "keep", "attainment": 1}}.
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


def start_data(turn: Turn, view: EngagementView, number: int, kind: str, goals: list[GoalView]) -> ReviewData:
    # At most MAX_ACTIVE_GOALS are open at once, so a review never runs longer than that.
    chosen = list(reversed(goals))[:MAX_ACTIVE_GOALS]
    data = ReviewData(
        session_id=new_id(),
        seed=new_seed(),
        kind=kind,
        engagement_id=view.engagement_id,
        number=number,
        planned=view.planned,
        goals=[[g.goal_id, g.text, g.baseline] for g in chosen],
    )
    _point_at(data, 0)
    return data


def _point_at(data: ReviewData, index: int) -> None:
    goal_id, text, baseline = data.goals[index]
    data.index = index
    data.goal_id = goal_id
    data.vars.update(
        goal=text,
        baseline=baseline if baseline is not None else "–",
        goal_number=index + 1,
        goal_count=len(data.goals),
        number=data.number,
        planned=data.planned,
    )


class ReviewModel(FlowModel[ReviewData]):
    # guards

    def is_midpoint(self, event: EventData) -> bool:
        return self.data.kind == "midpoint"

    def has_more_goals(self, event: EventData) -> bool:
        return self.data.index + 1 < len(self.data.goals)

    def wants_another(self, event: EventData) -> bool:
        return event.kwargs["value"] == "yes"

    # callbacks

    def keep_rating(self, event: EventData) -> None:
        value = int(event.kwargs["value"])
        goal_id = str(self.data.goal_id)
        self.turn.record(ScoreGiven(goal_id, self.data.session_id, "review", value))
        self._result()["rating"] = value
        baseline = self.data.goals[self.data.index][2]
        if isinstance(baseline, int):
            change = "up" if value > baseline else "down" if value < baseline else "same"
            self.turn.say("review", "change", change, rating=value, baseline=baseline)

    def keep_decision(self, event: EventData) -> None:
        self._result()["decision"] = str(event.kwargs["value"])
        self.next_goal(event)

    def keep_attainment(self, event: EventData) -> None:
        value = int(str(event.kwargs["value"]))
        self._result()["attainment"] = value
        self.turn.record(GoalAttainmentRated(str(self.data.goal_id), value))

    def next_goal(self, event: EventData) -> None:
        """Each goal's part of the review is its own session; the next one opens here."""
        if self.data.index + 1 >= len(self.data.goals):
            return
        self.turn.record(SessionClosed(self.data.session_id, "reviewed"))
        _point_at(self.data, self.data.index + 1)
        self.data.session_id = new_id()
        self.turn.record(SessionOpened(self.data.session_id, self.data.goal_id, FlowName.REVIEW))
        self.turn.say("review", "next_goal")

    def finish_midpoint(self, event: EventData) -> None:
        turn, data = self.turn, self.data
        turn.record(SessionClosed(data.session_id, "reviewed"))
        turn.record(EngagementSessionHeld(data.engagement_id, data.number))
        session_reminders.drop_reminders(turn)
        decisions = {goal_id: result.get("decision") for goal_id, result in data.results.items()}
        for goal_id, decision in decisions.items():
            if decision == "replace":
                turn.record(GoalClosed(goal_id, "replaced"))
                turn.record(CheckinsCancelled(goal_id))
        # Every goal sent back gets its own session, oldest goal first: the first now,
        # each next one as the one before closes (flows/follow_ups.py).
        turn.follow_ups = [
            [str(decisions[goal_id]), goal_id, text]
            for goal_id, text, _ in data.goals
            if decisions.get(goal_id) in follow_ups.KINDS
        ]
        kept = [g for g in data.goals if decisions.get(g[0]) != "replace"]
        if turn.follow_ups:
            field = "rework_one" if len(turn.follow_ups) == 1 else "rework"
            turn.say("review", "mid_done", field, plan=follow_ups.plan_text(turn))
            follow_ups.start_next(turn, data.engagement_id)
            return
        # Nothing to rework: the reminders for the next session hang off a kept goal.
        goal_id = kept[-1][0]
        session_reminders.reminders(turn, goal_id, data.session_id, committed=False)
        turn.say("review", "mid_done", "keep", next=data.number + 1)
        feedback_offers.offer_after_session(turn, data.number)
        turn.finish()

    def close_engagement(self, event: EventData) -> None:
        turn, data = self.turn, self.data
        turn.record(SessionClosed(data.session_id, "reviewed"))
        turn.record(EngagementSessionHeld(data.engagement_id, data.number))
        turn.record(EngagementStatusChanged(data.engagement_id, "closed"))
        session_reminders.drop_reminders(turn)
        lines = [turn.text("review", "summary", "intro")]
        scale = turn.content.labels("review", "attainment")
        feedback = turn.lookup.feedback_summary()
        for goal_id, text, baseline in data.goals:
            result = data.results.get(goal_id, {})
            attainment = result.get("attainment")
            lines.append(
                turn.text(
                    "review",
                    "summary",
                    "goal",
                    goal=quote(text, 80),
                    baseline=baseline if baseline is not None else "–",
                    rating=result.get("rating", "–"),
                    attainment=scale.get(_attainment_key(attainment), "–") if attainment is not None else "–",
                )
            )
            lines += _stakeholders(turn, feedback, text, baseline, result.get("rating"))
        lines.append(turn.text("review", "summary", "progress"))
        turn.say_text("\n".join(lines))
        # The picture: each goal's ratings over the engagement, drawn after the commit.
        goal_ids = [goal_id for goal_id, _, _ in data.goals]
        turn.replies.extend(progress_replies(turn.lookup.goal_progress(goal_ids), turn.content, feedback))

    def offer_new_engagement(self, event: EventData) -> None:
        engagement.ask_to_agree(self.turn, then="session")

    def say_goodbye(self, event: EventData) -> None:
        self.turn.say("review", "ended")
        self.turn.finish()

    def _result(self) -> dict[str, Any]:
        return self.data.results.setdefault(str(self.data.goal_id), {})

    # wording and choices

    def ask_field(self, state: str) -> str:
        if state == "rate" and self.data.index == 0 and self.data.kind in ("midpoint", "closing"):
            return self.data.kind
        return "ask"

    def pick_choices(self, state: str) -> list[Choice]:
        labels = self.turn.content.labels("review", "attainment")
        # Positions, as with every pick: the value behind a button is read as an index.
        return [Choice(labels[_attainment_key(value)], str(index)) for index, value in enumerate(ATTAINMENT)]

    def resolve_pick(self, index: int | None, text: str) -> object:
        # A typed "+1", "-2" or "0" is a point on the scale, not a button's position.
        typed = re.fullmatch(r"\s*([+-]?)\s*(\d)\s*", text)
        if typed is not None:
            value = int(typed.group(1) + typed.group(2))  # int() reads "+1", "-2" and "0" alike
            return str(value) if value in ATTAINMENT else Invalid("choice")
        if index is not None and 0 <= index < len(ATTAINMENT):
            return str(ATTAINMENT[index])
        return Invalid("choice")


def _stakeholders(
    turn: Turn, feedback: FeedbackSummary, goal: str, baseline: object, rating: object
) -> list[str]:
    """Stakeholders' change on the goal next to the leader's own (rounds below the
    anonymity minimum give nothing)."""
    own = (baseline, rating) if isinstance(baseline, int) and isinstance(rating, int) else None
    line = stakeholder_line(stakeholder_points(feedback, goal), turn.content, own=own)
    return [f"  {line}"] if line else []


def _attainment_key(value: int) -> str:
    return {-2: "much_less", -1: "less", 0: "as_expected", 1: "more", 2: "much_more"}[value]


FLOW = FlowSpec(FlowName.REVIEW, STEPS, TRANSITIONS, ReviewModel, ReviewData, first="rate")
