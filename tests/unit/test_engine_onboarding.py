"""Onboarding: consent, name, level and time zone, each with good, bad and stale answers."""

from __future__ import annotations

import pytest

from flows.conversation import LEVELS
from flows.events import Event
from flows.onboarding import TIMEZONE_SUGGESTIONS
from flows.records import EngagementAgreed, ProfileUpdated, SessionOpened
from tests.support.coach_driver import NOW, Coach, phrasings, records_of


def at(state: str) -> Coach:
    """A new leader taken through onboarding up to `state`."""
    coach = Coach()
    coach.say("hello")
    answers = {"consent": "yes", "name": "Ann", "level": "first time"}
    while coach.conv.state != state:
        coach.say(answers[coach.conv.state])
    return coach


def assert_unchanged(coach: Coach, before: object, question_text: str) -> None:
    assert coach.snapshot() == before
    assert coach.outcome.records == []
    assert coach.question.text == question_text


# the first message and consent


@pytest.mark.parametrize("first", [Event.message("hi", NOW), Event.command("start", NOW)])
def test_first_contact_explains_confidentiality_and_asks_for_consent(first: Event) -> None:
    coach = Coach()
    coach.send(first)
    assert coach.texts[0] in phrasings("onboarding", "welcome")
    assert "confidential" in coach.texts[0]
    assert "not a therapist" in coach.texts[0] or "don't provide therapy" in coach.texts[0]
    assert coach.asked("onboarding", "consent")
    assert coach.labels() == ["Yes, let's start", "Not now"]
    assert (coach.conv.flow, coach.conv.state, coach.conv.question_seq) == ("onboarding", "consent", 1)
    assert coach.outcome.records == []


@pytest.mark.parametrize("how", ["button", "number", "value", "label"])
def test_consent_yes_is_stored_and_asks_the_name(how: str) -> None:
    coach = at("consent")
    if how == "button":
        coach.choose("yes")
    else:
        coach.say({"number": "1", "value": "Yes", "label": "yes, let's start"}[how])
    assert coach.asked("onboarding", "name")
    assert coach.conv.profile.consented
    assert coach.outcome.records == [ProfileUpdated(consented_at=NOW)]
    assert coach.conv.state == "name"


def test_declining_stores_nothing_and_the_next_message_starts_over() -> None:
    coach = at("consent")
    coach.choose("no")
    assert coach.texts in ([text] for text in phrasings("onboarding", "declined"))
    assert coach.outcome.records == []
    assert not coach.conv.profile.consented
    assert (coach.conv.flow, coach.conv.state) == ("onboarding", "start")
    coach.say("changed my mind")
    assert coach.asked("onboarding", "consent")


def test_a_typed_answer_that_is_no_option_reasks_consent() -> None:
    coach = at("consent")
    before, asked = coach.snapshot(), coach.question.text
    # "maybe later" now reads as a no (issue 12); this reads as neither.
    coach.say("what happens to my data?")
    assert coach.texts[0] in phrasings("errors", "choice")
    assert_unchanged(coach, before, asked)


@pytest.mark.parametrize("forged", [("yes", -1), ("perhaps", 0)])
def test_stale_or_forged_consent_button_has_expired(forged: tuple[str, int]) -> None:
    coach = at("consent")
    before, asked = coach.snapshot(), coach.question.text
    value, offset = forged
    coach.choose(value, coach.conv.question_seq + offset)
    assert coach.texts[0] in phrasings("errors", "expired")
    assert "expired" in coach.texts[0]
    assert not coach.conv.profile.consented
    assert_unchanged(coach, before, asked)


@pytest.mark.parametrize("command", ["new", "status", "pause", "rescore", "level", "checkins"])
def test_commands_that_need_a_profile_wait_for_onboarding(command: str) -> None:
    coach = at("consent")
    before, asked = coach.snapshot(), coach.question.text
    coach.command(command)
    assert coach.texts[0] in phrasings("common", "needs_onboarding")
    assert_unchanged(coach, before, asked)


def test_help_before_consent_answers_and_repeats_the_question() -> None:
    coach = at("consent")
    before, asked = coach.snapshot(), coach.question.text
    coach.command("help")
    assert "/new" in coach.texts[0] and "/cancel" in coach.texts[0]
    assert_unchanged(coach, before, asked)


