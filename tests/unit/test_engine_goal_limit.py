"""At most three open goals: a fourth waits, in the leader's words, until one is closed
or the leader gives the session to one they hold."""

from __future__ import annotations

from flows.engine import CoachEngine
from flows.quoting import quote
from flows.records import (
    AnswerGiven,
    CheckinsCancelled,
    GoalClosed,
    GoalOpened,
    SessionGoalSet,
)
from flows.settings import MAX_ACTIVE_GOALS
from tests.support.coach_driver import Coach, FakeLookup, consented, goal_view, records_of

HELD = [
    goal_view(goal_id="goal-a", text="stop avoiding difficult conversations with my team"),
    goal_view(goal_id="goal-b", text="delegate the weekly report to Priya"),
    goal_view(goal_id="goal-c", text="give feedback in the week it happens"),
]
NEW_GOAL = "run the Monday stand-up without checking my phone"


def at_the_goal(goals: list, level: str = "experienced") -> Coach:  # type: ignore[type-arg]
    coach = Coach(conv=consented(level=level), lookup=FakeLookup(goals), engine=CoachEngine())
    coach.command("new")
    assert coach.conv.state == "goal"
    return coach


def test_the_limit_is_three() -> None:
    assert MAX_ACTIVE_GOALS == 3


def test_a_fourth_goal_is_kept_in_their_words_and_the_three_are_offered() -> None:
    coach = at_the_goal(HELD)
    coach.say(NEW_GOAL)
    records = coach.outcome.records
    assert not records_of(records, GoalOpened)
    # What they typed is stored with the session, and shown back.
    assert any(isinstance(r, AnswerGiven) and r.text == NEW_GOAL for r in records)
    assert coach.conv.state == "goal_full"
    assert NEW_GOAL in coach.question.text
    for goal in HELD:
        assert goal.text in coach.question.text
    assert coach.labels() == [quote(goal.text, 40) for goal in HELD]


def test_drop_the_second_one_closes_it_and_opens_the_new_goal() -> None:
    coach = at_the_goal(HELD)
    coach.say(NEW_GOAL)
    coach.say("drop the second one")
    records = coach.outcome.records
    assert GoalClosed("goal-b", "dropped") in records
    assert CheckinsCancelled("goal-b") in records
    (opened,) = records_of(records, GoalOpened)
    assert opened.text == NEW_GOAL
    assert SessionGoalSet(coach.conv.data["session_id"], opened.goal_id) in records
    assert coach.said(
        "grow", "room_made", "dropped", held_goal="delegate the weekly report to Priya", new_goal=NEW_GOAL
    )
    assert coach.conv.state == "goal_measure"


def test_a_goal_picked_by_its_button_then_achieved() -> None:
    coach = at_the_goal(HELD)
    coach.say(NEW_GOAL)
    coach.choose("0")
    assert coach.conv.state == "goal_full_how"
    assert coach.labels() == ["Achieved — close it", "Drop it", "Carry on with it instead"]
    coach.say("it's done actually")
    records = coach.outcome.records
    assert GoalClosed("goal-a", "achieved") in records
    assert records_of(records, GoalOpened)[0].text == NEW_GOAL


def test_named_by_its_words_and_carried_on_with_instead() -> None:
    coach = at_the_goal(HELD)
    coach.say(NEW_GOAL)
    coach.say("let's carry on with the delegation one instead")
    records = coach.outcome.records
    assert not records_of(records, GoalClosed) and not records_of(records, GoalOpened)
    assert SessionGoalSet(coach.conv.data["session_id"], "goal-b") in records
    assert coach.said(
        "grow", "room_made", "continue", held_goal="delegate the weekly report to Priya", new_goal=NEW_GOAL
    )
    # Carried on: where things stand now on that goal, not a fresh goal.
    assert coach.conv.state == "reality_now"
    assert coach.conv.data["goal_id"] == "goal-b"


def test_an_answer_that_names_no_goal_asks_again() -> None:
    coach = at_the_goal(HELD)
    coach.say(NEW_GOAL)
    coach.say("hmm not sure")
    assert coach.conv.state == "goal_full"
    assert not records_of(coach.outcome.records, GoalClosed)


def test_a_vague_new_goal_is_sharpened_once_room_is_made() -> None:
    coach = at_the_goal(HELD, level="first_time")
    coach.say("be a better communicator at work")  # vague: the goal step challenges it once
    if coach.conv.state == "goal":
        coach.say("be a better communicator at work")
    assert coach.conv.state == "goal_full"
    coach.say("the third is achieved")
    assert GoalClosed("goal-c", "achieved") in coach.outcome.records
    assert coach.conv.state == "goal_concrete"


def test_two_goals_leave_room_for_a_third() -> None:
    coach = at_the_goal(HELD[:2])
    coach.say(NEW_GOAL)
    assert records_of(coach.outcome.records, GoalOpened)[0].text == NEW_GOAL
    assert coach.conv.state == "goal_measure"
