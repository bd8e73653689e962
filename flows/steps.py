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
    # A question that needs an answer with content (goal, action, if-then plan): a
    # non-answer ("dunno", "?") gets one gentle re-ask, then is taken as "not sure yet".
    needs_content: bool = False
    # A question that adds to a list (more options): a non-answer ("no, that's it")
    # ends the list and moves to the step named here; it is never saved as an item.
    ends_list: str = ""
    # A weak answer of this kind ("action", "plan", "goal") is challenged once.
    challenge: str = ""
    # A reader for words a leader uses instead of the exact answer ("name", "level"),
    # and the choices a yes or a no stand for at a choice question.
    understands: str = ""
    yes: str = ""
    no: str = ""

    @classmethod
    def text(
        cls,
        *,
        skippable: bool = False,
        needs_content: bool = False,
        ends_list: str = "",
        challenge: str = "",
        understands: str = "",
    ) -> Ask:
        return cls(
            "text",
            skippable=skippable,
            needs_content=needs_content or bool(challenge),
            ends_list=ends_list,
            challenge=challenge,
            understands=understands,
        )

    @classmethod
    def score(cls, low: int, high: int) -> Ask:
        return cls("score", low=low, high=high)

    @classmethod
    def choice(cls, *values: str, yes: str = "", no: str = "", understands: str = "") -> Ask:
        return cls("choice", choices=values, yes=yes, no=no, understands=understands)

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
        # A list question that a non-answer ends moves on with its own trigger, declared
        # on the Ask rather than in each flow's table.
        ended = [("end_list", name, ask.ends_list) for name, ask in self.questions.items() if ask.ends_list]
        # One machine per flow and process, shared by every leader: a leader's model is
        # attached for one event and detached again, so the cost never grows with users.
        machine = Machine(
            model=None,
            states=[step.as_state() for step in self.steps],
            transitions=[list(row) for row in (*self.transitions, *ended)],
            initial=self.first,
            auto_transitions=False,
            send_event=True,
        )
        object.__setattr__(self, "machine", machine)
