"""Reading a leader's answer to the question asked: typed text, a tapped button or a location.

What comes back is the value to pass on, or one of: `Invalid` (refuse and ask again),
`Nudge` (a gentle re-ask, made once per question), `Clarify` (an answer read two ways:
ask which one), `ListEnded` (a non-answer that closes a list) or `Understood` (a value
with a line reading back what was understood, "Fri 27 Nov — noted.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flows import goal_room
from flows.events import Choice, Event
from flows.nonanswers import is_non_answer, says_too_little
from flows.parsing import AmbiguousZone, Invalid, local_today, parse_score, parse_timezone, short, small_int
from flows.short_answers import (
    MAX_NAME_CHARS,
    choice_in_words,
    extract_name,
    ordinal,
    parse_level,
    parse_yes_no,
)
from flows.steps import Ask
from flows.turn import FlowModel, Turn
from flows.vagueness import is_vague_action, is_vague_plan, looks_like_nonsense
from flows.when import parse_when, readback
from flows.zones import zone_for_location, zone_readback

SKIP_WORDS = ("skip", "pass", "none", "nothing", "no", "-")
# How many zones an ambiguous name offers at most ("CST" has three, "IST" three).
MAX_ZONE_CHOICES = 6


@dataclass(frozen=True)
class Understood:
    value: object
    readback: str


@dataclass(frozen=True)
class Nudge(Invalid):
    """A re-ask made once: `key` names its text in nudges.toml; `answer` is quoted back."""

    key: str = ""
    answer: str = ""


@dataclass(frozen=True)
class Clarify:
    text: str
    options: tuple[tuple[str, str], ...] = field(default=())

    def saved(self) -> dict[str, Any]:
        return {"text": self.text, "options": [list(option) for option in self.options]}


@dataclass(frozen=True)
class ListEnded:
    pass


def choices(turn: Turn, model: FlowModel, ask: Ask) -> list[Choice]:
    """The buttons a question offers; typed answers may name one by label or number."""
    clarify = turn.data.clarify
    if clarify:
        return [Choice(label, value) for label, value in clarify["options"]]
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
    clarify = turn.data.clarify
    if not clarify:
        return _fresh_value(turn, model, ask, text)
    picked = _picked(clarify, text)
    if picked is not None:
        return _resolved(turn, ask, picked)
    # A correction ("no, the 27th") is read as a fresh answer; a bare yes or no picks.
    fresh = _fresh_value(turn, model, ask, text)
    if isinstance(fresh, Invalid):
        said = parse_yes_no(text)
        options = clarify["options"]
        if said is True:
            return _resolved(turn, ask, str(options[0][1]))
        if said is False and len(options) == 2:
            return _resolved(turn, ask, str(options[1][1]))
    return fresh


def _fresh_value(turn: Turn, model: FlowModel, ask: Ask, text: str) -> object:
    if ask.kind == "text":
        return _text_value(turn, ask, text)
    if ask.kind == "score":
        return parse_score(text, ask.low, ask.high)
    if ask.kind == "date":
        return _date_value(turn, text)
    if ask.kind == "timezone":
        number = small_int(text)
        if number is not None and 1 <= number <= len(ask.choices):
            return _zone_understood(turn, ask.choices[number - 1])
        return _zone_value(turn, text)
    if ask.kind == "choice":
        found = match_choice(choices(turn, model, ask), text)
        if isinstance(found, Invalid):
            return _choice_in_words(turn, ask, text) or found
        return found
    if ask.kind == "pick":
        index = match_choice(model.pick_choices(turn.conv.state), text)
        return model.resolve_pick(None if isinstance(index, Invalid) else int(index), text)
    return Invalid("unknown")


def choice_value(turn: Turn, model: FlowModel, ask: Ask, value: str) -> object:
    """A tapped button's value; one this question never offered has expired."""
    if value not in {choice.value for choice in choices(turn, model, ask)}:
        return Invalid("expired")
    if turn.data.clarify:
        return _resolved(turn, ask, value)
    if ask.kind == "score":
        return int(value)
    if ask.kind == "pick":
        return model.resolve_pick(int(value), "")
    if ask.kind == "timezone":
        return _zone_understood(turn, value)
    return value


def location_value(turn: Turn, ask: Ask, event: Event) -> object:
    """The zone at a shared location: read at a time-zone question only."""
    if ask.kind != "timezone" or event.latitude is None or event.longitude is None:
        return Invalid("location_elsewhere")
    zone = zone_for_location(event.latitude, event.longitude)
    return Invalid("location") if zone is None else _zone_understood(turn, zone)


def match_choice(offered: list[Choice], text: str) -> str | Invalid:
    wanted = text.strip().lower().rstrip(".")
    number = small_int(wanted) or ordinal(wanted, len(offered))
    if number is not None and 1 <= number <= len(offered):
        return offered[number - 1].value
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


# free text


