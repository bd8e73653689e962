"""The accountability check-in between sessions: did the action happen, what was learned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from transitions import EventData

from flows import engagement, grow
from flows.records import (
    ActionAgreed,
    CheckinPlanned,
    CheckinResolved,
    CheckinsCancelled,
    CheckinSnoozed,
    ScoreGiven,
    SessionClosed,
)
from flows.schedule import after, format_local, out_of_quiet_hours, plan_checkins
from flows.state import FlowName, SessionData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel, new_id, new_seed
from flows.views import CheckinStatus, CheckinView

# Timer events (`Event.timer(name, checkin_id)`): a due check-in; one already in the
# conversation whose send was never confirmed; one replacing a check-in left unanswered.
DUE = "checkin"
RESEND = "checkin_resend"
TAKE_OVER = "checkin_take_over"

# The nudges about one action; "next_session" is about the next session instead.
ACTION_NUDGES = ("first", "midway", "action_due")

# More than any leader has pending: a few per goal.
MAX_PENDING_LOOKED_AT = 100

STEPS = (
    Step(
        "did",
        Ask.choice("done", "partly", "not_yet", "snooze", yes="done", no="not_yet"),
        on_exit="keep_outcome",
    ),
    Step("snoozed", on_enter="snooze_a_day"),
    Step("reflect", Ask.text()),
    Step("rating", Ask.score(0, 10), on_exit="keep_rating"),
    Step("next", Ask.choice("keep", "new_action", "new_session")),
    Step("new_date", Ask.date()),
    Step("rescheduled", on_enter="reschedule_action"),
    Step("new_action", on_enter="choose_new_action"),
    Step("new_session", on_enter="start_new_session"),
    Step("offer", Ask.choice("start", "later", yes="start", no="later")),
    Step("later", on_enter="leave_for_later"),
)

TRANSITIONS = (
    # trigger   source      dest            condition
    ("answer", "did", "snoozed", "wants_snooze"),
    ("answer", "did", "reflect"),
    ("answer", "reflect", "rating"),
    ("answer", "rating", "next"),
    ("answer", "next", "new_date", "keeps_action"),
    ("answer", "next", "new_action", "wants_new_action"),
    ("answer", "next", "new_session"),
    ("answer", "new_date", "rescheduled"),
    ("answer", "offer", "new_session", "wants_to_start"),
    ("answer", "offer", "later"),
)


@dataclass
class CheckinData(SessionData):
    checkin_id: int = 0
    kind: str = ""  # first | midway | ... | next_session: which nudge this is
    outcome: str | None = None  # done | partly | not_yet | snooze, once answered


def start_data(view: CheckinView) -> CheckinData:
    """A check-in session on a due check-in."""
    data = CheckinData(
        session_id=new_id(),
        seed=new_seed(),
        checkin_id=view.checkin_id,
        goal_id=view.goal_id,
        kind=view.kind,
        vars={"goal": view.goal_text, "action": view.action or ""},
    )
    # The leader's own plan, recalled when asking; the baseline, to comment on change.
    data.vars.update(if_then=view.if_then or "", baseline=view.baseline if view.baseline is not None else "")
    return data


def first_state(view: CheckinView) -> str:
    """A reminder of the next session offers one; the other nudges ask about the action."""
    return "offer" if view.kind == "next_session" else "did"


class CheckinModel(FlowModel[CheckinData]):
    def wants_snooze(self, event: EventData) -> bool:
        return event.kwargs["value"] == "snooze"

    def keeps_action(self, event: EventData) -> bool:
        return event.kwargs["value"] == "keep"

    def wants_new_action(self, event: EventData) -> bool:
        return event.kwargs["value"] == "new_action"

    def wants_to_start(self, event: EventData) -> bool:
        return event.kwargs["value"] == "start"

    def keep_outcome(self, event: EventData) -> None:
        outcome = str(event.kwargs["value"])
        self.data.outcome = outcome
        if outcome != "snooze":
            self.turn.record(CheckinResolved(self.data.checkin_id, outcome))
        if outcome == "done":
            # Nudges about an action already done would ask a finished question; the
            # next-session reminder keeps the rhythm of sessions.
            self.turn.record(CheckinsCancelled(self._goal_id, ACTION_NUDGES))

    def snooze_a_day(self, event: EventData) -> None:
        turn = self.turn
        zone = turn.conv.profile.timezone or "UTC"
        # A day on the leader's clock, then out of their quiet hours.
        tomorrow = after(turn.event.now, turn.settings.snooze, zone)
        due = out_of_quiet_hours(tomorrow, zone, turn.settings.quiet_hours)
        turn.record(CheckinSnoozed(self.data.checkin_id, due))
        turn.record(SessionClosed(self.data.session_id, "snoozed"))
        turn.say("checkin", "snoozed", when=format_local(due, zone))
        turn.finish()

    def keep_rating(self, event: EventData) -> None:
        value = int(event.kwargs["value"])
        self.turn.record(ScoreGiven(self._goal_id, self.data.session_id, "checkin", value))
        baseline = self.data.vars.get("baseline")
        if isinstance(baseline, int):
            change = "up" if value > baseline else "down" if value < baseline else "same"
            self.turn.say("checkin", "change", change, rating=value, baseline=baseline)

    def reschedule_action(self, event: EventData) -> None:
        turn = self.turn
        zone = turn.conv.profile.timezone or "UTC"
        due = date.fromisoformat(self.data.vars["due"])
        goal_id, session_id = self._goal_id, self.data.session_id
        # The same action with its new date, on this session: the goal's latest action
        # (what /rescore and later check-ins read) now carries the date just agreed.
        turn.record(ActionAgreed(goal_id, session_id, self.data.vars.get("action", ""), due))
        self._drop_old_action_checkins()
        plan = [
            item
            for item in plan_checkins(turn.event.now, due, zone, turn.settings)
            if item[0] != "next_session"
        ]
        for kind, at in plan:
            turn.record(CheckinPlanned(goal_id, session_id, kind, at))
        turn.record(SessionClosed(session_id, self._closing_reason))
        turn.say("checkin", "rescheduled", when=format_local(plan[0][1], zone))
        turn.finish()

    def _drop_old_action_checkins(self) -> None:
        """Nudges about the old date or the old action would now ask the wrong question.

        The next-session reminder keeps its time: the rhythm of sessions does not move
        because one action did. It is planned again on this session, as cancelling is per
        goal.
        """
        goal_id = self._goal_id
        reminders = [
            view
            for view in self.turn.lookup.pending_checkins(MAX_PENDING_LOOKED_AT)
            if view.goal_id == goal_id
            and view.kind == "next_session"
            and view.status == CheckinStatus.PENDING
        ]
        self.turn.record(CheckinsCancelled(goal_id))
        for view in reminders[:1]:
            self.turn.record(CheckinPlanned(goal_id, self.data.session_id, "next_session", view.due_at))

    def choose_new_action(self, event: EventData) -> None:
        self._drop_old_action_checkins()
        self.turn.record(SessionClosed(self.data.session_id, self._closing_reason))
        data = grow.start_data(self._goal_id, {"goal": self.data.vars["goal"]})
        self.turn.say("checkin", "new_action")
        self.turn.hand_over(FlowName.GROW, "options_first", data)

    def start_new_session(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data.session_id, self._closing_reason))
        self.turn.say("checkin", "new_session")
        engagement.begin_session(self.turn, intro=False)

    def leave_for_later(self, event: EventData) -> None:
        self.turn.record(SessionClosed(self.data.session_id, "later"))
        self.turn.say("checkin", "later")
        self.turn.finish()

    @property
    def _goal_id(self) -> str:
        return str(self.data.goal_id)

    @property
    def _closing_reason(self) -> str:
        return self.data.outcome or "answered"

    def ask_field(self, state: str) -> str:
        if state == "reflect":
            return {"done": "ask_done", "partly": "ask_partly"}.get(self.data.outcome or "", "ask_not_yet")
        if state == "did" and self.data.kind == "midway":
            return "midway"
        if state == "did" and self.data.vars.get("if_then"):
            return "recall_plan"
        return "ask"


FLOW = FlowSpec(FlowName.CHECKIN, STEPS, TRANSITIONS, CheckinModel, CheckinData, first="did")
