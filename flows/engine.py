"""The coaching engine: one event for one leader in, replies and records out.

It knows nothing of Telegram or SQL. The caller loads the leader's `Conversation`,
calls `handle`, stores the records and the changed conversation in one transaction,
and only then sends the replies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from transitions import MachineError

from flows import checkin, erase, grow, language_notice, onboarding, profile, rescore
from flows.content import Content, load_content
from flows.conversation import Conversation
from flows.events import Choice, Event, Outcome, Reply
from flows.export_text import export_text
from flows.parsing import Invalid, clean_text, local_today, parse_date, parse_score, parse_timezone
from flows.records import AnswerGiven, PauseChanged, SafetyFlagged, SessionClosed, SessionOpened
from flows.safety import Screen, load_screen
from flows.schedule import format_local
from flows.settings import CoachSettings
from flows.steps import Ask, FlowSpec
from flows.turn import FlowModel, Turn, new_id, new_seed
from flows.views import EmptyLookup, Lookup

FLOWS: dict[str, FlowSpec] = {
    flow.name: flow
    for flow in (onboarding.FLOW, grow.FLOW, checkin.FLOW, rescore.FLOW, profile.FLOW, erase.FLOW)
}
SESSION_FLOWS = ("grow", "checkin", "rescore")
SKIP_WORDS = ("skip", "pass", "none", "nothing", "no", "-")
IDLE_CHOICES = ("cmd:new", "cmd:rescore", "cmd:status")


class CoachEngine:
    def __init__(
        self,
        settings: CoachSettings | None = None,
        content: Content | None = None,
        screen: Screen | None = None,
    ) -> None:
        self.settings = settings or CoachSettings()
        self.content = content or load_content(self.settings.language)
        self.screen = screen or load_screen()
        self._commands: dict[str, Callable[[Turn], None]] = {
            "start": self._start,
            "help": self._help,
            "about": self._about,
            "cancel": self._cancel,
            "status": self._status,
            "new": self._new_session,
            "rescore": self._rescore,
            "checkins": self._checkins,
            "pause": self._pause,
            "resume": self._resume,
            "level": self._change_level,
            "timezone": self._change_timezone,
            "export": self._export,
            "delete": self._delete,
        }

    # entry point

    def handle(self, conv: Conversation, event: Event, lookup: Lookup | None = None) -> Outcome:
        # Issue 11: around the turn, the once-per-leader note on the coaching language
        # (flows/language_notice.py); a flow change replaces conv.data, so it runs after.
        given = language_notice.remembered(conv)
        outcome = self._handle(conv, event, lookup)
        language_notice.after_turn(conv, event, outcome, given, self.content, self.settings)
        return outcome

    def _handle(self, conv: Conversation, event: Event, lookup: Lookup | None) -> Outcome:
        turn = Turn(conv, event, lookup or EmptyLookup(), self.content, self.settings)
        if conv.flow != "idle" and (
            conv.flow not in FLOWS or conv.state not in FLOWS[conv.flow].machine.states
        ):
            # A position saved by another version of the flows: start again from idle
            # rather than leave the leader stuck (and their check-ins waiting forever).
            conv.reset("idle", "idle") if conv.profile.onboarded else conv.reset("onboarding", "start")
        if event.kind == "timer":
            return self._timer(turn)
        # Every free-text message is screened once, here, whatever the flow expects.
        if event.kind == "text" and self._screened_out(turn, event.text):
            return Outcome(turn.replies, turn.records)
        if event.kind == "command":
            self._command(turn, event.value)
        elif event.kind == "unsupported":
            turn.say("common", "unsupported")
            self._reask(turn)
        elif event.kind == "choice" and event.value.startswith("cmd:"):
            if event.question != conv.question_seq:
                self._expired(turn)
            else:
                self._command(turn, event.value.removeprefix("cmd:"))
        elif not conv.profile.onboarded and conv.flow == "onboarding" and conv.state == "start":
            self._begin_onboarding(turn)
        elif conv.flow == "idle":
            self._idle(turn)
        else:
            self._answer(turn)
        return Outcome(turn.replies, turn.records, expired=turn.expired)

    # answers

    def _answer(self, turn: Turn) -> None:
        conv, event = turn.conv, turn.event
        flow = FLOWS[conv.flow]
        ask = flow.questions.get(conv.state)
        if ask is None:
            conv.reset("idle", "idle")
            self._idle(turn)
            return
        model = flow.model(turn)
        if event.kind == "choice":
            if event.question != conv.question_seq:
                self._expired(turn)
                return
            value = self._choice_value(model, ask, event.value)
            if isinstance(value, Invalid):
                self._expired(turn)
                return
        else:
            text = clean_text(event.text)
            if isinstance(text, Invalid):
                self._refuse(turn, text)
                return
            value = self._typed_value(turn, model, ask, text)
            if isinstance(value, Invalid):
                self._refuse(turn, value)
                return
        self._keep_answer(turn, model, ask, value)
        self._fire(turn, flow, model, "answer", value)

    def _typed_value(self, turn: Turn, model: FlowModel, ask: Ask, text: str) -> object:
        if ask.kind == "text":
            return "" if ask.skippable and text.lower() in SKIP_WORDS else text
        if ask.kind == "score":
            return parse_score(text, ask.low, ask.high)
        if ask.kind == "date":
            return parse_date(text, local_today(turn.event.now, turn.conv.profile.timezone))
        if ask.kind == "timezone":
            if text.isdigit() and 1 <= int(text) <= len(ask.choices):
                return ask.choices[int(text) - 1]
            return parse_timezone(text)
        if ask.kind == "choice":
            return self._match_choice(self._choices(turn, model, ask), text)
        if ask.kind == "pick":
            index = self._match_choice(model.pick_choices(turn.conv.state), text)
            return model.resolve_pick(None if isinstance(index, Invalid) else int(index), text)
        return Invalid("unknown")

    def _choice_value(self, model: FlowModel, ask: Ask, value: str) -> object:
        choices = self._choices(model.turn, model, ask)
        if value not in {choice.value for choice in choices}:
            return Invalid("expired")
        if ask.kind == "score":
            return int(value)
        if ask.kind == "pick":
            return model.resolve_pick(int(value), "")
        return value

    @staticmethod
    def _match_choice(choices: list[Choice], text: str) -> str | Invalid:
        wanted = text.strip().lower().rstrip(".")
        if wanted.isdigit() and 1 <= int(wanted) <= len(choices):
            return choices[int(wanted) - 1].value
        for choice in choices:
            # Internal values that are numbers (list positions) are never typed by a leader.
            values = () if choice.value.isdigit() else (choice.value.lower().replace("_", " "), choice.value)
            if wanted == choice.label.lower() or wanted in values:
                return choice.value
        return Invalid("choice")

    def _keep_answer(self, turn: Turn, model: FlowModel, ask: Ask, value: object) -> None:
        state = turn.conv.state
        shown = self._shown(turn, model, ask, value)
        if ask.kind == "date" and isinstance(value, date):
            turn.set_var("due", value.isoformat())
            turn.set_var("due_text", value.strftime("%a %d %b %Y"))
        turn.data.setdefault("answers", {})[state] = shown
        session_id = turn.data.get("session_id")
        if session_id and shown:
            turn.record(AnswerGiven(session_id, state, shown))

    def _shown(self, turn: Turn, model: FlowModel, ask: Ask, value: object) -> str:
        if ask.kind in ("choice", "pick"):
            # What the leader saw on the button, not the value behind it.
            labels = {c.value: c.label for c in self._choices(turn, model, ask)}
            return labels.get(str(value), str(value))
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def _fire(self, turn: Turn, flow: FlowSpec, model: FlowModel, trigger: str, value: object) -> None:
        conv = turn.conv
        flow.machine.add_model(model, initial=conv.state)
        try:
            model.trigger(trigger, value=value)  # type: ignore[attr-defined]
        except MachineError:
            conv.reset("idle", "idle")
            self._idle(turn)
            return
        finally:
            flow.machine.remove_model(model)
        conv.state = model.state
        self._continue(turn)

    def _continue(self, turn: Turn) -> None:
        conv = turn.conv
        if turn.handover is not None:
            flow_name, state, data = turn.handover
            turn.handover = None
            if flow_name == "idle":
                conv.reset("idle", "idle")
                if data:
                    conv.data = data
                return
            if data is not None or flow_name != conv.flow:
                conv.reset(flow_name, state)
                conv.data = data if data is not None else {"seed": new_seed()}
            conv.flow, conv.state = flow_name, state
            self._open_session(turn)
        if conv.state in FLOWS[conv.flow].questions:
            self._ask(turn)

    def _open_session(self, turn: Turn) -> None:
        data = turn.data
        if data.get("session_id") and not data.get("opened") and turn.conv.flow in SESSION_FLOWS:
            turn.record(SessionOpened(data["session_id"], data.get("goal_id"), turn.conv.flow))
            data["opened"] = True

    # asking

    def _ask(self, turn: Turn, *, again: bool = False) -> None:
        conv = turn.conv
        flow = FLOWS[conv.flow]
        ask = flow.questions[conv.state]
        model = flow.model(turn)
        if not again:
            conv.question_seq += 1
        text = turn.text(flow.name, conv.state, model.ask_field(conv.state))
        choices = tuple(self._choices(turn, model, ask))
        layout = "grid" if ask.kind == "score" else "list"
        turn.replies.append(Reply(text, choices, layout, conv.question_seq))

    def _choices(self, turn: Turn, model: FlowModel, ask: Ask) -> list[Choice]:
        if ask.kind == "score":
            return [Choice(str(n), str(n)) for n in range(ask.low, ask.high + 1)]
        if ask.kind == "choice":
            labels = self.content.labels(turn.conv.flow, turn.conv.state)
            return [Choice(labels[value], value) for value in ask.choices]
        if ask.kind == "timezone":
            return [Choice(zone, zone) for zone in ask.choices]
        if ask.kind == "pick":
            return model.pick_choices(turn.conv.state)
        return []

    def _reask(self, turn: Turn) -> None:
        conv = turn.conv
        if conv.flow in FLOWS and conv.state in FLOWS[conv.flow].questions:
            self._ask(turn, again=True)
        elif conv.flow == "idle":
            self._idle_menu(turn, again=True)
        elif not conv.profile.onboarded:
            turn.say("common", "start_hint")

    def _refuse(self, turn: Turn, invalid: Invalid) -> None:
        turn.say("errors", invalid.reason)
        self._reask(turn)

    def _expired(self, turn: Turn) -> None:
        turn.expired = True
        turn.say("errors", "expired")
        self._reask(turn)

    # safety

    def _screened_out(self, turn: Turn, text: str) -> bool:
        result = self.screen.check(text)
        if not result.flagged:
            return False
        turn.record(SafetyFlagged(result.category or "unspecified"))
        session_id = turn.data.get("session_id")
        if session_id and turn.conv.flow in SESSION_FLOWS:
            turn.record(SessionClosed(session_id, "safety"))
        resources = "\n".join(f"• {line}" for line in self.settings.safety_resources)
        turn.say("common", "safety", resources=resources)
        if turn.conv.profile.onboarded:
            turn.conv.reset("idle", "idle")
        else:
            turn.conv.reset("onboarding", "start")
        return True

    # idle

    def _idle(self, turn: Turn) -> None:
        if turn.event.kind == "choice":
            self._expired(turn)
            return
        turn.say("common", "idle")
        self._idle_menu(turn)

    def _idle_menu(self, turn: Turn, *, again: bool = False) -> None:
        if not again:
            turn.conv.question_seq += 1
        labels = self.content.labels("common", "idle_menu")
        choices = tuple(Choice(labels[value.removeprefix("cmd:")], value) for value in IDLE_CHOICES)
        turn.replies.append(Reply(turn.text("common", "idle_menu"), choices, "list", turn.conv.question_seq))

    # commands

    def _command(self, turn: Turn, name: str) -> None:
        handler = self._commands.get(name)
        if handler is None:
            turn.say("common", "unknown_command")
            self._reask(turn)
            return
        if name not in ("start", "help", "about", "cancel") and not turn.conv.profile.onboarded:
            setting_up = turn.conv.flow == "onboarding" and turn.conv.profile.consented
            turn.say("common", "finish_first" if setting_up else "needs_onboarding")
            self._reask(turn)
            return
        handler(turn)

    def _begin_onboarding(self, turn: Turn) -> None:
        conv = turn.conv
        conv.reset("onboarding", "start")
        conv.data = {"seed": new_seed()}
        turn.say("onboarding", "welcome")
        self._fire(turn, onboarding.FLOW, onboarding.FLOW.model(turn), "begin", None)

    def _start(self, turn: Turn) -> None:
        conv = turn.conv
        if not conv.profile.onboarded:
            if conv.flow == "onboarding" and conv.state != "start":
                turn.say("common", "welcome_back")
                self._reask(turn)
            else:
                self._begin_onboarding(turn)
            return
        turn.say("common", "welcome_back")
        if conv.flow == "idle":
            if conv.data.get("last_recap"):
                turn.say_text(str(conv.data["last_recap"]))
            self._idle_menu(turn)
        else:
            self._reask(turn)

    def _help(self, turn: Turn) -> None:
        turn.say("common", "help")
        self._reask(turn)

    def _about(self, turn: Turn) -> None:
        turn.say("common", "about")
        self._reask(turn)

    def _cancel(self, turn: Turn) -> None:
        conv = turn.conv
        if conv.flow == "onboarding":
            # Setting up stops here; /start picks it up again from the beginning.
            conv.reset("onboarding", "start")
            turn.say("common", "cancelled_onboarding")
            return
        if conv.flow in ("idle",) or conv.flow not in FLOWS:
            turn.say("common", "nothing_to_cancel")
            self._idle_menu(turn)
            return
        session_id = turn.data.get("session_id")
        if session_id and conv.flow in SESSION_FLOWS:
            turn.record(SessionClosed(session_id, "cancelled"))
        conv.reset("idle", "idle")
        turn.say("common", "cancelled")
        self._idle_menu(turn)

    def _status(self, turn: Turn) -> None:
        conv = turn.conv
        zone = conv.profile.timezone
        where = self.content.labels("common", "where").get(
            conv.flow
            if conv.flow in ("idle", "onboarding", "checkin", "rescore", "profile")
            else conv.state.split("_")[0],
            "",
        )
        goal = turn.data.get("vars", {}).get("goal")
        if not goal:
            goals = turn.lookup.open_goals()
            goal = goals[0].text if goals else None
        pending = turn.lookup.pending_checkins(1)
        lines = [turn.text("common", "status", where=where)]
        lines.append(
            turn.text("common", "status_goal", goal=goal) if goal else turn.text("common", "status_no_goal")
        )
        if conv.profile.paused:
            lines.append(turn.text("common", "status_paused"))
        elif pending:
            lines.append(turn.text("common", "status_checkin", when=format_local(pending[0].due_at, zone)))
        else:
            lines.append(turn.text("common", "status_no_checkin"))
        turn.say_text("\n".join(lines))
        self._reask(turn)

    def _busy(self, turn: Turn) -> bool:
        if turn.conv.flow in FLOWS and turn.conv.flow != "onboarding":
            turn.say("common", "finish_first")
            self._reask(turn)
            return True
        return False

    def _new_session(self, turn: Turn) -> None:
        conv = turn.conv
        session_id = turn.data.get("session_id")
        if session_id and conv.flow in SESSION_FLOWS:
            turn.record(SessionClosed(session_id, "cancelled"))
        turn.say("grow", "intro")
        turn.hand_over("grow", "goal", grow.start_data(new_id(), new_seed()))
        self._continue(turn)

    def _rescore(self, turn: Turn) -> None:
        if self._busy(turn):
            return
        goals = turn.lookup.open_goals()
        low = [g for g in goals if g.commitment is not None and g.commitment < grow.COMMITMENT_BAR]
        if not goals:
            turn.say("rescore", "no_goals")
            self._idle_menu(turn)
            return
        turn.say("rescore", "intro" if low else "none_low")
        candidates = [
            {
                "goal_id": g.goal_id,
                "text": g.text,
                "action": g.action,
                "due": g.action_due.isoformat() if g.action_due else None,
                "label": self.content.text(
                    "rescore",
                    "pick",
                    "label",
                    values={
                        "goal": _short(g.text, 40),
                        "score": g.commitment if g.commitment is not None else "–",
                        "date": (g.commitment_at or g.created_at)
                        .astimezone(ZoneInfo(turn.conv.profile.timezone or "UTC"))
                        .strftime("%d %b"),
                    },
                ),
            }
            for g in (low or goals)[:10]
        ]
        data = {"session_id": new_id(), "seed": new_seed(), "candidates": candidates, "vars": {}}
        turn.hand_over("rescore", "pick", data)
        self._continue(turn)

    def _checkins(self, turn: Turn) -> None:
        pending = turn.lookup.pending_checkins(10)
        zone = turn.conv.profile.timezone
        if not pending:
            turn.say("common", "no_checkins")
        else:
            kinds = self.content.labels("common", "checkin_kinds")
            lines = [turn.text("common", "checkins")]
            lines += [
                f"• {format_local(c.due_at, zone)} — {kinds.get(c.kind, c.kind)}: {_short(c.goal_text, 50)}"
                for c in pending
            ]
            if turn.conv.profile.paused:
                lines.append(turn.text("common", "status_paused"))
            turn.say_text("\n".join(lines))
        self._reask(turn)

    def _pause(self, turn: Turn) -> None:
        turn.conv.profile.paused = True
        turn.record(PauseChanged(True))
        turn.say("common", "paused")
        self._reask(turn)

    def _resume(self, turn: Turn) -> None:
        turn.conv.profile.paused = False
        turn.record(PauseChanged(False))
        turn.say("common", "resumed")
        self._reask(turn)

    def _change_level(self, turn: Turn) -> None:
        if self._busy(turn):
            return
        turn.hand_over("profile", "level", {"seed": new_seed()})
        self._continue(turn)

    def _change_timezone(self, turn: Turn) -> None:
        if self._busy(turn):
            return
        turn.hand_over("profile", "timezone", {"seed": new_seed()})
        self._continue(turn)

    def _export(self, turn: Turn) -> None:
        turn.say_text(export_text(turn.lookup.export()))
        self._reask(turn)

    def _delete(self, turn: Turn) -> None:
        if self._busy(turn):
            return
        turn.hand_over("erase", "confirm", {"seed": new_seed()})
        self._continue(turn)

    # timers

    def _timer(self, turn: Turn) -> Outcome:
        conv, event = turn.conv, turn.event
        if not conv.profile.onboarded or conv.profile.paused:
            return Outcome([], [])
        if conv.flow != "idle":
            return Outcome([], [], deferred=True)
        view = turn.lookup.checkin(event.checkin_id) if event.checkin_id is not None else None
        if view is None:
            return Outcome([], [])
        data = {
            "session_id": new_id(),
            "seed": new_seed(),
            "checkin_id": view.checkin_id,
            "goal_id": view.goal_id,
            "kind": view.kind,
            "vars": {"goal": view.goal_text, "action": view.action or ""},
        }
        turn.hand_over("checkin", "offer" if view.kind == "next_session" else "did", data)
        self._continue(turn)
        return Outcome(turn.replies, turn.records, delivered=True)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
