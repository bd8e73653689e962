"""Changing the leader's level or time zone later (/level, /timezone)."""

from __future__ import annotations

from transitions import EventData

from flows.conversation import LEVELS
from flows.onboarding import TIMEZONE_SUGGESTIONS
from flows.records import CheckinsReplanned, ProfileUpdated
from flows.state import FlowName, SetupData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel

STEPS = (
    Step("level", Ask.choice(*LEVELS, understands="level"), on_exit="keep_level"),
    Step("timezone", Ask.timezone(*TIMEZONE_SUGGESTIONS), on_exit="keep_timezone"),
    Step("saved", on_enter="confirm"),
)

TRANSITIONS = (
    # trigger   source      dest
    ("answer", "level", "saved"),
    ("answer", "timezone", "saved"),
)


class ProfileModel(FlowModel[SetupData]):
    def keep_level(self, event: EventData) -> None:
        level = str(event.kwargs["value"])
        self.turn.conv.profile.level = level
        self.turn.record(ProfileUpdated(level=level))

    def keep_timezone(self, event: EventData) -> None:
        zone = str(event.kwargs["value"])
        profile = self.turn.conv.profile
        old = profile.timezone or "UTC"
        profile.timezone = zone
        self.turn.record(ProfileUpdated(timezone=zone))
        if old != zone:
            self.turn.record(CheckinsReplanned(old, zone, self.turn.settings.quiet_hours))

    def confirm(self, event: EventData) -> None:
        self.turn.say("profile", "saved")
        self.turn.finish()


FLOW = FlowSpec(FlowName.PROFILE, STEPS, TRANSITIONS, ProfileModel, SetupData, first="level")
