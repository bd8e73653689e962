"""Phrasings an outside tester tried (issue: answers as people write them), each with
negatives that must keep meaning what they meant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flows.lexicon import Invalid
from flows.nonanswers import is_non_answer
from flows.parsing import parse_score
from flows.records import (
    AnswerGiven,
    CheckinResolved,
    CheckinsCancelled,
    CheckinSnoozed,
    GoalClosed,
    GoalOpened,
    ProfileUpdated,
)
from flows.short_answers import extract_name, parse_level, parse_yes_no
from flows.vagueness import is_vague_action, looks_like_nonsense
from flows.views import RecapView
from flows.when import WhenResult, parse_when
from flows.zones import AmbiguousZone, parse_zone, zone_label, zone_readback
from tests.support.coach_driver import (
    Coach,
    FakeLookup,
    checkin_view,
    consented,
    goal_view,
    grow_coach,
    phrasings,
    records_of,
)

# ending a list of options


@pytest.mark.parametrize(
    "text",
    [
        "done",
        "Done.",
        "that's enough",
        "I think that's enough",
        "that'll do",
        "all good",
        "all good thanks",
        "I'm good",
        "no more ideas",
        "I'm out of ideas",
        "no others",
        "that's about it",
        "think that's it",
        "nothing more to add",
        "nothing else comes to mind",
        "that's everything I can think of",
        "ok that's it",
        "Okay, that's all",
        "finished",
    ],
)
def test_ways_of_closing_a_list_are_non_answers(text: str) -> None:
    assert is_non_answer(text)


@pytest.mark.parametrize(
    "text",
    [
        "done by friday",
        "finished the report first",
        "enough time for 1:1s",
        "good idea: ask Sam",
        "all good, ask Sam to lead standup",
        "ok",  # an acknowledgement alone is read where content is needed, not here
        "ok let's ask HR",
    ],
)
def test_content_after_a_closing_word_stays_content(text: str) -> None:
    assert not is_non_answer(text)


# names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("call me Jo please", "Jo"),
        ("Jo pls", "Jo"),
        ("Sam, cheers", "Sam"),
        ("just call me Sam thanks", "Sam"),
        ("it's Dr. Chen", "Dr. Chen"),
        ("Maria here", "Maria"),
        ("I'm Maria", "Maria"),
        ("Ana Lúcia", "Ana Lúcia"),
        ("name: Maria", "Maria"),
        ("first name Maria", "Maria"),
        ("👋 Maria", "Maria"),
        ("Liz is fine", "Liz"),
        ("Maria works", "Maria"),
        ("J.R.", "J.R"),
        ("Will", "Will"),
        ("Will Smith", "Will Smith"),
        ("my name is Maria José", "Maria José"),
    ],
)
def test_courtesies_after_a_name_are_not_part_of_it(text: str, name: str) -> None:
    assert extract_name(text) == name


# yes / no


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("definitely not", False),
        ("absolutely not!", False),
        ("of course not", False),
        ("nah I'm good", False),
        ("no, I'm good", False),
        ("go on then", True),
        ("oki doki", True),
        ("yes why not", True),
        ("sure, why not", True),
        ("yep", True),
        ("sure thing", True),
        ("nah", False),
        ("not really", False),
        ("ok", True),
        ("definitely", True),
        ("yes I'm ready", True),
    ],
)
def test_yes_and_no_as_written(text: str, meant: bool) -> None:
    assert parse_yes_no(text) is meant


@pytest.mark.parametrize("text", ["sure I don't", "yes I'm not sure", "yes but later", "maybe"])
def test_a_yes_turned_round_is_neither(text: str) -> None:
    assert parse_yes_no(text) is None


# level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("new-ish", "first_time"),
        ("still new", "first_time"),
        ("not new", "experienced"),
        ("not that new", "experienced"),
        ("I manage people", "experienced"),
        ("I manage 8 people", "experienced"),
        ("I have 5 direct reports", "experienced"),
        ("I run the sales team", "experienced"),
        ("I lead our product design team", "experienced"),
        ("I run engineering", "senior"),
        ("head of sales", "senior"),
        ("I lead managers", "senior"),
        ("new manager", "first_time"),
    ],
)
def test_level_in_more_words(text: str, level: str) -> None:
    assert parse_level(text) == level


@pytest.mark.parametrize("text", ["I like pizza", "people", "new here?", "renewal season"])
def test_level_not_guessed_from_stray_words(text: str) -> None:
    assert parse_level(text) is None


# scores


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("eh 5", 5),
        ("ok 7", 7),
        ("7 - feeling good", 7),
        ("6, I have a plan but time is tight", 6),
        ("7 because I know what to do", 7),
        ("seven, because I've done it before", 7),
        ("8/10 - solid", 8),
        ("7 (I think)", 7),
        ("zero, honestly", 0),
        ("about a 6", 6),
        ("8 maybe", 8),
        ("10!!", 10),
        ("7 outta 10", 7),
        ("8 for sure", 8),
        ("8 lol", 8),
        ("8 :)", 8),
        ("10/10 💪", 10),
        ("10 obviously", 10),
        ("7 😅 honestly", 7),
    ],
)
def test_a_score_with_its_reason_is_read(text: str, value: int) -> None:
    assert parse_score(text, 0, 10) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("7, maybe 8", "score_format"),
        ("7-8", "score_format"),
        ("5 or 6", "score_format"),
        ("10 but realistically seven", "score_format"),
        ("7 because 3 things block me", "score_format"),
        ("6.5", "score_format"),
        ("pretty low, honestly", "score_format"),
        ("11, I am pumped", "score_range"),
    ],
)
def test_two_numbers_or_none_are_still_asked_again(text: str, reason: str) -> None:
    assert parse_score(text, 0, 10) == Invalid(reason)


# time zones


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("east coast", "America/New_York"),
        ("US west coast", "America/Los_Angeles"),
        ("west London", "Europe/London"),
        ("east london", "Europe/London"),
        ("north carolina", "America/New_York"),
        ("central europe", "Europe/Berlin"),
        ("east africa", "Africa/Nairobi"),
        ("Saskatchewan", "America/Regina"),
        ("New South Wales", "Australia/Sydney"),
        # what already held
        ("pacific", "America/Los_Angeles"),
        ("central", "America/Chicago"),
        ("Eastern time", "America/New_York"),
        ("WEST", "Europe/Lisbon"),
        ("south africa", "Africa/Johannesburg"),
        ("northern ireland", "Europe/London"),
        ("Berlin, Germany", "Europe/Berlin"),
        ("I'm in São Paulo", "America/Sao_Paulo"),
        ("London time", "Europe/London"),
        ("GMT+2", "Etc/GMT-2"),
    ],
)
def test_regions_and_compass_words(text: str, zone: str) -> None:
    assert parse_zone(text) == zone


@pytest.mark.parametrize("text", ["north", "east", "west midlands", "upper east side"])
def test_a_compass_word_alone_is_no_zone(text: str) -> None:
    # Once "north" was Australia/North and "east coast" Brazil/East: better asked again.
    assert parse_zone(text) == Invalid("timezone")


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("west africa", {"Africa/Lagos", "Africa/Abidjan"}),
        ("eastern europe", {"Europe/Bucharest", "Europe/Moscow"}),
    ],
)
def test_regions_over_several_zones_are_asked_about(text: str, candidates: set[str]) -> None:
    found = parse_zone(text)
    assert isinstance(found, AmbiguousZone) and set(found.candidates) == candidates


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Etc/GMT-2", "UTC+2"),
        ("Etc/GMT+5", "UTC-5"),
        ("Etc/GMT-14", "UTC+14"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_an_offset_zone_is_read_back_as_the_leader_wrote_it(zone: str, label: str) -> None:
    assert zone_label(zone) == label
    assert zone_readback(zone, datetime(2026, 11, 25, 15, 0, tzinfo=UTC)).startswith(f"{label} — ")


def test_gmt_plus_two_at_onboarding_is_read_back_as_utc_plus_two_and_stored_as_its_zone() -> None:
    coach = Coach()
    for answer in ("hello", "yes", "Ann", "first time"):
        coach.say(answer)
    coach.say("GMT+2")
    assert coach.conv.profile.timezone == "Etc/GMT-2"
    assert coach.texts[0] in phrasings("nudges", "understood_zone", zone="UTC+2 — 17:00 there now")
    assert not any("GMT-2" in text for text in coach.texts)


# dates: the clock is Wednesday 25 Nov 2026


WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("end of Jan", date(2027, 1, 31)),
        ("by the end of January", date(2027, 1, 31)),
        ("jan end", date(2027, 1, 31)),
        ("mid-March", date(2027, 3, 15)),
        ("middle of march", date(2027, 3, 15)),
        ("early Feb", date(2027, 2, 10)),
        ("by early December", date(2026, 12, 10)),
        ("late March", date(2027, 3, 31)),
        ("start of April", date(2027, 4, 1)),
        ("end of November", date(2026, 11, 30)),
        ("end of the quarter", date(2026, 12, 31)),
        ("end of Q1", date(2027, 3, 31)),
        ("Q1 end", date(2027, 3, 31)),
        ("mid next week", date(2026, 12, 2)),
        ("midweek", date(2026, 11, 25)),
        ("weds", date(2026, 12, 2)),
        ("next wk", date(2026, 12, 2)),
        ("in 2 wks", date(2026, 12, 9)),
        ("2 days", date(2026, 11, 27)),
        ("3 weeks", date(2026, 12, 16)),
        ("in 3 weeks", date(2026, 12, 16)),
        ("this afternoon", date(2026, 11, 25)),
        ("later today", date(2026, 11, 25)),
        ("end of day", date(2026, 11, 25)),
        ("COB", date(2026, 11, 25)),
        ("by xmas", date(2026, 12, 25)),
        ("before Christmas", date(2026, 12, 25)),
        ("new year", date(2027, 1, 1)),
        ("1/5", date(2027, 1, 5)),  # 1 May has passed; 5 January is still to come
        # what already held
        ("by Friday next week", date(2026, 12, 4)),
        ("early friday", date(2026, 11, 27)),
        ("tomorrow morning", date(2026, 11, 26)),
        ("5/1", date(2027, 1, 5)),
    ],
)
def test_deadlines_as_people_write_them(text: str, expected: date) -> None:
    result = parse_when(text, WEDNESDAY)
    assert isinstance(result, WhenResult) and result.date == expected, result


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("early November", "date_past"),  # the 10th has gone by this month
        ("23/11", "date_past"),
        ("later", "date_format"),
        ("this", "date_format"),
        ("q1", "date_format"),  # the start or the end of it? asked again
        ("before the Q1 review", "date_format"),
        ("march", "date_format"),
        ("asap", "date_format"),
        ("7", "date_score"),
        ("7/10", "date_score"),
    ],
)
def test_what_names_no_day_is_still_asked_again(text: str, reason: str) -> None:
    assert parse_when(text, WEDNESDAY) == Invalid(reason)


@pytest.mark.parametrize(
    ("text", "said"), [("end of Jan", "Sun 31 Jan 2027"), ("mid-March", "Mon 15 Mar 2027")]
)
def test_the_action_deadline_is_read_back_as_a_day(text: str, said: str) -> None:
    coach = grow_coach().drive_to("will_when")
    coach.say(text)
    assert coach.conv.state == "will_support"
    assert coach.texts[0] in phrasings("nudges", "understood_date", when=said)


# check-in replies in words


def checked_in() -> Coach:
    coach = Coach(conv=consented(), lookup=FakeLookup([goal_view()], [checkin_view()]))
    coach.timer(7)
    assert coach.asked("checkin", "did", action="talk to Sam about deadlines")
    return coach


@pytest.mark.parametrize(
    ("reply", "outcome", "label"),
    [
        ("did it yesterday", "done", "Done"),
        ("I did", "done", "Done"),
        ("Done ✅", "done", "Done"),
        ("yes I did it on Monday", "done", "Done"),
        ("nailed it!", "done", "Done"),
        ("half done", "partly", "Partly"),
        ("kinda", "partly", "Partly"),
        ("sort of", "partly", "Partly"),
        ("mostly", "partly", "Partly"),
        ("started", "partly", "Partly"),
        ("didn't finish but half done", "partly", "Partly"),
        ("not yet, next week", "not_yet", "Not yet"),
        ("didn't get to it", "not_yet", "Not yet"),
        ("not done", "not_yet", "Not yet"),
        ("no, forgot", "not_yet", "Not yet"),
        ("nope", "not_yet", "Not yet"),
    ],
)
def test_a_check_in_reply_in_words_is_read_back_and_stored(reply: str, outcome: str, label: str) -> None:
    coach = checked_in()
    coach.say(reply)
    assert coach.texts[0] in phrasings("nudges", "understood_choice", choice=label)
    assert CheckinResolved(7, outcome) in coach.outcome.records
    assert [r.text for r in records_of(coach.outcome.records, AnswerGiven)] == [label]
    assert coach.conv.state == "reflect"


@pytest.mark.parametrize("reply", ["remind me tomorrow", "later", "not now"])
def test_later_in_words_snoozes_the_check_in(reply: str) -> None:
    coach = checked_in()
    coach.say(reply)
    assert coach.texts[0] in phrasings("nudges", "understood_choice", choice="Snooze a day")
    assert records_of(coach.outcome.records, CheckinSnoozed)
    assert not records_of(coach.outcome.records, CheckinResolved)


@pytest.mark.parametrize(
    ("reply", "outcome"), [("done", "done"), ("yes!", "done"), ("no", "not_yet"), ("2", "partly")]
)
def test_buttons_words_yes_and_no_at_the_check_in_mean_what_they_meant(reply: str, outcome: str) -> None:
    coach = checked_in()
    coach.say(reply)
    assert CheckinResolved(7, outcome) in coach.outcome.records


@pytest.mark.parametrize("reply", ["the weather was lovely", "first thing tomorrow", "😅"])
def test_a_check_in_reply_naming_no_option_is_refused(reply: str) -> None:
    coach = checked_in()
    coach.say(reply)
    assert coach.texts[0] in phrasings("errors", "choice")
    assert coach.outcome.records == []
    assert coach.conv.state == "did"


# /goals in words

SECOND = goal_view(goal_id="goal-2", text="delegate the weekly report", action=None, action_due=None)


def listing_goals() -> Coach:
    coach = Coach(conv=consented(), lookup=FakeLookup([goal_view(), SECOND]))
    coach.command("goals")
    return coach


@pytest.mark.parametrize(
    ("pick", "goal"),
    [
        ("the first one", "stop avoiding difficult conversations with my team"),
        ("I achieved the first one", "stop avoiding difficult conversations with my team"),
        ("2nd", "delegate the weekly report"),
        ("#2", "delegate the weekly report"),
        ("the last one", "delegate the weekly report"),
        ("1", "stop avoiding difficult conversations with my team"),
    ],
)
def test_a_goal_named_by_its_place_is_the_one_asked_about(pick: str, goal: str) -> None:
    coach = listing_goals()
    coach.say(pick)
    assert coach.conv.state == "how"
    assert goal in coach.question.text


@pytest.mark.parametrize("pick", ["leave them", "none of them", "keep them all", "3"])
def test_leaving_the_goals_in_words(pick: str) -> None:
    coach = listing_goals()
    coach.say(pick)
    assert coach.said("goals", "left")
    assert coach.outcome.records == []


@pytest.mark.parametrize("pick", ["drop it", "the first or the second", "5th"])
def test_a_goal_pick_that_names_no_single_goal_is_refused(pick: str) -> None:
    coach = listing_goals()
    coach.say(pick)
    assert coach.texts[0] in phrasings("errors", "choice")
    assert coach.conv.state == "pick"


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("I achieved it", "achieved"),
        ("done", "achieved"),
        ("finished", "achieved"),
        ("drop it", "dropped"),
        ("abandon", "dropped"),
        ("not relevant anymore", "dropped"),
        ("no longer a priority", "dropped"),
        ("Dropped", "dropped"),
    ],
)
def test_closing_a_goal_in_words(how: str, reason: str) -> None:
    coach = listing_goals()
    coach.say("1")
    coach.say(how)
    assert coach.outcome.records == [GoalClosed("goal-1", reason), CheckinsCancelled("goal-1")]


@pytest.mark.parametrize("how", ["keep it", "keep going", "still working on it", "not done yet"])
def test_keeping_a_goal_open_in_words(how: str) -> None:
    coach = listing_goals()
    coach.say("1")
    coach.say(how)
    assert coach.outcome.records == []
    assert coach.conv.flow == "idle"


@pytest.mark.parametrize("ending", ["that's enough", "done", "I'm out of ideas", "ok that's it", "all good"])
def test_closing_the_options_list_in_more_words_saves_no_option(ending: str) -> None:
    coach = grow_coach(level="experienced").drive_to("options_more")
    coach.say(ending)
    assert coach.conv.state == "options_pick"
    assert coach.conv.data["options"] == ["rehearse with a peer"]


def test_an_option_that_starts_with_done_is_kept() -> None:
    coach = grow_coach(level="experienced").drive_to("options_more")
    coach.say("done-for-you agenda template")
    assert coach.conv.data["options"] == ["rehearse with a peer", "done-for-you agenda template"]


@pytest.mark.parametrize("thin", ["ok", "yes", "👍", "1"])
def test_ok_or_a_number_at_anything_else_ends_the_list_and_is_never_an_option(thin: str) -> None:
    coach = grow_coach(level="experienced").drive_to("options_more")
    coach.say(thin)
    assert coach.conv.state == "options_pick"
    assert coach.labels() == ["rehearse with a peer"]
    assert answers_given(coach, "options_more") == []


def test_a_short_real_option_is_still_an_option() -> None:
    coach = grow_coach(level="experienced").drive_to("options_more")
    coach.say("ask Sam")
    assert coach.conv.state == "options_more"
    assert coach.conv.data["options"] == ["rehearse with a peer", "ask Sam"]


@pytest.mark.parametrize(
    ("reply", "agreed"), [("I agree", True), ("that's fine", True), ("maybe later", False)]
)
def test_consent_in_words(reply: str, agreed: bool) -> None:
    coach = Coach()
    coach.say("hi")
    coach.say(reply)
    assert (coach.conv.state == "name") is agreed
    assert bool(records_of(coach.outcome.records, ProfileUpdated)) is agreed


def answers_given(coach: Coach, step: str) -> list[str]:
    return [record.text for record in records_of(coach.records, AnswerGiven) if record.step == step]


# weak answers


@pytest.mark.parametrize("text", ["do it", "I'll just do it", "sort it out", "prioritise", "delegate", "try"])
def test_an_action_that_names_no_step_is_questioned(text: str) -> None:
    assert is_vague_action(text)


@pytest.mark.parametrize(
    "text",
    ["do it on Friday", "delegate the report to Ana", "try the new agenda", "have the conversation with Sam"],
)
def test_an_action_with_a_step_is_not_questioned(text: str) -> None:
    assert not is_vague_action(text)


@pytest.mark.parametrize("text", ["lol", "haha", "x"])
def test_laughter_or_a_letter_is_not_a_goal(text: str) -> None:
    assert looks_like_nonsense(text)


@pytest.mark.parametrize(
    ("text", "empty"), [("tbd", True), ("still deciding", True), ("tbd by friday", False)]
)
def test_not_decided_yet_is_a_non_answer(text: str, empty: bool) -> None:
    assert is_non_answer(text) is empty


# dates with their weekday, corrections, and picking a reading


@pytest.mark.parametrize(
    ("text", "expected", "other"),
    [
        ("Fri 4 Dec", date(2026, 12, 4), None),  # the way the coach reads dates back
        ("Friday the 4th", date(2026, 12, 4), None),
        ("thursday 3/12", date(2026, 12, 3), None),
        ("Thu 4 Dec", date(2026, 12, 4), date(2026, 12, 3)),  # 4 Dec is a Friday: ask
        ("nope, this friday", date(2026, 11, 27), None),
        ("actually the 4th", date(2026, 12, 4), None),
        ("I meant Fri 4 Dec", date(2026, 12, 4), None),
        ("make it monday", date(2026, 11, 30), None),
        # what already held
        ("no later than friday", date(2026, 11, 27), None),
        ("friday next week", date(2026, 12, 4), None),
    ],
)
def test_a_date_with_its_weekday_or_after_a_correction(text: str, expected: date, other: date | None) -> None:
    result = parse_when(text, WEDNESDAY)
    assert isinstance(result, WhenResult)
    assert (result.date, result.alternative) == (expected, other)


@pytest.mark.parametrize(
    ("reply", "stored"),
    [
        ("nope, this friday", "2026-11-27"),  # once read as a bare "no": Tue 1 Dec
        ("the first", "2026-12-08"),
        ("the second one", "2026-12-01"),
        ("Fri 4 Dec", "2026-12-04"),
        ("yes", "2026-12-08"),
        ("no", "2026-12-01"),
    ],
)
def test_answering_which_day_was_meant(reply: str, stored: str) -> None:
    coach = grow_coach().drive_to("will_when")
    coach.say("next tuesday")
    assert coach.conv.state == "will_when" and len(coach.labels()) == 2
    coach.say(reply)
    assert coach.conv.state == "will_support"
    assert answers_given(coach, "will_when") == [stored]


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("I moved to Berlin", "Europe/Berlin"),
        ("back in London", "Europe/London"),
        ("travelling in Tokyo", "Asia/Tokyo"),
        ("Arizona", "America/Phoenix"),
        ("colorado", "America/Denver"),
        ("Texas", "America/Chicago"),
    ],
)
def test_zone_after_a_move_or_by_state(text: str, zone: str) -> None:
    assert parse_zone(text) == zone


@pytest.mark.parametrize(
    ("reply", "zone"), [("the first", "America/Denver"), ("the second one", "America/Phoenix")]
)
def test_an_ambiguous_zone_picked_by_its_place(reply: str, zone: str) -> None:
    coach = Coach()
    for answer in ("hello", "yes", "Ann", "first time", "mountain"):
        coach.say(answer)
    coach.say(reply)
    assert coach.conv.profile.timezone == zone


# what next, in words

RECAP = RecapView(
    goal_id="goal-1",
    goal_text="stop avoiding difficult conversations with my team",
    action="talk to Sam about deadlines",
    action_due=date(2026, 11, 27),
    if_then="if a launch clashes, move the one-to-one to Tuesday",
    checkin_outcome="partly",
    ratings=(),
)


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        ("keep it", "idle"),
        ("leave it", "idle"),
        ("change the goal", "goal"),
        ("the goal", "goal"),
        ("tweak the action", "will_action"),
        ("smaller step", "will_action"),
        ("2", "will_action"),
    ],
)
def test_what_to_do_about_a_low_commitment_in_words(reply: str, state: str) -> None:
    coach = grow_coach().drive_to("will_low_next")
    coach.say(reply)
    assert coach.conv.state == state


@pytest.mark.parametrize("reply", ["yes", "no", "maybe"])
def test_yes_or_no_to_what_next_is_asked_again(reply: str) -> None:
    coach = grow_coach().drive_to("will_low_next")
    coach.say(reply)
    assert coach.conv.state == "will_low_next"
    assert coach.texts[0] in phrasings("errors", "choice")


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        ("same goal", "reality_now"),
        ("the same one", "reality_now"),
        ("keep going with it", "reality_now"),
        ("new goal", "goal"),
        ("something else", "goal"),
        ("a different one", "goal"),
    ],
)
def test_keeping_the_last_goal_or_another_in_words(reply: str, state: str) -> None:
    coach = Coach(conv=consented(level="experienced"), lookup=FakeLookup([goal_view()], recap=RECAP))
    coach.command("new")
    assert coach.conv.state == "opening"
    coach.say(reply)
    assert coach.conv.state == state


# a question about the question


@pytest.mark.parametrize(
    "reply",
    ["hi", "hello?", "help", "what?", "what do you mean?", "I don't understand", "can you give an example?"],
)
def test_a_question_about_the_goal_question_is_never_the_goal(reply: str) -> None:
    coach = grow_coach()
    coach.say(reply)
    assert coach.conv.state == "goal"
    assert coach.question.text in phrasings("nudges", "content.grow.goal")
    assert records_of(coach.outcome.records, GoalOpened) == []


@pytest.mark.parametrize("reply", ["what do you mean?", "help"])
def test_a_question_about_the_example_question_is_never_the_example(reply: str) -> None:
    coach = grow_coach().drive_to("reality_now")
    coach.say(reply)
    assert coach.conv.state == "reality_now"
    assert answers_given(coach, "reality_now") == []


@pytest.mark.parametrize(
    "goal", ["Help my team grow", "stop interrupting people in meetings", "what my team needs"]
)
def test_a_goal_that_starts_like_a_question_about_it_is_a_goal(goal: str) -> None:
    coach = grow_coach()
    coach.say(goal)
    assert [record.text for record in records_of(coach.outcome.records, GoalOpened)] == [goal]
