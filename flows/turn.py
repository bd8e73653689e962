"""One event being handled: what the flows read, and what they say and record."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from flows.content import Content
from flows.conversation import Conversation
from flows.events import Choice, Event, Reply
from flows.parsing import Invalid
from flows.quoting import quote
from flows.records import Record
from flows.settings import CoachSettings
from flows.state import IDLE_STATE, FlowData, FlowName, IdleData, SessionData, blank
from flows.views import EngagementView, Lookup

# Wording values that hold the leader's own words; every template quotes them trimmed.
QUOTED = ("goal", "action", "previous_action", "option", "today", "if_then")


@dataclass
class Turn:
    conv: Conversation
    event: Event
    lookup: Lookup
    content: Content
    settings: CoachSettings
    # The current flow's data, read from `conv.data` and written back when the event is done.
    data: FlowData
    replies: list[Reply] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    handover: tuple[FlowName, str, FlowData | None] | None = None
    expired: bool = False
    # An engagement agreed during this event, before storage holds it.
    fresh_engagement: EngagementView | None = None
    # Goals a midpoint review sent back for rework, still to be taken (flows/follow_ups.py).
    follow_ups: list[list[str]] = field(default_factory=list)

    @property
    def style(self) -> str:
        return self.conv.profile.style

    def values(self, **extra: object) -> dict[str, object]:
        values: dict[str, object] = {"name": self.conv.profile.name or "there"}
        values.update(self.data.wording())
        values.update(extra)
        for key in QUOTED:
            if isinstance(values.get(key), str):
                values[key] = quote(str(values[key]))
        return values

    def text(self, flow: str, key: str, field: str = "ask", *, shift: int = 0, **extra: object) -> str:
        """A text in this leader's style; `shift` moves to another phrasing of it."""
        return self.content.text(
            flow,
            key,
            field,
            style=self.style,
            seed=(self.data.seed or 0) + shift,
            values=self.values(**extra),
        )

    def say(self, flow: str, key: str, field: str = "ask", **extra: object) -> None:
        self.replies.append(Reply(self.text(flow, key, field, **extra)))

    def say_text(self, text: str, choices: tuple[Choice, ...] = ()) -> None:
        self.replies.append(Reply(text, choices))

    def record(self, record: Record) -> None:
        self.records.append(record)

    def set_var(self, key: str, value: object) -> None:
        if not isinstance(self.data, SessionData):
            raise TypeError(f"{self.conv.flow} has no wording values to set")
        self.data.vars[key] = value

    def reset(self, flow: FlowName, state: str, data: FlowData | None = None) -> None:
        """Move to a flow's state, with its data (or none, for idle and setup flows)."""
        self.conv.flow, self.conv.state = flow, state
        self.data = data if data is not None else blank(flow)

    def to_idle(self) -> None:
        self.reset(FlowName.IDLE, IDLE_STATE)

    def hand_over(self, flow: FlowName, state: str, data: FlowData | None = None) -> None:
        """Continue in another flow (or idle) once the current transition is done."""
        self.handover = (flow, state, data)

    def finish(self, data: IdleData | None = None) -> None:
        """End the flow: back to idle once the current transition is done."""
        self.hand_over(FlowName.IDLE, IDLE_STATE, data)


def new_id() -> str:
    return str(uuid.uuid4())


def new_seed() -> int:
    return random.randrange(1_000_000)


D = TypeVar("D", bound=FlowData)


class FlowModel(Generic[D]):
    """The per-event model a flow's shared machine is attached to.

    Guards and callbacks named in a flow's table are methods of its subclass; they read
    and write the leader's conversation through the turn.
    """

    state: str

    def __init__(self, turn: Turn) -> None:
        self.turn = turn

    @property
    def data(self) -> D:
        # The engine loads each flow's data with the type its FlowSpec names.
        return cast(D, self.turn.data)

    def keep_answer(self, state: str, shown: str) -> None:
        """Remember an answer the flow reads again later; the answers table holds them all."""

    def ask_field(self, state: str) -> str:
        """Which wording of a question to use; flows override it for special cases."""
        return "ask"

    def variation(self, state: str) -> int:
        """How far to move from the session's phrasing: a question met again reads anew."""
        return 0

    def pick_choices(self, state: str) -> list[Choice]:
        return []

    def resolve_pick(self, index: int | None, text: str) -> object:
        """The value a pick question passes on; a typed answer arrives with no index."""
        return Invalid("choice") if index is None else str(index)
