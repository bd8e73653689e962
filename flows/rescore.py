"""/rescore: re-rate commitment to a goal that scored below 8, and act on the new score."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Self
from zoneinfo import ZoneInfo

from transitions import EventData

from flows import grow
from flows.content import Content
from flows.events import Choice
from flows.parsing import Invalid, local_today, short
from flows.records import (
    ActionAgreed,
    CheckinPlanned,
    CheckinsCancelled,
    ScoreGiven,
    SessionClosed,
)
from flows.schedule import format_local, plan_checkins
from flows.state import FlowName, SessionData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel, new_id, new_seed
from flows.views import GoalView

# Candidates offered at most: a longer list is more scrolling than choosing.
MAX_CANDIDATES = 10

STEPS = (
    Step("pick", Ask.pick(), on_exit="keep_goal_choice"),
    Step("score", Ask.score(1, 10), on_exit="keep_score"),
    Step("confirmed", on_enter="confirm_and_schedule"),
    Step("raise", Ask.text()),
    Step("low_next", Ask.choice("revisit_goal", "adjust_action", "keep")),
    Step("revisit", on_enter="revisit_goal"),
    Step("adjust", on_enter="adjust_action"),
    Step("kept", on_enter="keep_as_is"),
)

TRANSITIONS = (
    # trigger   source      dest          condition
    ("answer", "pick", "score"),
    ("answer", "score", "confirmed", "clears_the_bar"),
    ("answer", "score", "raise"),
    ("answer", "raise", "low_next"),
    ("answer", "low_next", "revisit", "wants_goal_revisited"),
    ("answer", "low_next", "adjust", "wants_action_adjusted"),
    ("answer", "low_next", "kept"),
)


@dataclass
class Candidate:
    """A goal offered for re-rating, as it stood when /rescore was sent."""

    goal_id: str
    text: str
    action: str | None
    due: str | None  # ISO date of the latest action
    label: str


@dataclass
class RescoreData(SessionData):
    candidates: list[Candidate] = field(default_factory=list)

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> Self:
        data = super().from_dict(saved)
        data.candidates = [
            c if isinstance(c, Candidate) else Candidate(**c)
            for c in data.candidates  # type: ignore[arg-type]
        ]
        return data


def start_data(goals: list[GoalView], content: Content, timezone: str | None) -> RescoreData:
    """A re-rating session offering the given goals, most recent first."""
    zone = ZoneInfo(timezone or "UTC")
    candidates = [
        Candidate(
            goal_id=g.goal_id,
            text=g.text,
            action=g.action,
            due=g.action_due.isoformat() if g.action_due else None,
            label=content.text(
                "rescore",
                "pick",
                "label",
                values={
                    "goal": short(g.text, 40),
                    "score": g.commitment if g.commitment is not None else "–",
                    "date": (g.commitment_at or g.created_at).astimezone(zone).strftime("%d %b"),
                },
            ),
        )
        for g in goals[:MAX_CANDIDATES]
    ]
    return RescoreData(session_id=new_id(), seed=new_seed(), candidates=candidates)


class RescoreModel(FlowModel[RescoreData]):
    def clears_the_bar(self, event: EventData) -> bool:
        return int(event.kwargs["value"]) >= grow.COMMITMENT_BAR

    def wants_goal_revisited(self, event: EventData) -> bool:
        return event.kwargs["value"] == "revisit_goal"

    def wants_action_adjusted(self, event: EventData) -> bool:
        return event.kwargs["value"] == "adjust_action"

    def keep_goal_choice(self, event: EventData) -> None:
        goal = self.data.candidates[int(event.kwargs["value"])]
        self.data.goal_id = goal.goal_id
        self.data.vars.update(goal=goal.text, action=goal.action or "", due=goal.due or "")

    def keep_score(self, event: EventData) -> None:
        value = int(event.kwargs["value"])
        self.turn.set_var("commitment", value)
        self.turn.record(ScoreGiven(self._goal_id, self.data.session_id, "commitment", value))

    def confirm_and_schedule(self, event: EventData) -> None:
        turn = self.turn
        turn.record(SessionClosed(self.data.session_id, "committed"))
        due = self.data.vars.get("due")
        if due:
            zone = turn.conv.profile.timezone or "UTC"
            goal_id, session_id = self._goal_id, self.data.session_id
            # A date already past becomes the leader's today (theirs, not UTC's).
            action_due = max(date.fromisoformat(due), local_today(turn.event.now, zone))
            # The action is taken on again here: this session carries it, so the check-ins
            # planned on it name it, and the goal's latest date is the one now agreed.
            turn.record(ActionAgreed(goal_id, session_id, self.data.vars.get("action", ""), action_due))
            # A fresh commitment replaces whatever was planned for this goal before.
            turn.record(CheckinsCancelled(goal_id))
            plan = plan_checkins(turn.event.now, action_due, zone, turn.settings)
            for kind, at in plan:
                turn.record(CheckinPlanned(goal_id, session_id, kind, at))
            turn.say("rescore", "confirmed", next_checkin=format_local(plan[0][1], zone))
        else:
            turn.say("rescore", "confirmed_no_action")
        turn.finish()

    def revisit_goal(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data.session_id, "low_commitment"))
        self.turn.hand_over(FlowName.GROW, "goal", self._grow_data(revisit=True))

    def adjust_action(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data.session_id, "low_commitment"))
        self.turn.hand_over(FlowName.GROW, "will_action", self._grow_data(adjusting=True))

    def _grow_data(self, **flags: bool) -> grow.GrowData:
        goal = self.turn.lookup.goal(self._goal_id)
        answers = dict(goal.answers) if goal else {}
        wording = {
            "goal": self.data.vars["goal"],
            "previous_action": self.data.vars.get("action", ""),
            "earlier": grow.summarise(self.turn.content, answers),
        }
        return grow.start_data(self._goal_id, wording, **flags)

    def keep_as_is(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data.session_id, "low_commitment"))
        self.turn.say("rescore", "kept")
        self.turn.finish()

    @property
    def _goal_id(self) -> str:
        return str(self.data.goal_id)

    def resolve_pick(self, index: int | None, text: str) -> object:
        if index is None or not 0 <= index < len(self.data.candidates):
            return Invalid("choice")
        return str(index)

    def pick_choices(self, state: str) -> list[Choice]:
        return [Choice(candidate.label, str(index)) for index, candidate in enumerate(self.data.candidates)]


FLOW = FlowSpec(FlowName.RESCORE, STEPS, TRANSITIONS, RescoreModel, RescoreData, first="pick")
