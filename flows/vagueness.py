"""Telling a wish ("be a better leader") from a behaviour someone could observe."""

from __future__ import annotations

import re

from flows.content import Content
from flows.lexicon import MONTHS, WEEKDAYS, patterns, phrase_set, phrase_text, phrases

MIN_WORDS = 5


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def is_vague(goal: str, content: Content) -> bool:
    """A goal is vague when it is very short or names a wish without a concrete behaviour.

    The phrase lists live in grow.toml so a coach can tune them.
    """
    words = _words(goal)
    lowered = " ".join(words)
    vague = content.items("grow", "vagueness", "vague_phrases")
    concrete = content.items("grow", "vagueness", "concrete_markers")
    has_concrete = any(re.search(rf"\b{re.escape(marker)}\b", lowered) for marker in concrete)
    if len(words) < MIN_WORDS:
        return True
    if any(phrase in lowered for phrase in vague):
        return not has_concrete
    return False


# Actions, plans and filler: these read the phrase lists in flows/data/en/phrases.toml and
# need no Content, so the engine can call them on any answer.


def is_vague_action(text: str) -> bool:
    """Wishes such as "communicate better", "be more proactive", "try harder": not a step.

    An action that names a wish is still fine when it is tied to something checkable
    ("be more present in Monday's 1:1s").
    """
    phrase = phrase_text(text)
    if not phrase:
        return False
    vague = any(pattern.search(phrase) for pattern in patterns("vague_action_patterns"))
    return vague and not has_concrete_marker(phrase)


def has_concrete_marker(text: str) -> bool:
    """A day, a time, a number, a meeting or a deliverable: something that pins an action down."""
    phrase = phrase_text(text)
    if re.search(r"\d", phrase) or any(word in WEEKDAYS or word in MONTHS for word in phrase.split()):
        return True
    padded = f" {phrase} "
    return any(f" {marker} " in padded for marker in phrases("concrete_markers"))


_TRIGGER_WORDS = r"if|when|whenever|every time|each time|after|before|as soon as|once|the moment|next time"
_LEADING_TRIGGER = re.compile(
    rf"^(?:{_TRIGGER_WORDS}) (?P<trigger>.+?)(?: then | i will | i'll | ill | i )(?P<response>.+)$"
)
_TRAILING_TRIGGER = re.compile(rf"^(?P<response>.+?) (?:{_TRIGGER_WORDS}) (?P<trigger>.+)$")


def split_plan(text: str) -> tuple[str, str] | None:
    """(trigger, response) of an if-then plan, or None when it names no trigger at all."""
    # A comma is where most people split "When X, I'll Y"; keep it as a boundary word.
    phrase = phrase_text(re.sub(r"[,;:]", " then ", text))
    phrase = re.sub(r"\bthen(?: then)+\b", "then", phrase)
    match = _LEADING_TRIGGER.match(phrase)
    if match:
        return match.group("trigger").removesuffix(" then").strip(), match.group("response").strip()
    match = re.match(r"^(?:every|each) (?P<trigger>.+?) then (?P<response>.+)$", phrase)
    if match:
        return match.group("trigger"), match.group("response")
    match = _TRAILING_TRIGGER.match(phrase.removeprefix("then "))
    if match:
        return match.group("trigger"), match.group("response")
    return None


def is_vague_plan(text: str) -> bool:
    """An if-then plan is vague without a moment to notice or a step to take.

    "When Sam asks me to decide, I'll first ask what he'd recommend" is concrete;
    "if I have time I'll delegate more" is not (no real trigger, a wish for a response).
    """
    parts = split_plan(text)
    if parts is None:
        return True
    trigger, response = parts
    response = re.sub(r"^(?:then |i will |i'll |ill |i )+", "", response)
    if not trigger or len(response.split()) < 2:
        return True
    if trigger in phrase_set("vague_triggers") or any(
        trigger.endswith(" " + vague) or trigger.startswith(vague + " ")
        for vague in phrases("vague_triggers")
    ):
        return True
    return is_vague_action(response)


# Keyboard rows, for spotting a hand run along them ("asdfgh", "poiuy").
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_RUNS = frozenset(
    row[start : start + 5] for row in (*_ROWS, *(row[::-1] for row in _ROWS)) for start in range(len(row) - 4)
)


def looks_like_nonsense(text: str) -> bool:
    """Keyboard mash, test strings and one key held down; careful to leave short real goals alone.

    Only Latin-letter words are judged: a goal in another script is never nonsense here.
    """
    raw = re.sub(r"\s+", "", text)
    if len(raw) >= 3 and len(set(raw.lower())) == 1:
        return True
    phrase = phrase_text(text)
    if not phrase:
        return False
    if phrase in phrase_set("nonsense_tokens"):
        return True
    tokens = phrase.split()
    return all(_mashed(token) for token in tokens)


def _mashed(token: str) -> bool:
    if not re.fullmatch(r"[a-z]+", token):
        return False
    if token in phrase_set("nonsense_tokens"):
        return True
    if len(token) >= 3 and len(set(token)) == 1:
        return True
    if len(token) >= 5 and not re.search(r"[aeiouy]", token):
        return True
    if re.search(r"[^aeiouy]{6,}", token):
        return True
    if any(run in token for run in _RUNS):
        return True
    # "asdasd", "jkljkl": a short chunk typed over and over
    return bool(re.fullmatch(r"([a-z]{2,4})\1+", token)) and len(token) >= 6
