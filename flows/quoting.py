"""The leader's own words, echoed back: trimmed at a word, never mid-word.

Reflecting a leader's words shows they were read; a cut like "You'll about 4" shows the
opposite. Long answers are shortened at the last whole word that fits, with an ellipsis.
"""

from __future__ import annotations

import re

# Long enough for a goal or an action as people write them, short enough for a phone.
QUOTE_LIMIT = 90
_TRAILING = ",;:-–—(\"'“‘ "


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """One line of the leader's text, at most `limit` characters, cut between words."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    room = flat[: limit - 1]
    cut = room.rfind(" ")
    # A single word longer than the room is cut inside it: there is no word boundary.
    kept = room[:cut] if cut > limit // 3 else room
    return kept.rstrip(_TRAILING).rstrip(".") + "…"


def ideas(text: str) -> list[str]:
    """Several ideas written in one message, one per line or separated by semicolons."""
    parts = re.split(r"\s*(?:\n|;)\s*", text.strip())
    cleaned = [re.sub(r"^(?:[-*•]|\d+[.)])\s*", "", part).strip() for part in parts]
    return [part for part in cleaned if part]
