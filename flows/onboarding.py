"""Onboarding: consent and confidentiality, name, leadership level and time zone."""

from __future__ import annotations

from transitions import EventData

from flows import engagement, grow
from flows.conversation import LEVELS
from flows.records import ProfileUpdated
from flows.state import FlowName, SetupData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel

TIMEZONE_SUGGESTIONS = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Singapore")

STEPS = (
    Step("start"),
    Step("consent", Ask.choice("yes", "no", yes="yes", no="no"), on_exit="keep_consent"),
    Step("declined", on_enter="say_goodbye"),
    Step("name", Ask.text(understands="name"), on_exit="keep_name"),
    Step("level", Ask.choice(*LEVELS, understands="level"), on_exit="keep_level"),
    Step("timezone", Ask.timezone(*TIMEZONE_SUGGESTIONS), on_exit="keep_timezone"),
    Step("done", on_enter="start_first_session"),
)

TRANSITIONS = (
    # trigger   source      dest        condition
    ("begin", "start", "consent"),
    ("answer", "consent", "name", "agreed"),
    ("answer", "consent", "declined"),
    ("answer", "name", "level"),
    ("answer", "level", "timezone"),
    ("answer", "timezone", "done"),
)


class OnboardingModel(FlowModel[SetupData]):
    def agreed(self, event: EventData) -> bool:
        return event.kwargs["value"] == "yes"

    def keep_consent(self, event: EventData) -> None:
        if event.kwargs["value"] == "yes":
            self.turn.conv.profile.consented = True
            self.turn.record(ProfileUpdated(consented_at=self.turn.event.now))

    def say_goodbye(self, event: EventData) -> None:
        self.turn.say("onboarding", "declined")
        self.turn.hand_over(FlowName.ONBOARDING, "start")

    def keep_name(self, event: EventData) -> None:
        name = str(event.kwargs["value"])[:64]
        self.turn.conv.profile.name = name
        self.turn.record(ProfileUpdated(name=name))

    def keep_level(self, event: EventData) -> None:
        level = str(event.kwargs["value"])
        self.turn.conv.profile.level = level
        self.turn.record(ProfileUpdated(level=level))

    def keep_timezone(self, event: EventData) -> None:
        zone = str(event.kwargs["value"])
        self.turn.conv.profile.timezone = zone
        self.turn.record(ProfileUpdated(timezone=zone))

    def start_first_session(self, event: EventData) -> None:
        # The engagement is agreed at its default length; the welcome says so and how
        # to change it (/engagement), so setting up stays at four questions.
        turn = self.turn
        view = engagement.agree(turn, turn.settings.engagement_months)
        turn.say("onboarding", "done", **engagement.wording(turn, view, 1))
        data = grow.start_data()
        data.engagement_id, data.number = view.engagement_id, 1
        turn.hand_over(FlowName.GROW, "goal", data)


FLOW = FlowSpec(FlowName.ONBOARDING, STEPS, TRANSITIONS, OnboardingModel, SetupData, first="start")
