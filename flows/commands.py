"""The leader's slash commands (and the idle menu's buttons, which name the same ones)."""

from __future__ import annotations

from collections.abc import Callable

from flows import engagement, feedback, feedback_offers, goals, grow, onboarding, rescore
from flows.chart_replies import progress_replies
from flows.events import Choice, Event, Reply
from flows.export_files import export_files
from flows.moves import carry_on, close_session, expired, fire, idle_menu, reask
from flows.quoting import quote
from flows.records import PauseChanged
from flows.registry import FLOWS
from flows.schedule import format_local
from flows.state import SESSION_FLOWS, FlowName, IdleData, SetupData
from flows.turn import Turn, new_seed

Command = Callable[[Turn], None]

# Available before onboarding is finished; the others need a level and a time zone.
ALWAYS_AVAILABLE = ("start", "help", "about", "cancel", "withdraw")
# The status line names these flows; inside GROW it names the step (goal, reality, ...).
WHERE_BY_FLOW = (
    FlowName.IDLE,
    FlowName.ONBOARDING,
    FlowName.CHECKIN,
    FlowName.RESCORE,
    FlowName.PROFILE,
    FlowName.GOALS,
    FlowName.ENGAGEMENT,
    FlowName.REVIEW,
)
# Commands whose line carries the leader's own words after the command ("/log ...").
FREE_TEXT_COMMANDS = ("log",)
# Answers to "leave this session for a new one?": buttons only, never typed commands.
ABANDON_CHOICES = ("cmd:abandon", "cmd:stay")


def run(turn: Turn, name: str) -> None:
    command = COMMANDS.get(name)
    if command is None:
        turn.say("common", "unknown_command")
        reask(turn)
        return
    if name not in ALWAYS_AVAILABLE and not turn.conv.profile.onboarded:
        setting_up = turn.conv.flow == FlowName.ONBOARDING and turn.conv.profile.consented
        turn.say("common", "finish_first" if setting_up else "needs_onboarding")
        reask(turn)
        return
    command(turn)


def run_button(turn: Turn, value: str) -> None:
    """A menu button ("cmd:new"); one from an older message has expired."""
    name = value.removeprefix("cmd:")
    if turn.event.question != turn.conv.question_seq and name not in feedback_offers.STANDING_BUTTONS:
        expired(turn)
    elif name in BUTTONS:
        BUTTONS[name](turn)
    else:
        run(turn, name)


def free_text(event: Event) -> str:
    """The words after a command that carries them ("/log had the one-to-one" → the rest)."""
    if event.kind != "command" or event.value not in FREE_TEXT_COMMANDS:
        return ""
    return event.text.strip().partition(" ")[2].strip()


def begin_onboarding(turn: Turn) -> None:
    turn.reset(FlowName.ONBOARDING, "start", SetupData(seed=new_seed()))
    turn.say("onboarding", "welcome")
    fire(turn, onboarding.FLOW, onboarding.FLOW.model(turn), "begin", None)


def _busy(turn: Turn) -> bool:
    """In a session or a settings change: that has to end before another starts."""
    if turn.conv.flow in FLOWS and turn.conv.flow != FlowName.ONBOARDING:
        turn.say("common", "finish_first")
        reask(turn)
        return True
    return False


def _say_and_reask(flow: str, key: str) -> Command:
    def command(turn: Turn) -> None:
        turn.say(flow, key)
        reask(turn)

    return command


def start(turn: Turn) -> None:
    conv = turn.conv
    if not conv.profile.onboarded:
        # Someone who has not even answered the consent question is new, not back:
        # they get the welcome again.
        if conv.flow == FlowName.ONBOARDING and conv.state not in ("start", "consent"):
            turn.say("common", "welcome_back")
            reask(turn)
        else:
            begin_onboarding(turn)
        return
    turn.say("common", "welcome_back")
    if conv.flow == FlowName.IDLE:
        if isinstance(turn.data, IdleData) and turn.data.last_recap:
            turn.say_text(turn.data.last_recap)
        if engagement.current(turn) is None:
            # Set up before engagements existed: asked once they are between sessions.
            engagement.ask_to_agree(turn, then="menu")
            carry_on(turn)
            return
        idle_menu(turn)
    else:
        reask(turn)


