"""The GROW session: Goal, Reality, Options, Will, then commitment and the 8/10 rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from transitions import EventData

from flows import feedback_offers, goal_room, session_reminders
from flows.content import Content
from flows.events import Choice
from flows.parsing import Invalid, small_int
from flows.quoting import ideas, quote
from flows.records import (
    ActionAgreed,
    CheckinPlanned,
    CheckinsCancelled,
    EngagementSessionHeld,
    ExpectedOutcomeSet,
    GoalClosed,
    GoalOpened,
    GoalRevised,
    ScoreGiven,
    SessionClosed,
    SessionGoalSet,
)
from flows.schedule import format_local, plan_checkins
from flows.settings import MAX_ACTIVE_GOALS
from flows.state import FlowName, IdleData, SessionData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel, Turn, new_id, new_seed
from flows.vagueness import is_vague
from flows.views import RecapView

MIN_OPTIONS = 3
COMMITMENT_BAR = 8

STEPS = (
    Step("opening", Ask.choice("continue", "another"), on_exit="keep_opening_choice"),
    Step("goal", Ask.text(needs_content=True, challenge="goal"), on_exit="keep_goal"),
    # A leader who already holds the most goals: which one to close, or carry on with.
    Step("goal_full", Ask.pick(), on_exit="keep_room_pick"),
    Step("goal_full_how", Ask.choice(*goal_room.HOW, understands="goal_room"), on_exit="make_room"),
    Step("goal_concrete", Ask.text(needs_content=True), on_exit="sharpen_goal"),
    # Also the goal attainment scale's "as expected", in the leader's words: the closing
    # review asks where they got against it (-2 ... +2).
    Step("goal_measure", Ask.text(needs_content=True), on_exit="keep_expected_outcome"),
    Step("goal_by_when", Ask.text(needs_content=True)),
    Step("reality_now", Ask.text(needs_content=True), on_exit="keep_today"),
    Step("reality_tried", Ask.text()),
    Step("reality_cost", Ask.text()),
    Step("reality_baseline", Ask.score(0, 10), on_exit="keep_baseline"),
    Step("options_first", Ask.text(needs_content=True, ends_list="options_pick"), on_exit="add_option"),
    Step("options_more", Ask.text(ends_list="options_pick"), on_exit="add_option"),
    Step("options_bold", Ask.text(skippable=True, ends_list="options_pick"), on_exit="add_option"),
    Step("options_pick", Ask.pick(), on_exit="keep_chosen_option"),
    Step("will_action", Ask.text(challenge="action"), on_exit="keep_action"),
    Step("will_when", Ask.date()),
    Step("will_support", Ask.text()),
    Step("will_obstacle", Ask.text()),
    Step("will_if_then", Ask.text(challenge="plan"), on_exit="agree_action"),
    Step("will_commitment", Ask.score(1, 10), on_exit="keep_commitment"),
    Step("will_raise", Ask.text()),
    Step("will_low_next", Ask.choice("revisit_goal", "adjust_action", "keep"), on_exit="prepare_next_round"),
    Step("closed", on_enter="close_with_recap"),
)

# First-time managers ("guided") get every step; experienced leaders ("open") skip the
# ones marked is_guided, so a first session stays within twelve questions.
TRANSITIONS = (
    # trigger   source              dest               condition
    ("answer", "opening", "reality_now", "continues_goal"),
    ("answer", "opening", "goal"),
    ("answer", "goal", "goal_full", "holds_most_goals"),
    ("answer", "goal", "goal_concrete", "goal_is_vague"),
    ("answer", "goal", "goal_measure"),
    ("answer", "goal_full", "goal_full_how", "needs_room_how"),
    ("answer", "goal_full", "reality_now", "carries_on_held_goal"),
    ("answer", "goal_full", "goal_concrete", "new_goal_is_vague"),
    ("answer", "goal_full", "goal_measure"),
    ("answer", "goal_full_how", "reality_now", "carries_on_held_goal"),
    ("answer", "goal_full_how", "goal_concrete", "new_goal_is_vague"),
    ("answer", "goal_full_how", "goal_measure"),
    ("answer", "goal_concrete", "goal_measure"),
    ("answer", "goal_measure", "goal_by_when", "is_guided"),
    ("answer", "goal_measure", "options_first", "is_revisiting_goal"),
    ("answer", "goal_measure", "reality_now"),
    ("answer", "goal_by_when", "options_first", "is_revisiting_goal"),
    ("answer", "goal_by_when", "reality_now"),
    ("answer", "reality_now", "reality_tried", "is_guided"),
    ("answer", "reality_now", "reality_baseline"),
    ("answer", "reality_tried", "reality_cost"),
    ("answer", "reality_cost", "reality_baseline"),
    ("answer", "reality_baseline", "options_first"),
    ("answer", "options_first", "options_more", "needs_more_options"),
    ("answer", "options_first", "options_bold", "is_guided"),
    ("answer", "options_first", "options_pick"),
    ("answer", "options_more", "options_more", "needs_more_options"),
    ("answer", "options_more", "options_bold", "is_guided"),
    ("answer", "options_more", "options_pick"),
    ("answer", "options_bold", "options_pick"),
    ("answer", "options_pick", "will_action"),
    ("answer", "will_action", "will_when"),
    ("answer", "will_when", "will_support", "is_guided"),
    ("answer", "will_when", "will_if_then"),
    ("answer", "will_support", "will_obstacle"),
    ("answer", "will_obstacle", "will_if_then"),
    ("answer", "will_if_then", "will_commitment"),
    ("answer", "will_commitment", "will_raise", "commitment_is_low"),
    ("answer", "will_commitment", "closed"),
    ("answer", "will_raise", "will_low_next"),
    ("answer", "will_low_next", "goal", "wants_goal_revisited"),
    ("answer", "will_low_next", "will_action", "wants_action_adjusted"),
    ("answer", "will_low_next", "closed"),
)


@dataclass
class GrowData(SessionData):
    # The session's answers by step: the agreement and the summary shown on a revisit
    # read them again. The answers table is where they are stored.
    answers: dict[str, str] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    revisit: bool = False  # a second round on the goal itself
    adjusting: bool = False  # a second round on the action only
    continuing: bool = False  # a new session on the goal the last one worked on
    low_rounds: int = 0  # commitments under the bar so far: each gets its own reply
    # Within an engagement: its id (the session plans the engagement's reminders) and
    # this session's number in it (None for a session that follows a review).
    engagement_id: str | None = None
    number: int | None = None
    # A new goal while the leader already holds the most: the goals held, as
    # [goal_id, text] pairs, the one picked, and what to do with it if already said.
    held: list[list[str]] = field(default_factory=list)
    room_pick: int | None = None
    room_how: str | None = None
    # Reworking a goal the midpoint review sent back (flows/follow_ups.py).
    follow_up: bool = False


def start_data(
    goal_id: str | None = None, wording: dict[str, object] | None = None, **flags: bool
) -> GrowData:
    """A fresh session; `goal_id` and `wording` carry an existing goal when it is revisited."""
    return GrowData(session_id=new_id(), seed=new_seed(), goal_id=goal_id, vars=dict(wording or {}), **flags)


def begin(turn: Turn) -> tuple[str, GrowData]:
    """Where a new session starts: with where the leader stands, once they have a history."""
    data = start_data()
    recap = turn.lookup.last_recap()
    if recap is None:
        return "goal", data
    data.vars.update(recap=where_you_are(turn.content, recap, data.seed, turn.conv.profile.timezone))
    return "opening", data


def where_you_are(content: Content, recap: RecapView, seed: int, timezone: str | None) -> str:
    """The last goal, its action and if-then plan, what the check-in said, the rating trend."""

    def line(field: str, values: dict[str, object] | None = None) -> str:
        return content.text("grow", "where_you_are", field, seed=seed, values=values)

    lines = [line("goal", values={"goal": quote(recap.goal_text)})]
    if recap.action:
        due = recap.action_due.strftime("%a %d %b") if recap.action_due else ""
        lines.append(
            line("action" if due else "action_undated", values={"action": quote(recap.action), "due": due})
        )
    if recap.if_then:
        lines.append(line("if_then", values={"if_then": quote(recap.if_then)}))
    lines.append(line(f"checkin_{recap.checkin_outcome or 'none'}"))
    if len(recap.ratings) > 1:
        first = recap.ratings[0].at.astimezone(ZoneInfo(timezone or "UTC"))
        trend = " → ".join(str(rating.value) for rating in recap.ratings[-4:])
        since = f"{first.day} {first:%b}"
        lines.append(
            content.text("grow", "where_you_are", "trend", seed=seed, values={"trend": trend, "since": since})
        )
    elif recap.ratings:
        lines.append(line("rating", values={"rating": recap.ratings[0].value}))
    return "\n".join(f"• {text}" for text in lines)


class GrowModel(FlowModel[GrowData]):
    # guards

    def goal_is_vague(self, event: EventData) -> bool:
        return is_vague(str(event.kwargs["value"]), self.turn.content)

    def holds_most_goals(self, event: EventData) -> bool:
        # A goal already named in this session is being reworded, not added.
        if self.data.goal_id:
            return False
        return len(self.turn.lookup.open_goals()) >= MAX_ACTIVE_GOALS

    def needs_room_how(self, event: EventData) -> bool:
        return self.state == "goal_full" and self.data.room_how is None

    def carries_on_held_goal(self, event: EventData) -> bool:
        return self._room_how(event) == "continue"

    def new_goal_is_vague(self, event: EventData) -> bool:
        return is_vague(str(self.data.vars.get("new_goal", "")), self.turn.content)

    def is_revisiting_goal(self, event: EventData) -> bool:
        return self.data.revisit

    def is_guided(self, event: EventData) -> bool:
        return self.turn.style == "guided"

    def continues_goal(self, event: EventData) -> bool:
        return event.kwargs["value"] == "continue"

    def needs_more_options(self, event: EventData) -> bool:
        # Guards run before on_exit callbacks, so the answer being given is not yet counted.
        return len(self.data.options) + len(ideas(str(event.kwargs["value"]))) < MIN_OPTIONS

    def commitment_is_low(self, event: EventData) -> bool:
        return int(event.kwargs["value"]) < COMMITMENT_BAR

    def wants_goal_revisited(self, event: EventData) -> bool:
        return event.kwargs["value"] == "revisit_goal"

    def wants_action_adjusted(self, event: EventData) -> bool:
        return event.kwargs["value"] == "adjust_action"

    # callbacks

    def keep_opening_choice(self, event: EventData) -> None:
        recap = self.turn.lookup.last_recap()
        if event.kwargs["value"] != "continue" or recap is None:
            return
        self.data.goal_id = recap.goal_id
        self.data.continuing = True
        self.turn.record(SessionGoalSet(self.data.session_id, recap.goal_id))
        self.turn.set_var("goal", recap.goal_text)

    def keep_today(self, event: EventData) -> None:
        today = str(event.kwargs["value"])
        # "not sure yet" stands in for an example never given: not one to quote back.
        self.turn.set_var("today", "" if today == self.turn.text("nudges", "not_sure") else today)

    def keep_goal(self, event: EventData) -> None:
        text = str(event.kwargs["value"])
        if event.transition.dest == "goal_full":
            # Kept, not lost: the goal is opened once a place is free.
            held = self.turn.lookup.open_goals()[:MAX_ACTIVE_GOALS]
            self.data.held = [[goal.goal_id, goal.text] for goal in held]
            self.turn.set_var("new_goal", quote(text, 120))
            self.turn.set_var("held", goal_room.listing(self.data.held))
            self.turn.set_var("most", len(self.data.held))
            self.data.answers["new_goal"] = text
            return
        self._save_goal(text)

    def keep_room_pick(self, event: EventData) -> None:
        self.data.room_pick = int(str(event.kwargs["value"]))
        if self.data.room_how is not None:
            self._make_room(self.data.room_how)

    def make_room(self, event: EventData) -> None:
        self._make_room(str(event.kwargs["value"]))

    def _make_room(self, how: str) -> None:
        goal_id, text = self.data.held[int(self.data.room_pick or 0)]
        new_goal = self.data.answers.get("new_goal", "")
        if how == "continue":
            self.data.goal_id = goal_id
            self.data.continuing = True
            self.data.answers["goal"] = text  # the session's goal now, for a later revisit
            self.turn.record(SessionGoalSet(self.data.session_id, goal_id))
            self.turn.set_var("goal", text)
            self.turn.say(
                "grow", "room_made", "continue", held_goal=quote(text, 80), new_goal=quote(new_goal, 80)
            )
            return
        self.turn.record(GoalClosed(goal_id, how))
        self.turn.record(CheckinsCancelled(goal_id))
        self.turn.say("grow", "room_made", how, held_goal=quote(text, 80), new_goal=quote(new_goal, 80))
        self._save_goal(new_goal)

    def _room_how(self, event: EventData) -> str | None:
        return self.data.room_how if self.state == "goal_full" else str(event.kwargs["value"])

    def sharpen_goal(self, event: EventData) -> None:
        self._save_goal(f"{self.data.vars['goal']} — {event.kwargs['value']}")

    def _save_goal(self, text: str) -> None:
        if self.data.goal_id:
            self.turn.record(GoalRevised(self.data.goal_id, text))
        else:
            self.data.goal_id = new_id()
            self.turn.record(GoalOpened(self.data.goal_id, text))
            self.turn.record(SessionGoalSet(self.data.session_id, self.data.goal_id))
        self.turn.set_var("goal", text)

    def keep_expected_outcome(self, event: EventData) -> None:
        text = str(event.kwargs["value"]).strip()
        # "not sure yet" is no picture of success: the goal keeps none rather than that.
        if text and text != self.turn.text("nudges", "not_sure") and self.data.goal_id:
            self.turn.record(ExpectedOutcomeSet(self.data.goal_id, text))

    def keep_baseline(self, event: EventData) -> None:
        value = int(event.kwargs["value"])
        if self.data.continuing:
            # A goal carried on keeps its first baseline; this rating shows the change.
            self.turn.record(ScoreGiven(self._goal_id, self.data.session_id, "checkin", value))
            goal = self.turn.lookup.goal(self._goal_id)
            self.turn.set_var("baseline", goal.baseline if goal and goal.baseline is not None else value)
            return
        self.turn.set_var("baseline", value)
        self.turn.record(ScoreGiven(self._goal_id, self.data.session_id, "baseline", value))

    def add_option(self, event: EventData) -> None:
        self.data.options.extend(ideas(str(event.kwargs["value"])))

    def keep_chosen_option(self, event: EventData) -> None:
        self.turn.set_var("option", str(event.kwargs["value"]))

    def keep_action(self, event: EventData) -> None:
        # Quoted by the questions after it (the if-then plan asks about "{action}").
        self.turn.set_var("action", str(event.kwargs["value"]))

    def agree_action(self, event: EventData) -> None:
        answers = self.data.answers
        self.turn.record(
            ActionAgreed(
                goal_id=self._goal_id,
                session_id=self.data.session_id,
                action=answers.get("will_action", ""),
                due=date.fromisoformat(self.data.vars["due"]),
                support=answers.get("will_support", ""),
                obstacle=answers.get("will_obstacle", ""),
                if_then=answers.get("will_if_then", ""),
            )
        )

    def keep_commitment(self, event: EventData) -> None:
        value = int(event.kwargs["value"])
        if value < COMMITMENT_BAR:
            self.data.low_rounds += 1
        self.turn.set_var("commitment", value)
        self.turn.record(ScoreGiven(self._goal_id, self.data.session_id, "commitment", value))

    def prepare_next_round(self, event: EventData) -> None:
        choice = event.kwargs["value"]
        self.data.revisit = choice == "revisit_goal"
        self.data.adjusting = choice == "adjust_action"
        if choice == "revisit_goal":
            self.data.options = []
        if choice != "keep":
            # A low score stays stored; the leader sees what they said before.
            answers = self.data.answers
            self.turn.set_var("previous_action", answers.get("will_action", ""))
            self.turn.set_var("earlier", summarise(self.turn.content, answers))

    def close_with_recap(self, event: EventData) -> None:
        turn = self.turn
        commitment = int(self.data.vars["commitment"])
        committed = commitment >= COMMITMENT_BAR
        turn.record(SessionClosed(self.data.session_id, "committed" if committed else "low_commitment"))
        if "baseline" not in self.data.vars:
            # A round started from /rescore or a check-in skipped Reality: show the
            # baseline the leader gave when the goal was first set.
            goal = turn.lookup.goal(self._goal_id)
            turn.set_var("baseline", goal.baseline if goal and goal.baseline is not None else "–")
        next_checkin = ""
        if self.data.engagement_id:
            # The engagement's rhythm: this session replaces the reminders planned before.
            session_reminders.drop_reminders(turn)
            if self.data.number:
                turn.record(EngagementSessionHeld(self.data.engagement_id, self.data.number))
        if committed:
            plan = plan_checkins(
                turn.event.now,
                date.fromisoformat(self.data.vars["due"]),
                turn.conv.profile.timezone or "UTC",
                turn.settings,
            )
            for kind, due_at in plan:
                turn.record(CheckinPlanned(self._goal_id, self.data.session_id, kind, due_at))
            next_checkin = format_local(plan[0][1], turn.conv.profile.timezone)
        if self.data.engagement_id:
            session_reminders.reminders(turn, self._goal_id, self.data.session_id, committed=committed)
        recap = turn.text("grow", "closed", "recap" if committed else "recap_low", next_checkin=next_checkin)
        turn.say_text(recap)
        if self.data.follow_up:
            from flows import follow_ups  # it starts GROW sessions: imported here against a cycle

            follow_ups.done_with_current(turn)
            if turn.follow_ups:
                left = len(turn.follow_ups)
                turn.say(
                    "review", "follow_up_next", item=follow_ups.item_text(turn, turn.follow_ups[0]), left=left
                )
                follow_ups.start_next(turn, self.data.engagement_id)
                return
        if self.data.engagement_id:
            # A session after the midpoint review that reworked a goal has no number of
            # its own: it completes the review's.
            held = self.data.number or getattr(turn.lookup.engagement(), "held", 0)
            feedback_offers.offer_after_session(turn, held)
        # Kept with the idle position: if the process dies before the recap is sent,
        # /start shows it again.
        turn.finish(IdleData(last_recap=recap))

    @property
    def _goal_id(self) -> str:
        # Set by the goal step, or carried in by /rescore and check-ins, before any score.
        return str(self.data.goal_id)

    def keep_answer(self, state: str, shown: str) -> None:
        self.data.answers[state] = shown

    # wording

    def ask_field(self, state: str) -> str:
        if state == "goal" and self.data.revisit:
            return "revisit"
        if state == "will_action" and self.data.adjusting:
            return "adjust"
        if state == "options_more" and len(self.data.options) >= MIN_OPTIONS - 1:
            return "last"
        if state == "options_first" and self.data.vars.get("today"):
            return "recall"
        if state in ("reality_now", "reality_baseline") and self.data.continuing:
            return "again"
        return "ask"

    def variation(self, state: str) -> int:
        # The reply to a low score never reads the same twice in one session.
        return max(self.data.low_rounds - 1, 0) if state == "will_raise" else 0

    def pick_choices(self, state: str) -> list[Choice]:
        if state == "goal_full":
            return [Choice(quote(text, 40), str(index)) for index, (_, text) in enumerate(self.data.held)]
        return [Choice(quote(option, 60), str(index)) for index, option in enumerate(self._pickable())]

    def resolve_pick(self, index: int | None, text: str) -> object:
        if self.turn.conv.state == "goal_full":
            return self._resolve_room(index, text)
        options = self._pickable()
        if index is not None and 0 <= index < len(options):
            return options[index]
        if small_int(text) is not None:
            # A number that matches no option is a slip, not a new idea.
            return Invalid("choice")
        # A leader may answer with an option they only now thought of: it counts.
        self.data.options.append(text)
        return text

    def _resolve_room(self, index: int | None, text: str) -> object:
        """A held goal by its button, or in words: "drop the second one" also says how."""
        self.data.room_how = goal_room.how_in_words(text) if text else None
        if index is None:
            index = goal_room.which_in_words(text, self.data.held)
        if index is None or not 0 <= index < len(self.data.held):
            self.data.room_how = None
            return Invalid("choice")
        return str(index)

    def _pickable(self) -> list[str]:
        options = list(self.data.options)
        if self.turn.style == "guided":
            options += self.turn.content.items("grow", "options_pick", "examples", "guided")
        return options


def summarise(content: Content, answers: dict[str, str]) -> str:
    """The leader's earlier answers, shown when they revisit a goal."""
    labels = content.labels("grow", "summary")
    return "\n".join(
        f"• {label}: {quote(answers[step], 120)}" for step, label in labels.items() if answers.get(step)
    )


FLOW = FlowSpec(FlowName.GROW, STEPS, TRANSITIONS, GrowModel, GrowData, first="goal")