def test_start_before_any_answer_welcomes_a_new_leader_not_back() -> None:
    coach = at("consent")
    coach.command("start")
    assert coach.texts[0] in phrasings("onboarding", "welcome")
    assert not any(text in phrasings("common", "welcome_back") for text in coach.texts)
    assert coach.asked("onboarding", "consent")
    assert coach.conv.state == "consent"


@pytest.mark.parametrize("state", ["name", "level", "timezone"])
def test_start_in_the_middle_of_onboarding_repeats_the_question(state: str) -> None:
    coach = at(state)
    before, asked = coach.snapshot(), coach.question.text
    coach.command("start")
    assert coach.texts[0] in phrasings("common", "welcome_back")
    assert_unchanged(coach, before, asked)


def test_a_sticker_is_refused_and_the_question_repeated() -> None:
    coach = at("name")
    before, asked = coach.snapshot(), coach.question.text
    coach.send(Event.unsupported(NOW))
    assert coach.texts[0] in phrasings("common", "unsupported")
    assert_unchanged(coach, before, asked)


# name


def test_name_is_stored_and_used_in_the_next_question() -> None:
    coach = at("name")
    coach.say("  Priya  ")
    assert coach.outcome.records == [ProfileUpdated(name="Priya")]
    assert coach.conv.profile.name == "Priya"
    assert coach.asked("onboarding", "level")
    assert "Priya" in coach.question.text
    assert coach.labels() == ["First-time manager", "Experienced manager", "Senior leader", "Executive"]


def test_two_hundred_letters_are_not_taken_for_a_name() -> None:
    # Before issue 12 this was stored cut to 64 characters; now the name is asked for again.
    coach = at("name")
    coach.say("N" * 200)
    assert coach.texts[0] in phrasings("errors", "name")
    assert coach.outcome.records == []
    assert coach.conv.state == "name"


@pytest.mark.parametrize(
    ("answer", "reason"), [("", "empty"), ("   \n\t ", "empty"), ("x" * 4001, "too_long")]
)
def test_bad_names_are_refused(answer: str, reason: str) -> None:
    coach = at("name")
    before, asked = coach.snapshot(), coach.question.text
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert_unchanged(coach, before, asked)


def test_a_button_on_a_text_question_has_expired() -> None:
    coach = at("name")
    before, asked = coach.snapshot(), coach.question.text
    coach.choose("yes")
    assert coach.texts[0] in phrasings("errors", "expired")
    assert_unchanged(coach, before, asked)


# level


@pytest.mark.parametrize(
    ("answer", "level"),
    [
        ("1", "first_time"),
        ("first time", "first_time"),
        ("Senior leader", "senior"),
        ("executive", "executive"),
    ],
)
def test_level_can_be_typed_by_number_words_or_label(answer: str, level: str) -> None:
    coach = at("level")
    coach.say(answer)
    assert coach.outcome.records == [ProfileUpdated(level=level)]
    assert coach.conv.profile.level == level
    assert coach.asked("onboarding", "timezone")
    assert coach.values() == list(TIMEZONE_SUGGESTIONS)


@pytest.mark.parametrize("level", LEVELS)
def test_level_by_button(level: str) -> None:
    coach = at("level")
    coach.choose(level)
    assert coach.outcome.records == [ProfileUpdated(level=level)]


@pytest.mark.parametrize("answer", ["5", "0", "boss", ""])
def test_an_unknown_level_is_refused(answer: str) -> None:
    coach = at("level")
    before, asked = coach.snapshot(), coach.question.text
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", "empty" if not answer else "choice")
    assert_unchanged(coach, before, asked)


@pytest.mark.parametrize("forged", [("ceo", 0), ("senior", -1), ("senior", 5)])
def test_a_forged_or_stale_level_button_has_expired(forged: tuple[str, int]) -> None:
    coach = at("level")
    before, asked = coach.snapshot(), coach.question.text
    coach.choose(forged[0], coach.conv.question_seq + forged[1])
    assert coach.texts[0] in phrasings("errors", "expired")
    assert_unchanged(coach, before, asked)


# time zone, and the hand-over to the first session


