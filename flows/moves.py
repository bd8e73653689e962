"""How the conversation moves on: firing a flow's machine, handing over, asking next.

Shared by the engine (answers, timers) and the commands, which start flows of their own.
"""

from __future__ import annotations

from transitions import MachineError

from flows import answers
from flows.events import Choice, Reply
from flows.parsing import Invalid
from flows.records import SessionClosed, SessionOpened
from flows.registry import FLOWS
from flows.state import IDLE_STATE, SESSION_FLOWS, FlowName, SessionData, SetupData
from flows.steps import FlowSpec
from flows.turn import FlowModel, Turn, new_seed

IDLE_CHOICES = ("cmd:new", "cmd:rescore", "cmd:status")


# moving


def fire(turn: Turn, flow: FlowSpec, model: FlowModel, trigger: str, value: object) -> None:
    """Run one transition of the flow's table for this leader, then carry on."""
    conv = turn.conv
    flow.machine.add_model(model, initial=conv.state)
    try:
        model.trigger(trigger, value=value)  # type: ignore[attr-defined]
    except MachineError:
        turn.to_idle()
        idle(turn)
        return
    finally:
        flow.machine.remove_model(model)
    conv.state = model.state
    carry_on(turn)


def carry_on(turn: Turn) -> None:
    """Take up a handover the transition asked for, then ask the question now due."""
    conv = turn.conv
    if turn.handover is not None:
        flow_name, state, data = turn.handover
        turn.handover = None
        if flow_name == FlowName.IDLE:
            turn.reset(FlowName.IDLE, IDLE_STATE, data)
            return
        if data is not None or flow_name != conv.flow:
            turn.reset(flow_name, state, data if data is not None else SetupData(seed=new_seed()))
        conv.flow, conv.state = flow_name, state
        _open_session(turn)
    if conv.state in FLOWS[conv.flow].questions:
        ask(turn)


def _open_session(turn: Turn) -> None:
    data = turn.data
    if not isinstance(data, SessionData) or data.opened:
        return
    if data.session_id and turn.conv.flow in SESSION_FLOWS:
        turn.record(SessionOpened(data.session_id, data.goal_id, turn.conv.flow))
        data.opened = True


def close_session(turn: Turn, reason: str) -> None:
    """Close the session the leader is in, if they are in one."""
    data = turn.data
    if isinstance(data, SessionData) and data.session_id and turn.conv.flow in SESSION_FLOWS:
        turn.record(SessionClosed(data.session_id, reason))


# asking


def ask(turn: Turn, *, again: bool = False) -> None:
    conv = turn.conv
    flow = FLOWS[conv.flow]
    question = flow.questions[conv.state]
    model = flow.model(turn)
    if not again:
        conv.question_seq += 1
    clarify = turn.data.clarify
    # An answer read two ways waits for the leader to say which: that is the question now.
    field = model.ask_field(conv.state)
    text = (
        str(clarify["text"])
        if clarify
        else turn.text(flow.name, conv.state, field, shift=model.variation(conv.state))
    )
    offered = tuple(answers.choices(turn, model, question))
    layout = "grid" if question.kind == "score" else "list"
    turn.replies.append(Reply(text, offered, layout, conv.question_seq))


def reask(turn: Turn) -> None:
    """Repeat the current question (or menu) after something that was not an answer."""
    conv = turn.conv
    if conv.flow in FLOWS and conv.state in FLOWS[conv.flow].questions:
        ask(turn, again=True)
    elif conv.flow == FlowName.IDLE:
        idle_menu(turn, again=True)
    elif not conv.profile.onboarded:
        turn.say("common", "start_hint")


def nudge(turn: Turn, nudged: answers.Nudge) -> None:
    """A gentle re-ask in its own words (with an example), in place of the question."""
    conv = turn.conv
    flow = FLOWS[conv.flow]
    model = flow.model(turn)
    key = nudged.key if turn.content.has("nudges", nudged.key) else nudged.key.rsplit(".", 2)[0] + ".default"
    text = turn.text("nudges", key, answer=nudged.answer)
    offered = tuple(answers.choices(turn, model, flow.questions[conv.state]))
    turn.replies.append(Reply(text, offered, "list", conv.question_seq))


def refuse(turn: Turn, invalid: Invalid) -> None:
    turn.say("errors", invalid.reason)
    reask(turn)


def expired(turn: Turn) -> None:
    turn.expired = True
    turn.say("errors", "expired")
    reask(turn)


def idle(turn: Turn) -> None:
    if turn.event.kind == "choice":
        expired(turn)
        return
    turn.say("common", "idle")
    idle_menu(turn)


def idle_menu(turn: Turn, *, again: bool = False) -> None:
    if not again:
        turn.conv.question_seq += 1
    labels = turn.content.labels("common", "idle_menu")
    offered = tuple(Choice(labels[value.removeprefix("cmd:")], value) for value in IDLE_CHOICES)
    turn.replies.append(Reply(turn.text("common", "idle_menu"), offered, "list", turn.conv.question_seq))
