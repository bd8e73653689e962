"""The building blocks every flow declares itself with: steps (states) and what they accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from transitions import Machine

from flows.state import FlowData, FlowName

AskKind = Literal["text", "score", "choice", "date", "timezone", "pick", "say"]


@dataclass(frozen=True)
class Ask:
    """What a step accepts. `pick` is a choice whose options come from the conversation."""

    kind: AskKind
    low: int = 0
    high: int = 10
    choices: tuple[str, ...] = ()
    skippable: bool = False

    @classmethod
    def text(cls, *, skippable: bool = False) -> Ask:
        return cls("text", skippable=skippable)

    @classmethod
    def score(cls, low: int, high: int) -> Ask:
        return cls("score", low=low, high=high)

    @classmethod
    def choice(cls, *values: str) -> Ask:
        return cls("choice", choices=values)

    @classmethod
    def pick(cls) -> Ask:
        return cls("pick")

    @classmethod
    def date(cls) -> Ask:
        return cls("date")

    @classmethod
    def timezone(cls, *suggestions: str) -> Ask:
        return cls("timezone", choices=suggestions)


@dataclass(frozen=True)
class Step:
    """One state. A step with an `ask` is a question; one without is passed through."""

    name: str
    ask: Ask | None = None
    on_enter: str | None = None
    on_exit: str | None = None

    def as_state(self) -> dict[str, object]:
        state: dict[str, object] = {"name": self.name}
        if self.on_enter:
            state["on_enter"] = self.on_enter
        if self.on_exit:
            state["on_exit"] = self.on_exit
        return state


@dataclass(frozen=True)
class FlowSpec:
    name: FlowName
    steps: tuple[Step, ...]
    transitions: tuple[tuple[str, ...], ...]
    model: type
    data: type[FlowData]  # what the flow keeps in the conversation between messages
    first: str
    questions: dict[str, Ask] = field(init=False)
    machine: Machine = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", {s.name: s.ask for s in self.steps if s.ask is not None})
        # One machine per flow and process, shared by every leader: a leader's model is
        # attached for one event and detached again, so the cost never grows with users.
        machine = Machine(
            model=None,
            states=[step.as_state() for step in self.steps],
            transitions=[list(row) for row in self.transitions],
            initial=self.first,
            auto_transitions=False,
            send_event=True,
        )
        object.__setattr__(self, "machine", machine)
