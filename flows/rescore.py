"""/rescore: re-rate commitment to a goal that scored below 8, and act on the new score."""

from __future__ import annotations

from datetime import date

from transitions import EventData

from flows import grow
from flows.events import Choice
from flows.parsing import Invalid, local_today
from flows.records import (
    ActionAgreed,
    CheckinPlanned,
    CheckinsCancelled,
    ScoreGiven,
    SessionClosed,
)
from flows.schedule import format_local, plan_checkins
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel, new_id, new_seed

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


class RescoreModel(FlowModel):
    def clears_the_bar(self, event: EventData) -> bool:
        return int(event.kwargs["value"]) >= grow.COMMITMENT_BAR

    def wants_goal_revisited(self, event: EventData) -> bool:
        return event.kwargs["value"] == "revisit_goal"

    def wants_action_adjusted(self, event: EventData) -> bool:
        return event.kwargs["value"] == "adjust_action"

    def keep_goal_choice(self, event: EventData) -> None:
        goal = self.data["candidates"][int(event.kwargs["value"])]
        self.data["goal_id"] = goal["goal_id"]
        self.data["vars"].update(goal=goal["text"], action=goal["action"] or "", due=goal["due"] or "")

    def keep_score(self, event: EventData) -> None:
        value = int(event.kwargs["value"])
        self.turn.set_var("commitment", value)
        self.turn.record(ScoreGiven(self.data["goal_id"], self.data["session_id"], "commitment", value))

    def confirm_and_schedule(self, event: EventData) -> None:
        turn = self.turn
        turn.record(SessionClosed(self.data["session_id"], "committed"))
        due = self.data["vars"].get("due")
        if due:
            zone = turn.conv.profile.timezone or "UTC"
            goal_id, session_id = self.data["goal_id"], self.data["session_id"]
            # A date already past becomes the leader's today (theirs, not UTC's).
            action_due = max(date.fromisoformat(due), local_today(turn.event.now, zone))
            # The action is taken on again here: this session carries it, so the check-ins
            # planned on it name it, and the goal's latest date is the one now agreed.
            turn.record(ActionAgreed(goal_id, session_id, self.data["vars"].get("action", ""), action_due))
            # A fresh commitment replaces whatever was planned for this goal before.
            turn.record(CheckinsCancelled(goal_id))
            plan = plan_checkins(turn.event.now, action_due, zone, turn.settings)
            for kind, at in plan:
                turn.record(CheckinPlanned(goal_id, session_id, kind, at))
            turn.say("rescore", "confirmed", next_checkin=format_local(plan[0][1], zone))
        else:
            turn.say("rescore", "confirmed_no_action")
        turn.hand_over("idle", "idle")

    def revisit_goal(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data["session_id"], "low_commitment"))
        self.turn.hand_over("grow", "goal", self._grow_data(revisit=True))

    def adjust_action(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data["session_id"], "low_commitment"))
        self.turn.hand_over("grow", "will_action", self._grow_data(adjusting=True))

    def _grow_data(self, **flags: bool) -> dict[str, object]:
        goal = self.turn.lookup.goal(self.data["goal_id"])
        answers = dict(goal.answers) if goal else {}
        data = grow.start_data(
            new_id(),
            new_seed(),
            {
                "goal_id": self.data["goal_id"],
                "vars": {
                    "goal": self.data["vars"]["goal"],
                    "previous_action": self.data["vars"].get("action", ""),
                    "earlier": grow.summarise(self.turn.content, answers),
                },
                **flags,
            },
        )
        return data

    def keep_as_is(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data["session_id"], "low_commitment"))
        self.turn.say("rescore", "kept")
        self.turn.hand_over("idle", "idle")

    def resolve_pick(self, index: int | None, text: str) -> object:
        if index is None or not 0 <= index < len(self.data["candidates"]):
            return Invalid("choice")
        return str(index)

    def pick_choices(self, state: str) -> list[Choice]:
        return [
            Choice(candidate["label"], str(index)) for index, candidate in enumerate(self.data["candidates"])
        ]


FLOW = FlowSpec("rescore", STEPS, TRANSITIONS, RescoreModel, first="pick")
