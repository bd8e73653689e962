"""The coaching engine: one event for one leader in, replies and records out.

It knows nothing of Telegram or SQL. The caller loads the leader's `Conversation`,
calls `handle`, stores the records and the changed conversation in one transaction,
and only then sends the replies.
"""

from __future__ import annotations

from datetime import date

from flows import answers, checkin, commands, engagement, follow_ups, language_notice
from flows.content import Content, load_content
from flows.conversation import Conversation
from flows.events import Event, Outcome
from flows.moves import ask as ask_now
from flows.moves import carry_on, close_session, expired, fire, idle, idle_menu, nudge, reask, refuse
from flows.parsing import Invalid, clean_text
from flows.records import AnswerGiven, CheckinLapsed, SafetyFlagged
from flows.registry import FLOWS, is_known_position, load_data
from flows.safety import Screen, load_screen
from flows.settings import CoachSettings
from flows.state import FlowName, SessionData
from flows.turn import Turn
from flows.views import EmptyLookup, Lookup


class CoachEngine:
    def __init__(
        self,
        settings: CoachSettings | None = None,
        content: Content | None = None,
        screen: Screen | None = None,
    ) -> None:
        self.settings = settings or CoachSettings()
        self.content = content or load_content(self.settings.language)
        self.screen = screen or load_screen(language=self.settings.language)

    def handle(self, conv: Conversation, event: Event, lookup: Lookup | None = None) -> Outcome:
        # Issue 11: the once-per-leader note on the coaching language (flows/language_notice.py).
        # Its flag sits beside the flow's typed data, which drops keys it does not know.
        given = language_notice.remembered(conv)
        data = load_data(conv.flow, conv.data)
        turn = Turn(conv, event, lookup or EmptyLookup(), self.content, self.settings, data)
        turn.follow_ups = follow_ups.remembered(conv)
        outcome = self._route(turn)
        conv.data = turn.data.to_dict()
        follow_ups.after_turn(conv, turn, outcome)
        language_notice.after_turn(conv, event, outcome, given, self.content, self.settings)
        return outcome

    def _route(self, turn: Turn) -> Outcome:
        conv, event = turn.conv, turn.event
        if not is_known_position(conv):
            # Saved by another version of the flows: start again rather than leave the
            # leader stuck (and their check-ins waiting forever).
            _restart(turn)
        if event.kind == "timer":
            return self._timer(turn)
        # Every free-text message is screened once, here, whatever the flow expects.
        # /log carries the leader's own words too.
        said = event.text if event.kind == "text" else commands.free_text(event)
        if said and self._screened_out(turn, said):
            return Outcome(turn.replies, turn.records)
        if event.kind == "command":
            commands.run(turn, event.value)
        elif event.kind == "choice" and event.value.startswith("cmd:"):
            commands.run_button(turn, event.value)
        elif event.kind == "unsupported" or (event.kind == "location" and not self._asks_zone(turn)):
            turn.say("common", "unsupported" if event.kind == "unsupported" else "location_elsewhere")
            reask(turn)
        elif not conv.profile.onboarded and conv.flow == FlowName.ONBOARDING and conv.state == "start":
            commands.begin_onboarding(turn)
        elif conv.flow == FlowName.IDLE:
            # "Move it to next week", "let's start": a session reminder on screen, answered in words.
            typed = event.text if event.kind == "text" else ""
            if typed and engagement.move_in_words(turn, typed):
                idle_menu(turn)
            elif typed and engagement.start_in_words(turn, typed):
                carry_on(turn)
            else:
                idle(turn)
        else:
            self._answer(turn)
        return Outcome(turn.replies, turn.records, expired=turn.expired)

    def _answer(self, turn: Turn) -> None:
        conv, event = turn.conv, turn.event
        flow = FLOWS[conv.flow]
        ask = flow.questions.get(conv.state)
        if ask is None:
            turn.to_idle()
            idle(turn)
            return
        model = flow.model(turn)
        if event.kind == "choice":
            stale = event.question != conv.question_seq
            value = Invalid("expired") if stale else answers.choice_value(turn, model, ask, event.value)
            if isinstance(value, Invalid):
                expired(turn)
                return
        elif event.kind == "location":
            value = answers.location_value(turn, ask, event)
        else:
            text = clean_text(event.text)
            value = text if isinstance(text, Invalid) else answers.typed_value(turn, model, ask, text)
        if isinstance(value, answers.Nudge):
            nudge(turn, value)
            return
        if isinstance(value, Invalid):
            refuse(turn, value)
            return
        if isinstance(value, answers.Clarify):
            turn.data.clarify = value.saved()
            ask_now(turn)
            return
        # Understood: the question is settled, so its re-asks and readings are done with.
        turn.data.clarify = None
        turn.data.nudged = None
        if isinstance(value, answers.ListEnded):
            fire(turn, flow, model, "end_list", "")
            return
        if isinstance(value, answers.Understood):
            turn.say_text(value.readback)
            value = value.value
        shown = answers.shown(turn, model, ask, value)
        if isinstance(value, date):
            turn.set_var("due", value.isoformat())
            turn.set_var("due_text", value.strftime("%a %d %b %Y"))
        model.keep_answer(conv.state, shown)
        if isinstance(turn.data, SessionData) and turn.data.session_id and shown:
            turn.record(AnswerGiven(turn.data.session_id, conv.state, shown))
        fire(turn, flow, model, "answer", value)

    @staticmethod
    def _asks_zone(turn: Turn) -> bool:
        flow = FLOWS.get(turn.conv.flow)
        ask = flow.questions.get(turn.conv.state) if flow is not None else None
        return ask is not None and ask.kind == "timezone"

    def _screened_out(self, turn: Turn, text: str) -> bool:
        result = self.screen.check(text)
        if not result.flagged:
            return False
        turn.record(SafetyFlagged(result.category or "unspecified"))
        close_session(turn, "safety")
        resources = "\n".join(f"• {line}" for line in self.settings.safety_resources)
        turn.say("common", "safety", resources=resources)
        _restart(turn)
        return True

    def _timer(self, turn: Turn) -> Outcome:
        conv, event = turn.conv, turn.event
        if not conv.profile.onboarded or conv.profile.paused:
            return Outcome([], [])
        data = turn.data
        if isinstance(data, checkin.CheckinData) and conv.flow == FlowName.CHECKIN:
            if data.checkin_id == event.checkin_id:
                # Put to the leader before, but never confirmed sent: ask again where they are.
                reask(turn)
                return Outcome(turn.replies, turn.records, delivered=True)
            if event.value == checkin.TAKE_OVER:
                # Left unanswered for long: it must not hold back the check-ins after it.
                close_session(turn, "unanswered")
                turn.record(CheckinLapsed(data.checkin_id))
                turn.to_idle()
        if event.value == checkin.RESEND:
            # The leader has left that check-in since: nothing to send again.
            return Outcome([], [])
        if conv.flow != FlowName.IDLE:
            return Outcome([], [], deferred=True)
        view = turn.lookup.checkin(event.checkin_id) if event.checkin_id is not None else None
        if view is None:
            return Outcome([], [])
        if engagement.reminds(turn, view):
            engagement.remind(turn, view)
            return Outcome(turn.replies, turn.records, delivered=True)
        turn.hand_over(FlowName.CHECKIN, checkin.first_state(view), checkin.start_data(view))
        carry_on(turn)
        return Outcome(turn.replies, turn.records, delivered=True)


def _restart(turn: Turn) -> None:
    """Back to the menu, or to the start of setting up for a leader not yet set up."""
    if turn.conv.profile.onboarded:
        turn.to_idle()
    else:
        turn.reset(FlowName.ONBOARDING, "start")
