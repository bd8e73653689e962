"""/goals: the leader's active goals, and closing one as achieved or dropped.

Closing a goal cancels the check-ins still planned for it; its history stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transitions import EventData

from flows import goal_room
from flows.events import Choice
from flows.parsing import Invalid
from flows.quoting import quote
from flows.records import CheckinsCancelled, GoalClosed
from flows.short_answers import choice_in_words, ordinal_in
from flows.state import FlowData, FlowName
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel
from flows.views import GoalView

STEPS = (
    Step("pick", Ask.pick(), on_exit="keep_pick"),
    Step("how", Ask.choice("achieved", "dropped", "keep")),
    Step("closed", on_enter="close_goal"),
    Step("left", on_enter="leave_as_they_are"),
)

TRANSITIONS = (
    # trigger   source   dest       condition
    ("answer", "pick", "left", "leaves_them"),
    ("answer", "pick", "how"),
    ("answer", "how", "left", "keeps_goal"),
    ("answer", "how", "closed"),
)


@dataclass
class GoalsData(FlowData):
    seed: int | None = None
    # The goals listed when /goals was sent, as [goal_id, text] pairs.
    goals: list[list[str]] = field(default_factory=list)
    chosen: int | None = None

    def wording(self) -> dict[str, object]:
        if self.chosen is None or not 0 <= self.chosen < len(self.goals):
            return {}
        return {"goal": self.goals[self.chosen][1]}


def start_data(goals: list[GoalView], seed: int) -> GoalsData:
    return GoalsData(seed=seed, goals=[[g.goal_id, g.text] for g in goals])


def listing(goals: list[GoalView]) -> str:
    lines = []
    for number, goal in enumerate(goals, start=1):
        line = f"{number}. {quote(goal.text, 80)}"
        if goal.action:
            line += f"\n   → {quote(goal.action, 70)}"
            if goal.action_due:
                line += f" ({goal.action_due:%d %b})"
        lines.append(line)
    return "\n".join(lines)


class GoalsModel(FlowModel[GoalsData]):
    def leaves_them(self, event: EventData) -> bool:
        return int(str(event.kwargs["value"])) >= len(self.data.goals)

    def keeps_goal(self, event: EventData) -> bool:
        return event.kwargs["value"] == "keep"

    def keep_pick(self, event: EventData) -> None:
        self.data.chosen = int(str(event.kwargs["value"]))

    def close_goal(self, event: EventData) -> None:
        reason = str(event.kwargs["value"])
        goal_id = self.data.goals[int(self.data.chosen or 0)][0]
        self.turn.record(GoalClosed(goal_id, reason))
        self.turn.record(CheckinsCancelled(goal_id))
        self.turn.say("goals", "closed", reason)
        self.turn.finish()

    def leave_as_they_are(self, event: EventData) -> None:
        self.turn.say("goals", "left")
        self.turn.finish()

    def pick_choices(self, state: str) -> list[Choice]:
        labels = [quote(text, 40) for _, text in self.data.goals]
        labels.append(self.turn.text("goals", "pick", "none"))
        return [Choice(label, str(index)) for index, label in enumerate(labels)]

    def resolve_pick(self, index: int | None, text: str) -> object:
        if index is None and text:
            # "I achieved the first one", "the delegation one", "leave them all": the goal
            # named as when a new goal needs room, or none (an order named comes first).
            count = len(self.data.goals)
            if choice_in_words("goals.pick", text, ("leave",)) and ordinal_in(text, count) is None:
                index = count
            else:
                index = goal_room.which_in_words(text, self.data.goals)
        if index is None or not 0 <= index <= len(self.data.goals):
            return Invalid("choice")
        return str(index)


FLOW = FlowSpec(FlowName.GOALS, STEPS, TRANSITIONS, GoalsModel, GoalsData, first="pick")
