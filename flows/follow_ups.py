"""The goals a midpoint review sent back for rework, taken one after another.

At the midpoint a leader may mark several goals "adjust" or "replace". Each gets a GROW
session of its own: the first starts as the review ends, each next one as the one before
closes with its recap. If the leader stops part-way (/cancel), what is left opens their
next session instead, so no decision made at the review is dropped.

The queue is kept beside the flow's data in the conversation (like the language notice
flag), because every change of flow replaces that data: [kind, goal_id, text] per goal,
kind "adjust" or "replace", the one being worked on first.
"""

from __future__ import annotations

from typing import Final

from flows.conversation import Conversation
from flows.events import Outcome
from flows.quoting import quote
from flows.records import DataErased
from flows.state import FlowName
from flows.turn import Turn

QUEUE_KEY: Final[str] = "review_follow_ups"
KINDS = ("adjust", "replace")


def remembered(conv: Conversation) -> list[list[str]]:
    saved = conv.data.get(QUEUE_KEY)
    if not isinstance(saved, list):
        return []
    return [list(map(str, item)) for item in saved if isinstance(item, list) and len(item) == 3]


def after_turn(conv: Conversation, turn: Turn, outcome: Outcome) -> None:
    """Keep the queue in the conversation data the flow has just written; /delete empties it."""
    if any(isinstance(record, DataErased) for record in outcome.records):
        return
    if turn.follow_ups:
        conv.data[QUEUE_KEY] = [list(item) for item in turn.follow_ups]


def item_text(turn: Turn, item: list[str]) -> str:
    kind, _, text = item
    return turn.text("review", "follow_up", kind, goal=quote(text, 80))


def plan_text(turn: Turn) -> str:
    """What comes next, numbered: "1. Rework “…” 2. A new goal in place of “…”"."""
    return "\n".join(
        f"{number}. {item_text(turn, item)}" for number, item in enumerate(turn.follow_ups, start=1)
    )


def start_next(turn: Turn, engagement_id: str | None, number: int | None = None) -> None:
    """Open the GROW session for the first goal in the queue (it stays queued until it closes)."""
    from flows import grow  # grow closes a follow-up and starts the next: imported here against a cycle

    kind, goal_id, text = turn.follow_ups[0]
    if kind == "adjust":
        goal = turn.lookup.goal(goal_id)
        wording = {"goal": text, "earlier": grow.summarise(turn.content, dict(goal.answers) if goal else {})}
        data = grow.start_data(goal_id, wording, revisit=True)
    else:
        data = grow.start_data()
    data.engagement_id, data.number, data.follow_up = engagement_id, number, True
    turn.hand_over(FlowName.GROW, "goal", data)


def done_with_current(turn: Turn) -> None:
    if turn.follow_ups:
        turn.follow_ups = turn.follow_ups[1:]
