"""Telling a wish ("be a better leader") from a behaviour someone could observe."""

from __future__ import annotations

import re

from flows.content import Content

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