def _text_value(turn: Turn, ask: Ask, text: str) -> object:
    # Where content is needed, and at "anything else?" of a list, "ok" or a bare "1" says
    # as little as "dunno" (never an option named "ok"); at an optional question only a
    # true non-answer skips it.
    if says_too_little(text) if ask.needs_content or ask.ends_list else is_non_answer(text):
        if ask.needs_content and _first_time(turn, "content"):
            return Nudge("nudge", key=f"content.{turn.conv.flow}.{turn.conv.state}")
        if ask.ends_list:
            return ListEnded()
        if ask.needs_content:
            # Kept as "not sure yet": never as an option or a plan in the leader's name.
            return Understood(turn.text("nudges", "not_sure"), turn.text("nudges", "taken_as_not_sure"))
        if ask.skippable:
            return ""
    elif ask.skippable and text.lower() in SKIP_WORDS:
        return ""
    if ask.understands == "name":
        name = extract_name(text) or _long_name(text)
        if name is None and _first_time(turn, "name"):
            return Invalid("name")
        if name is None:
            # Asked twice: whatever they call themselves is their name, trimmed to fit.
            name = short(" ".join(text.split()), MAX_NAME_CHARS)
        return Understood(name, turn.text("nudges", "understood_name", name=name))
    if ask.challenge and _is_weak(ask.challenge, text) and _first_time(turn, "challenge"):
        return Nudge("nudge", key=f"challenge.{ask.challenge}", answer=short(text, 80))
    return text


def _long_name(text: str) -> str | None:
    """A name of four to six words as typed ("Maria Fernanda de la Cruz"), which
    extract_name leaves alone: the first and last words capitalised, letters only."""
    words = text.split()
    if not 4 <= len(words) <= 6 or not all(
        re.fullmatch(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?", w) for w in words
    ):
        return None
    return " ".join(words) if words[0][0].isupper() and words[-1][0].isupper() else None


def _is_weak(kind: str, text: str) -> bool:
    if kind == "action":
        return is_vague_action(text) or looks_like_nonsense(text)
    if kind == "plan":
        return is_vague_plan(text) or looks_like_nonsense(text)
    return looks_like_nonsense(text)


def _first_time(turn: Turn, kind: str) -> bool:
    """True the first time this kind of re-ask is made at the current question."""
    mark = f"{turn.conv.state}:{kind}"
    nudged = turn.data.nudged or []
    if mark in nudged:
        return False
    turn.data.nudged = [*nudged, mark]
    return True


# choices in words


def _choice_in_words(turn: Turn, ask: Ask, text: str) -> object | None:
    # "did it yesterday", "half done", "drop it": words that name one choice, read back.
    worded = choice_in_words(f"{turn.conv.flow}.{turn.conv.state}", text, ask.choices)
    if worded is not None:
        label = turn.content.labels(turn.conv.flow, turn.conv.state).get(worded, worded)
        return Understood(worded, turn.text("nudges", "understood_choice", choice=label))
    if ask.yes or ask.no:
        said = parse_yes_no(text)
        if said is True and ask.yes:
            return ask.yes
        if said is False and ask.no:
            return ask.no
    if ask.understands == "goal_room":
        how = goal_room.how_in_words(text)
        return how if how in ask.choices else None
    if ask.understands == "level":
        level = parse_level(text)
        if level is not None and level in ask.choices:
            label = turn.content.labels(turn.conv.flow, turn.conv.state)[level]
            return Understood(level, turn.text("nudges", "understood_choice", choice=label))
    return None


# dates and zones


def _date_value(turn: Turn, text: str) -> object:
    today = local_today(turn.event.now, turn.conv.profile.timezone)
    result = parse_when(text, today)
    if isinstance(result, Invalid):
        return result
    if result.ambiguous and result.alternative is not None:
        other = readback(result.alternative, today)
        labels = turn.content.labels("nudges", "clarify_date")
        return Clarify(
            turn.text("nudges", "clarify_date", said=short(text, 40), first=result.readback, other=other),
            (
                (labels["first"].format(first=result.readback), result.date.isoformat()),
                (labels["other"].format(other=other), result.alternative.isoformat()),
            ),
        )
    return _date_understood(turn, result.date)


def _date_understood(turn: Turn, day: date) -> Understood:
    today = local_today(turn.event.now, turn.conv.profile.timezone)
    return Understood(day, turn.text("nudges", "understood_date", when=readback(day, today)))


def _zone_value(turn: Turn, text: str) -> object:
    zone = parse_timezone(text)
    if isinstance(zone, AmbiguousZone) and zone.candidates:
        now = turn.event.now
        return Clarify(
            turn.text("nudges", "clarify_zone", said=short(text, 40)),
            tuple(
                (zone_readback(candidate, now).replace(" there now", " now"), candidate)
                for candidate in zone.candidates[:MAX_ZONE_CHOICES]
            ),
        )
    if isinstance(zone, Invalid):
        return zone
    return _zone_understood(turn, zone)


def _zone_understood(turn: Turn, zone: str) -> Understood:
    return Understood(zone, turn.text("nudges", "understood_zone", zone=zone_readback(zone, turn.event.now)))


def _picked(clarify: dict[str, Any], text: str) -> str | None:
    """Which of the offered readings a typed reply names, by its number or its words."""
    options = [(str(label), str(value)) for label, value in clarify["options"]]
    number = small_int(text) or ordinal(text, len(options))
    if number is not None and 1 <= number <= len(options):
        return options[number - 1][1]
    wanted = text.strip().lower().rstrip(".")
    for label, value in options:
        if wanted in (label.lower(), value.lower()):
            return value
    return None


def _resolved(turn: Turn, ask: Ask, value: str) -> object:
    if ask.kind == "date":
        return _date_understood(turn, date.fromisoformat(value))
    if ask.kind == "timezone":
        return _zone_understood(turn, value)
    return value