@pytest.mark.parametrize(
    ("answer", "zone"),
    [
        ("3", "Europe/Berlin"),
        ("tokyo", "Asia/Tokyo"),
        ("America/Chicago", "America/Chicago"),
        ("UTC+2", "Etc/GMT-2"),
        ("+05:30", "Asia/Kolkata"),
    ],
)
def test_time_zone_can_be_typed(answer: str, zone: str) -> None:
    coach = at("timezone")
    coach.say(answer)
    assert coach.outcome.records[0] == ProfileUpdated(timezone=zone)
    assert coach.conv.profile.timezone == zone


def test_finishing_onboarding_opens_the_first_grow_session() -> None:
    coach = at("timezone")
    coach.choose("Europe/London")
    # The zone is read back first (issue 12), then onboarding ends.
    assert coach.texts[0] in phrasings("nudges", "understood_zone", zone="Europe/London — 15:00 there now")
    # The engagement is agreed at its default length and said so, with how to see it.
    assert coach.texts[1] in coach.phrasings("onboarding", "done", months=3, planned=6, every="2 weeks")
    assert "Ann" in coach.texts[1] and "session 1 of 6" in coach.texts[1]
    (engaged,) = records_of(coach.outcome.records, EngagementAgreed)
    assert (engaged.months, engaged.sessions) == (3, 6)
    assert coach.conv.data["engagement_id"] == engaged.engagement_id and coach.conv.data["number"] == 1
    assert coach.asked("grow", "goal")
    assert (coach.conv.flow, coach.conv.state) == ("grow", "goal")
    opened = records_of(coach.outcome.records, SessionOpened)
    assert [(r.goal_id, r.kind) for r in opened] == [(None, "grow")]
    assert opened[0].session_id == coach.conv.data["session_id"]
    assert coach.outcome.records[0] == ProfileUpdated(timezone="Europe/London")


@pytest.mark.parametrize(("level", "style"), [("first time", "guided"), ("executive", "open")])
def test_the_first_question_follows_the_level(level: str, style: str) -> None:
    coach = at("level")
    coach.say(level)
    coach.say("UTC")
    assert coach.question.text in phrasings("grow", "goal", style=style, name="Ann")


@pytest.mark.parametrize("answer", ["Mars/Olympus", "nowhere", "UTC+15", "9"])
def test_an_unknown_time_zone_is_refused(answer: str) -> None:
    coach = at("timezone")
    before, asked = coach.snapshot(), coach.question.text
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", "timezone")
    assert_unchanged(coach, before, asked)


@pytest.mark.parametrize("answer", ["UTC-13", "UTC-14"])
def test_an_offset_without_a_zone_is_refused(answer: str) -> None:
    coach = at("timezone")
    before, asked = coach.snapshot(), coach.question.text
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", "timezone")
    assert_unchanged(coach, before, asked)


def test_a_forged_time_zone_button_has_expired() -> None:
    coach = at("timezone")
    before, asked = coach.snapshot(), coach.question.text
    coach.choose("Mars/Olympus")
    assert coach.texts[0] in phrasings("errors", "expired")
    assert_unchanged(coach, before, asked)


def test_every_onboarding_text_the_leader_saw_is_real_content() -> None:
    coach = Coach()
    seen: list[str] = []
    for answer in ("hi", "yes", "Ann", "2", "UTC"):
        coach.say(answer)
        seen += coach.texts
    assert all("{" not in text and "}" not in text for text in seen)
    assert seen[-1] in phrasings("grow", "goal", style="open")


@pytest.mark.parametrize("command", ["new", "level", "timezone", "rescore"])
def test_commands_that_start_a_flow_wait_until_onboarding_is_done(command: str) -> None:
    coach = at("name")
    before, asked = coach.snapshot(), coach.question.text
    coach.command(command)
    assert coach.texts[0] in phrasings("common", "finish_first")
    assert_unchanged(coach, before, asked)


def test_a_leader_not_yet_onboarded_in_an_unknown_flow_is_onboarded_again() -> None:
    coach = Coach()
    coach.conv.flow, coach.conv.state = "retired_flow", "somewhere"
    coach.say("hello")
    assert coach.asked("onboarding", "consent")
    assert (coach.conv.flow, coach.conv.state) == ("onboarding", "consent")
    assert coach.outcome.records == []
