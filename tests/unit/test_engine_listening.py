"""Issue 12 through the engine: what leaders write is understood, and read back to them.

Each test sends answers as people type them and checks what the leader sees next and
what is stored. The clock is Wednesday 25 Nov 2026, 15:00 UTC (tests/support/coach_driver).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from flows.events import Event
from flows.records import (
    ActionAgreed,
    AnswerGiven,
    CheckinsReplanned,
    ExpectedOutcomeSet,
    GoalOpened,
    ProfileUpdated,
    ScoreGiven,
)
from flows.schedule import replanned
from tests.support.coach_driver import GROW_PATH, Coach, consented, grow_coach, phrasings, records_of

BERLIN = (52.52, 13.405)


def onboarding_at(state: str) -> Coach:
    coach = Coach()
    coach.say("hello")
    answers = {"consent": "yes", "name": "Ann", "level": "first time"}
    while coach.conv.state != state:
        coach.say(answers[coach.conv.state])
    return coach


# GROW_PATH after the recent-example question, for tests that answer that one themselves.
PATH_ON_FROM_REALITY = [(state, answer) for state, answer in GROW_PATH if state != "reality_now"]


def answers_given(coach: Coach, step: str) -> list[str]:
    return [record.text for record in records_of(coach.records, AnswerGiven) if record.step == step]


# non-answers


@pytest.mark.parametrize("ending", ["no, that's it", "no", "nothing else", "that's it", "idk", "🤷"])
def test_a_non_answer_ends_the_options_list_and_is_never_an_option(ending: str) -> None:
    coach = grow_coach(level="experienced").drive_to("options_more")
    coach.say(ending)
    assert coach.conv.state == "options_pick"
    assert coach.labels() == ["rehearse with a peer"]
    assert coach.conv.data["options"] == ["rehearse with a peer"]
    assert answers_given(coach, "options_more") == []


@pytest.mark.parametrize("non_answer", ["dunno", "?", "no idea", "😶"])
def test_a_non_answer_to_the_if_then_plan_gets_one_reask_then_not_sure_yet(non_answer: str) -> None:
    coach = grow_coach().drive_to("will_if_then")
    seq = coach.conv.question_seq
    coach.say(non_answer)
    assert coach.conv.state == "will_if_then"
    assert coach.texts == [coach.question.text]
    assert coach.question.text in phrasings("nudges", "content.grow.will_if_then")
    assert coach.question.question == seq  # the same question: a button from it still counts
    assert coach.outcome.records == []
    coach.say(non_answer)
    assert coach.texts[0] in phrasings("nudges", "taken_as_not_sure")
    assert coach.asked("grow", "will_commitment")
    (agreed,) = records_of(coach.outcome.records, ActionAgreed)
    assert agreed.if_then == "not sure yet"
    assert answers_given(coach, "will_if_then") == ["not sure yet"]


def test_dunno_as_the_goal_is_reasked_with_an_example_and_never_praised() -> None:
    coach = grow_coach()
    coach.say("dunno")
    assert coach.question.text in phrasings("nudges", "content.grow.goal")
    assert records_of(coach.outcome.records, GoalOpened) == []
    coach.say("give feedback within a week of seeing something")
    assert [r.text for r in records_of(coach.outcome.records, GoalOpened)] == [
        "give feedback within a week of seeing something"
    ]


@pytest.mark.parametrize("non_answer", ["no, that's it", "nothing", "dunno", "idk", "not sure tbh"])
def test_a_non_answer_to_by_when_gets_one_reask_then_not_sure_yet(non_answer: str) -> None:
    coach = grow_coach().drive_to("goal_by_when")
    seq = coach.conv.question_seq
    coach.say(non_answer)
    assert coach.conv.state == "goal_by_when"
    assert coach.texts == [coach.question.text]
    assert coach.question.text in phrasings("nudges", "content.grow.goal_by_when")
    assert coach.question.question == seq
    assert answers_given(coach, "goal_by_when") == []
    coach.say(non_answer)
    assert coach.texts[0] in phrasings("nudges", "taken_as_not_sure")
    assert coach.conv.state == "reality_now"
    assert answers_given(coach, "goal_by_when") == ["not sure yet"]


@pytest.mark.parametrize("thin", ["ok", "1", "no idea", "dunno"])
def test_a_non_answer_to_how_you_would_know_is_reasked_and_never_kept_as_expected(thin: str) -> None:
    coach = grow_coach().drive_to("goal_measure")
    coach.say(thin)
    assert coach.conv.state == "goal_measure"
    assert coach.question.text in phrasings("nudges", "content.grow.goal_measure")
    coach.say(thin)
    assert coach.texts[0] in phrasings("nudges", "taken_as_not_sure")
    assert coach.conv.state == "goal_by_when"
    assert records_of(coach.records, ExpectedOutcomeSet) == []


@pytest.mark.parametrize(
    "sign", ["they solve problems without pinging me first", "fewer escalations", "Ana says so"]
)
def test_how_you_would_know_as_people_write_it_is_kept_as_expected(sign: str) -> None:
    coach = grow_coach().drive_to("goal_measure")
    coach.say(sign)
    assert coach.conv.state == "goal_by_when"
    assert [record.text for record in records_of(coach.records, ExpectedOutcomeSet)] == [sign]


@pytest.mark.parametrize("by_when", ["by Friday next week", "end of the month", "asap", "in two weeks"])
def test_a_timeframe_as_people_write_it_is_taken_at_by_when(by_when: str) -> None:
    coach = grow_coach().drive_to("goal_by_when")
    coach.say(by_when)
    assert coach.conv.state == "reality_now"
    assert answers_given(coach, "goal_by_when") == [by_when]


@pytest.mark.parametrize("thin", ["1", "ok", "Ok.", "okay", "👍", "yes", "2"])
def test_a_bare_number_or_ok_as_the_recent_example_is_reasked_and_never_quoted_back(thin: str) -> None:
    coach = grow_coach().drive_to("reality_now")
    coach.say(thin)
    assert coach.conv.state == "reality_now"
    assert coach.question.text in phrasings("nudges", "content.grow.reality_now")
    assert answers_given(coach, "reality_now") == []
    coach.say(thin)
    assert coach.texts[0] in phrasings("nudges", "taken_as_not_sure")
    assert answers_given(coach, "reality_now") == ["not sure yet"]
    coach.drive_to("options_first", PATH_ON_FROM_REALITY)
    assert coach.asked("grow", "options_first")
    assert thin not in coach.question.text and "not sure yet" not in coach.question.text


def test_a_real_example_after_the_reask_is_quoted_at_options() -> None:
    coach = grow_coach().drive_to("reality_now")
    coach.say("1")
    coach.say("yesterday I rewrote Ana's slides instead of telling her what was missing")
    assert coach.conv.state == "reality_tried"
    coach.drive_to("options_first", PATH_ON_FROM_REALITY)
    assert "yesterday I rewrote Ana's slides" in coach.question.text


@pytest.mark.parametrize(
    "example",
    [
        "Monday's stand-up: I answered every question myself",
        "1:1 with Sam got cancelled again",
        "ok so on Tuesday Sam missed the deadline",
    ],
)
def test_a_short_real_example_is_taken_at_once(example: str) -> None:
    coach = grow_coach().drive_to("reality_now")
    coach.say(example)
    assert coach.conv.state == "reality_tried"
    assert answers_given(coach, "reality_now") == [example]


# weak answers


@pytest.mark.parametrize("level", ["experienced", "senior", "executive"])
def test_the_if_then_question_names_the_action_just_given(level: str) -> None:
    coach = grow_coach(level).drive_to("will_if_then")
    assert coach.question.text in phrasings(
        "grow", "will_if_then.open", style="open", action="talk to Sam about deadlines"
    )
    assert "“”" not in coach.question.text


def test_a_vague_action_is_challenged_once_then_taken() -> None:
    coach = grow_coach().drive_to("will_action")
    coach.say("communicate better")
    assert coach.conv.state == "will_action"
    assert coach.question.text in phrasings("nudges", "challenge.action", answer="communicate better")
    coach.say("communicate better with the team")
    assert coach.conv.state == "will_when"
    assert answers_given(coach, "will_action") == ["communicate better with the team"]


def test_a_concrete_action_is_not_challenged() -> None:
    coach = grow_coach().drive_to("will_action")
    coach.say("book 20 minutes with Sam on Thursday about the deadlines")
    assert coach.asked("grow", "will_when")


def test_a_vague_if_then_plan_is_challenged_once() -> None:
    coach = grow_coach().drive_to("will_if_then")
    coach.say("if I have time I'll delegate more")
    assert coach.question.text in phrasings(
        "nudges", "challenge.plan", answer="if I have time I'll delegate more"
    )
    coach.say("when Sam asks me to decide, I'll ask what he would recommend first")
    assert coach.asked("grow", "will_commitment")


def test_a_nonsense_goal_is_challenged_not_praised() -> None:
    coach = grow_coach()
    coach.say("asdf")
    assert coach.question.text in phrasings("nudges", "challenge.goal", answer="asdf")
    assert not coach.said("grow", "goal_concrete")
    assert records_of(coach.outcome.records, GoalOpened) == []


# dates


def test_a_date_as_people_write_it_is_read_back_and_stored() -> None:
    coach = grow_coach().drive_to("will_when")
    coach.say("by Friday next week")
    assert coach.texts[0] in phrasings("nudges", "understood_date", when="Fri 4 Dec")
    assert coach.asked("grow", "will_support")
    assert coach.conv.data["vars"]["due"] == "2026-12-04"
    assert answers_given(coach, "will_when") == ["2026-12-04"]


def test_an_ambiguous_date_is_read_back_with_a_one_tap_correction() -> None:
    coach = grow_coach().drive_to("will_when")
    coach.say("next friday")  # said on a Wednesday: the 4th, or the coming 27th?
    assert coach.conv.state == "will_when"
    assert coach.question.text in phrasings("nudges", "clarify_date", said="next friday", first="Fri 4 Dec")
    assert coach.labels() == ["Yes, Fri 4 Dec", "No, Fri 27 Nov"]
    assert answers_given(coach, "will_when") == []
    coach.choose("2026-11-27")
    assert coach.texts[0] in phrasings("nudges", "understood_date", when="Fri 27 Nov")
    assert coach.asked("grow", "will_support")
    assert coach.conv.data["vars"]["due"] == "2026-11-27"
    assert "clarify" not in coach.conv.data


@pytest.mark.parametrize(
    ("reply", "due"), [("yes", "2026-12-04"), ("2", "2026-11-27"), ("the 30th", "2026-11-30")]
)
def test_an_ambiguous_date_can_be_confirmed_or_corrected_by_typing(reply: str, due: str) -> None:
    coach = grow_coach().drive_to("will_when")
    coach.say("next friday")
    coach.say(reply)
    assert coach.conv.data["vars"]["due"] == due
    assert coach.asked("grow", "will_support")


def test_a_stale_clarify_button_has_expired_once_the_date_is_settled() -> None:
    coach = grow_coach().drive_to("will_when")
    coach.say("next friday")
    seq = coach.conv.question_seq
    coach.say("yes")
    coach.choose("2026-11-27", question=seq)
    assert coach.outcome.expired
    assert coach.conv.data["vars"]["due"] == "2026-12-04"


# time zones


@pytest.mark.parametrize(
    ("typed", "zone", "clock"),
    [
        ("Mumbai", "Asia/Kolkata", "20:30"),
        ("GMT+5:30", "Asia/Kolkata", "20:30"),
        ("I'm in São Paulo", "America/Sao_Paulo", "12:00"),
    ],
)
def test_a_zone_as_people_write_it_is_saved_and_read_back(typed: str, zone: str, clock: str) -> None:
    coach = onboarding_at("timezone")
    coach.say(typed)
    assert coach.texts[0] in phrasings("nudges", "understood_zone", zone=f"{zone} — {clock} there now")
    assert coach.conv.profile.timezone == zone
    assert ProfileUpdated(timezone=zone) in coach.outcome.records


def test_an_ambiguous_zone_offers_its_candidates() -> None:
    coach = onboarding_at("timezone")
    coach.say("CST")
    assert coach.conv.state == "timezone"
    assert coach.question.text in phrasings("nudges", "clarify_zone", said="CST")
    assert "America/Chicago" in coach.values()
    assert coach.labels()[coach.values().index("America/Chicago")] == "America/Chicago — 09:00 now"
    assert coach.outcome.records == []
    coach.choose("America/Chicago")
    assert coach.conv.profile.timezone == "America/Chicago"
    assert coach.texts[0] in phrasings("nudges", "understood_zone", zone="America/Chicago — 09:00 there now")


def test_a_city_typed_after_an_ambiguous_zone_settles_it() -> None:
    coach = onboarding_at("timezone")
    coach.say("IST")
    coach.say("Dublin")
    assert coach.conv.profile.timezone == "Europe/Dublin"


def test_a_shared_location_sets_the_zone_at_the_zone_question() -> None:
    coach = onboarding_at("timezone")
    coach.send(Event.location(*BERLIN, now=coach.now))
    assert coach.conv.profile.timezone == "Europe/Berlin"
    assert coach.texts[0] in phrasings("nudges", "understood_zone", zone="Europe/Berlin — 16:00 there now")
    assert coach.conv.flow == "grow"


def test_a_location_anywhere_else_is_not_kept() -> None:
    coach = grow_coach()
    coach.send(Event.location(*BERLIN, now=coach.now))
    assert coach.texts[0] in phrasings("common", "location_elsewhere")
    assert coach.asked("grow", "goal")
    assert coach.outcome.records == []


def test_changing_the_zone_replans_pending_check_ins() -> None:
    coach = Coach(conv=consented(timezone="America/New_York"))
    coach.command("timezone")
    coach.say("Mumbai")
    assert coach.conv.profile.timezone == "Asia/Kolkata"
    (record,) = records_of(coach.outcome.records, CheckinsReplanned)
    assert (record.old_zone, record.new_zone) == ("America/New_York", "Asia/Kolkata")
    coach.command("timezone")
    coach.say("Kolkata")
    assert records_of(coach.outcome.records, CheckinsReplanned) == []  # the same zone: nothing moves


def test_a_replanned_check_in_keeps_its_wall_clock_time_and_skips_quiet_hours() -> None:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    five_pm_new_york = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
    moved = replanned(five_pm_new_york, "America/New_York", "Asia/Kolkata", (time(21, 0), time(8, 0)), now)
    assert moved == datetime(2026, 12, 5, 11, 30, tzinfo=UTC)  # 17:00 in Kolkata
    # Already past in the new zone: due at once, unless that is the middle of the night there.
    soon = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    late = replanned(soon, "UTC", "Asia/Tokyo", (time(21, 0), time(8, 0)), now)
    assert late == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 08:00 the next morning in Tokyo


# names, yes/no, levels, scores


@pytest.mark.parametrize(
    ("typed", "name"), [("I'm Maria", "Maria"), ("call me Max", "Max"), ("hi, I'm dave", "Dave")]
)
def test_a_name_in_a_sentence_is_picked_out_and_read_back(typed: str, name: str) -> None:
    coach = onboarding_at("name")
    coach.say(typed)
    assert coach.texts[0] in phrasings("nudges", "understood_name", name=name)
    assert coach.conv.profile.name == name
    assert coach.outcome.records == [ProfileUpdated(name=name)]
    assert coach.asked("onboarding", "level")


def test_a_name_not_understood_is_asked_once_more_then_taken_as_written() -> None:
    coach = onboarding_at("name")
    coach.say("Leader3")
    assert coach.texts[0] in phrasings("errors", "name")
    assert coach.conv.profile.name is None
    assert coach.asked("onboarding", "name")
    coach.say("Leader3")
    assert coach.conv.profile.name == "Leader3"
    assert coach.texts[0] in phrasings("nudges", "understood_name", name="Leader3")
    assert coach.asked("onboarding", "level")


@pytest.mark.parametrize("yes", ["sounds good", "ok", "sure", "yes please", "👍"])
def test_yes_in_words_gives_consent(yes: str) -> None:
    coach = onboarding_at("consent")
    coach.say(yes)
    assert coach.conv.profile.consented
    assert coach.asked("onboarding", "name")


def test_a_level_in_words_is_chosen_and_read_back() -> None:
    coach = onboarding_at("level")
    coach.say("first time manager I guess")
    assert coach.conv.profile.level == "first_time"
    assert coach.texts[0] in phrasings("nudges", "understood_choice", choice="First-time manager")
    assert ProfileUpdated(level="first_time") in coach.outcome.records


def test_a_hedged_score_is_taken() -> None:
    coach = grow_coach().drive_to("reality_baseline")
    coach.say("maybe a 3")
    (score,) = records_of(coach.outcome.records, ScoreGiven)
    assert (score.kind, score.value) == ("baseline", 3)


# digits that are not ASCII (issue 11)


@pytest.mark.parametrize(("typed", "level"), [("²", "experienced"), ("③", "senior"), ("７", None)])
def test_superscript_circled_and_full_width_digits_at_a_choice(typed: str, level: str | None) -> None:
    coach = onboarding_at("level")
    coach.say(typed)  # "²".isdigit() is True and int("²") raised here before
    if level is None:
        assert coach.texts[0] in phrasings("errors", "choice")
        assert coach.conv.state == "level"
    else:
        assert coach.conv.profile.level == level


@pytest.mark.parametrize(("typed", "zone"), [("²", "Europe/London"), ("③", "Europe/Berlin"), ("７", None)])
def test_superscript_circled_and_full_width_digits_at_the_zone_question(typed: str, zone: str | None) -> None:
    coach = onboarding_at("timezone")
    coach.say(typed)
    if zone is None:
        assert coach.texts[0] in phrasings("errors", "timezone")
        assert coach.conv.state == "timezone"
    else:
        assert coach.conv.profile.timezone == zone


def test_a_circled_number_picks_an_option() -> None:
    coach = grow_coach(level="experienced").drive_to("options_pick")
    coach.say("②")
    assert coach.conv.data["vars"]["option"] == "book a weekly slot for hard talks"
