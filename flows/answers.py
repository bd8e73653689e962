"""Reading a leader's answer to the question asked: typed text or a tapped button."""

from __future__ import annotations

from datetime import date

from flows.events import Choice
from flows.parsing import Invalid, local_today, parse_date, parse_score, parse_timezone
from flows.steps import Ask
from flows.turn import FlowModel, Turn

SKIP_WORDS = ("skip", "pass", "none", "nothing", "no", "-")


def choices(turn: Turn, model: FlowModel, ask: Ask) -> list[Choice]:
    """The buttons a question offers; typed answers may name one by label or number."""
    if ask.kind == "score":
        return [Choice(str(n), str(n)) for n in range(ask.low, ask.high + 1)]
    if ask.kind == "choice":
        labels = turn.content.labels(turn.conv.flow, turn.conv.state)
        return [Choice(labels[value], value) for value in ask.choices]
    if ask.kind == "timezone":
        return [Choice(zone, zone) for zone in ask.choices]
    if ask.kind == "pick":
        return model.pick_choices(turn.conv.state)
    return []


def typed_value(turn: Turn, model: FlowModel, ask: Ask, text: str) -> object:
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
        return match_choice(choices(turn, model, ask), text)
    if ask.kind == "pick":
        index = match_choice(model.pick_choices(turn.conv.state), text)
        return model.resolve_pick(None if isinstance(index, Invalid) else int(index), text)
    return Invalid("unknown")


def choice_value(turn: Turn, model: FlowModel, ask: Ask, value: str) -> object:
    """A tapped button's value; one this question never offered has expired."""
    if value not in {choice.value for choice in choices(turn, model, ask)}:
        return Invalid("expired")
    if ask.kind == "score":
        return int(value)
    if ask.kind == "pick":
        return model.resolve_pick(int(value), "")
    return value


def match_choice(offered: list[Choice], text: str) -> str | Invalid:
    wanted = text.strip().lower().rstrip(".")
    if wanted.isdigit() and 1 <= int(wanted) <= len(offered):
        return offered[int(wanted) - 1].value
    for choice in offered:
        # Internal values that are numbers (list positions) are never typed by a leader.
        values = () if choice.value.isdigit() else (choice.value.lower().replace("_", " "), choice.value)
        if wanted == choice.label.lower() or wanted in values:
            return choice.value
    return Invalid("choice")


def shown(turn: Turn, model: FlowModel, ask: Ask, value: object) -> str:
    """An answer as the leader gave it, the way it is stored."""
    if ask.kind in ("choice", "pick"):
        # What the leader saw on the button, not the value behind it.
        labels = {c.value: c.label for c in choices(turn, model, ask)}
        return labels.get(str(value), str(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
