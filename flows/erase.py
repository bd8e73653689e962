"""/delete: the leader erases everything stored about them, after one confirmation."""

from __future__ import annotations

from transitions import EventData

from flows.conversation import Profile
from flows.records import DataErased
from flows.state import FlowName, SetupData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel

STEPS = (
    Step("confirm", Ask.choice("erase", "keep", yes="erase", no="keep")),
    Step("erased", on_enter="erase_everything"),
    Step("kept", on_enter="keep_everything"),
)

TRANSITIONS = (
    # trigger   source      dest        condition
    ("answer", "confirm", "erased", "wants_erasure"),
    ("answer", "confirm", "kept"),
)


class EraseModel(FlowModel[SetupData]):
    def wants_erasure(self, event: EventData) -> bool:
        return event.kwargs["value"] == "erase"

    def erase_everything(self, event: EventData) -> None:
        self.turn.record(DataErased())
        self.turn.conv.profile = Profile()
        self.turn.say("erase", "erased")
        self.turn.hand_over(FlowName.ONBOARDING, "start", SetupData())

    def keep_everything(self, event: EventData) -> None:
        self.turn.say("erase", "kept")
        self.turn.finish()


FLOW = FlowSpec(FlowName.ERASE, STEPS, TRANSITIONS, EraseModel, SetupData, first="confirm")