def cancel(turn: Turn) -> None:
    conv = turn.conv
    if conv.flow == FlowName.ONBOARDING:
        # Setting up stops here; /start picks it up again from the beginning.
        turn.reset(FlowName.ONBOARDING, "start")
        turn.say("common", "cancelled_onboarding")
        return
    if conv.flow not in FLOWS:
        turn.say("common", "nothing_to_cancel")
        idle_menu(turn)
        return
    close_session(turn, "cancelled")
    turn.to_idle()
    turn.say("common", "cancelled")
    idle_menu(turn)


def status(turn: Turn) -> None:
    conv = turn.conv
    zone = conv.profile.timezone
    where = turn.content.labels("common", "where").get(
        conv.flow if conv.flow in WHERE_BY_FLOW else conv.state.split("_")[0], ""
    )
    goal = turn.data.wording().get("goal")
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
    engaged = engagement.status_line(turn)
    if engaged:
        lines.append(engaged)
    turn.say_text("\n".join(lines))
    reask(turn)


def new_session(turn: Turn) -> None:
    if turn.conv.flow in SESSION_FLOWS:
        # Half-way through a session: leaving it is the leader's call, not a typo's.
        turn.conv.question_seq += 1
        labels = turn.content.labels("common", "abandon")
        offered = tuple(Choice(labels[value.removeprefix("cmd:")], value) for value in ABANDON_CHOICES)
        goal = turn.data.wording().get("goal")
        text = turn.text("common", "abandon", "ask_goal" if goal else "ask")
        turn.replies.append(Reply(text, offered, "list", turn.conv.question_seq))
        return
    _begin_session(turn)


def _begin_session(turn: Turn) -> None:
    engagement.begin_session(turn)
    carry_on(turn)


def abandon_session(turn: Turn) -> None:
    if turn.conv.flow not in SESSION_FLOWS:
        expired(turn)
        return
    # The session stays stored as abandoned; a goal it named stays a draft, out of
    # /status and /rescore.
    close_session(turn, "abandoned")
    turn.to_idle()
    turn.say("common", "abandoned")
    _begin_session(turn)


def stay_in_session(turn: Turn) -> None:
    turn.say("common", "stay")
    reask(turn)


def list_goals(turn: Turn) -> None:
    if _busy(turn):
        return
    active = turn.lookup.open_goals()
    if not active:
        turn.say("goals", "none")
        idle_menu(turn)
        return
    data = goals.start_data(active, new_seed())
    turn.hand_over(FlowName.GOALS, "pick", data)
    turn.say_text(
        turn.content.text("goals", "list", seed=data.seed or 0, values={"goals": goals.listing(active)})
    )
    carry_on(turn)


def rescore_commitment(turn: Turn) -> None:
    if _busy(turn):
        return
    goals = turn.lookup.open_goals()
    if not goals:
        turn.say("rescore", "no_goals")
        idle_menu(turn)
        return
    low = [g for g in goals if g.commitment is not None and g.commitment < grow.COMMITMENT_BAR]
    turn.say("rescore", "intro" if low else "none_low")
    data = rescore.start_data(low or goals, turn.content, turn.conv.profile.timezone)
    turn.hand_over(FlowName.RESCORE, "pick", data)
    carry_on(turn)


def list_checkins(turn: Turn) -> None:
    pending = turn.lookup.pending_checkins(10)
    zone = turn.conv.profile.timezone
    if not pending:
        turn.say("common", "no_checkins")
    else:
        kinds = turn.content.labels("common", "checkin_kinds")
        lines = [turn.text("common", "checkins")]
        lines += [
            f"• {format_local(c.due_at, zone)} — {kinds.get(c.kind, c.kind)}: {quote(c.goal_text, 50)}"
            for c in pending
        ]
        if turn.conv.profile.paused:
            lines.append(turn.text("common", "status_paused"))
        turn.say_text("\n".join(lines))
    reask(turn)


def _set_paused(paused: bool, key: str) -> Command:
    def command(turn: Turn) -> None:
        turn.conv.profile.paused = paused
        turn.record(PauseChanged(paused))
        turn.say("common", key)
        reask(turn)

    return command


def _switch_to(flow: FlowName, state: str) -> Command:
    """A command that opens a short flow (/level, /timezone, /delete) outside a session."""

    def command(turn: Turn) -> None:
        if _busy(turn):
            return
        turn.hand_over(flow, state, SetupData(seed=new_seed()))
        carry_on(turn)

    return command


def log_reflection(turn: Turn) -> None:
    engagement.log_reflection(turn, free_text(turn.event), turn.event.now)
    reask(turn)


def show_engagement(turn: Turn) -> None:
    if _busy(turn):
        return
    line = engagement.status_line(turn)
    if line is None or not engagement.in_progress(engagement.current(turn)):
        if line:
            turn.say_text(line)
        engagement.ask_to_agree(turn, then="session")
        carry_on(turn)
        return
    turn.say_text(line)
    engagement.ask_to_change(turn, engagement.current(turn))  # type: ignore[arg-type]
    carry_on(turn)


def start_from_reminder(turn: Turn) -> None:
    engagement.start_from_reminder(turn)
    carry_on(turn)


def move_session(turn: Turn) -> None:
    engagement.move_session(turn)
    if isinstance(turn.data, IdleData):
        turn.data.reminder_id = None
    idle_menu(turn)


def pause_engagement(turn: Turn) -> None:
    engagement.pause(turn)
    idle_menu(turn)


def show_progress(turn: Turn) -> None:
    """A chart per open goal, each with its numbers in words (the chart is drawn after
    the commit, by the service: `Reply.chart`). Read-only, so it works mid-session too."""
    progress = turn.lookup.goal_progress()
    if not progress:
        turn.say("progress", "none")
    else:
        turn.say("progress", "intro")
        turn.replies.extend(progress_replies(progress, turn.content, turn.lookup.feedback_summary()))
    reask(turn)


def ask_for_feedback(turn: Turn) -> None:
    if _busy(turn):
        return
    feedback.command(turn)


def _idle_only(command: Command) -> Command:
    """A /feedback button: it acts only from the menu, as its message was sent from there."""

    def run_it(turn: Turn) -> None:
        if _busy(turn):
            return
        command(turn)

    return run_it


def nothing_to_withdraw(turn: Turn) -> None:
    # The service has already removed any feedback answers this person gave.
    turn.say("feedback", "nothing_to_withdraw")
    reask(turn)


def export(turn: Turn) -> None:
    """A short message, then the files; each front end delivers a file its own way."""
    turn.say("export", "sent")
    for attachment in export_files(turn.lookup.export(), turn.event.now, turn.content, turn.style):
        key = "json" if attachment.media_type == "application/json" else "markdown"
        turn.replies.append(Reply(turn.text("export", key, "caption"), attachment=attachment))
    reask(turn)


COMMANDS: dict[str, Command] = {
    "start": start,
    "help": _say_and_reask("common", "help"),
    "about": _say_and_reask("common", "about"),
    "cancel": cancel,
    "status": status,
    "new": new_session,
    "rescore": rescore_commitment,
    "checkins": list_checkins,
    "pause": _set_paused(True, "paused"),
    "resume": _set_paused(False, "resumed"),
    "level": _switch_to(FlowName.PROFILE, "level"),
    "timezone": _switch_to(FlowName.PROFILE, "timezone"),
    "export": export,
    "delete": _switch_to(FlowName.ERASE, "confirm"),
    "goals": list_goals,
    "log": log_reflection,
    "engagement": show_engagement,
    "progress": show_progress,
    "feedback": ask_for_feedback,
    "withdraw": nothing_to_withdraw,
}

BUTTONS: dict[str, Command] = {
    "abandon": abandon_session,
    "stay": stay_in_session,
    # On a session reminder (flows/engagement.py).
    "session": start_from_reminder,
    "move": move_session,
    "pause_engagement": pause_engagement,
    "fb_link": _idle_only(feedback.fresh_link),
    "fb_round": _idle_only(feedback.next_round),
    "fb_revoke": _idle_only(feedback.revoke),
    # A round offered at the engagement's start or before its close (flows/feedback_offers.py).
    # They work mid-flow too: a check-in that fell due often follows the offer at once.
    **{name: feedback.accept_offer(point) for point, name in feedback_offers.ACCEPT.items()},
    feedback_offers.SKIP: feedback.skip_offer,
}
