"""A coach that listens and remembers: the leader's own words, one question at a time,
a short first session for experienced leaders, sessions that open from the last one,
check-ins that recall the plan, and goals with a life cycle (issue 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flows.records import (
    AnswerGiven,
    CheckinResolved,
    CheckinsCancelled,
    GoalClosed,
    ScoreGiven,
    SessionClosed,
    SessionGoalSet,
)
from flows.registry import FLOWS
from flows.views import Rating, RecapView
from tests.support.coach_driver import (
    CONTENT,
    Coach,
    FakeLookup,
    checkin_view,
    consented,
    goal_view,
    grow_coach,
    phrasings,
    records_of,
)

CONCRETE = "stop avoiding difficult conversations with my team"
PLAN = "if a launch clashes, move the one-to-one to Tuesday"
RECAP = RecapView(
    goal_id="goal-1",
    goal_text=CONCRETE,
    action="talk to Sam about deadlines",
    action_due=date(2026, 11, 27),
    if_then=PLAN,
    checkin_outcome="partly",
    ratings=(
        Rating(4, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "baseline"),
        Rating(6, datetime(2026, 12, 8, 9, 0, tzinfo=UTC), "checkin"),
    ),
)


def idle(lookup: FakeLookup | None = None, level: str = "experienced") -> Coach:
    return Coach(conv=consented(level=level), lookup=lookup or FakeLookup())


# the leader's own words


def test_the_baseline_names_the_goal_and_options_recall_today() -> None:
    coach = grow_coach("senior")
    coach.say(CONCRETE)
    coach.say("my team raises issues in the weekly meeting")
    coach.say("the launch pushed my one-to-ones out again")
    assert coach.conv.state == "reality_baseline"
    assert f"“{CONCRETE}”" in coach.question.text
    coach.say("4")
    assert coach.asked("grow", "options_first", "recall")
    assert "“the launch pushed my one-to-ones out again”" in coach.question.text


def test_the_recap_quotes_long_words_trimmed_at_a_word() -> None:
    long_action = (
        "about 4 times a week sit down with Sam and the two new analysts and go through every late "
        "report line by line until the pattern is clear"
    )
    coach = grow_coach("senior")
    for answer in (
        CONCRETE,
        "they tell me",
        "the launch pushed my one-to-ones out",
        "4",
        "rehearse\nbook a slot\nask HR",  # several ideas in one message count as several
        "1",
        long_action,
        "friday",
        PLAN,
        "9",
    ):
        coach.say(answer)
    recap = coach.texts[-1]
    assert "You'll" not in recap
    action_line = next(line for line in recap.splitlines() if line.startswith("• Action:"))
    quoted = action_line.split("“")[1].split("”")[0]
    assert quoted.endswith("…") and len(quoted) <= 90
    # Cut between words: what is left is the start of the leader's text, word for word.
    assert long_action.startswith(quoted.removesuffix("…"))
    assert long_action[len(quoted) - 1] == " "
    assert f"Goal: “{CONCRETE}”" in recap
    # What is stored is the whole answer, not the trimmed quote.
    assert coach.conv.data == {"last_recap": recap}


# one question at a time


def _question_phrasings() -> list[tuple[str, str]]:
    found = []
    for flow, spec in FLOWS.items():
        node = CONTENT.flows[flow]
        for state in spec.questions:
            for table in (node[state], *(node[state].get(s, {}) for s in ("guided", "open"))):
                for field, value in table.items():
                    if field != "labels" and isinstance(value, list):
                        found += [(f"{flow}.{state}.{field}", text) for text in value]
    return found


@pytest.mark.parametrize(("where", "text"), _question_phrasings(), ids=[w for w, _ in _question_phrasings()])
def test_no_question_asks_two_things(where: str, text: str) -> None:
    # Earlier answers and the recap are the leader's words, not questions of ours.
    blank = text.format_map(_AnyKey(earlier="", recap=""))
    assert blank.count("?") <= 1, where


class _AnyKey(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "x"


def test_how_you_will_know_and_by_when_are_two_steps_for_first_time_managers() -> None:
    coach = grow_coach("first_time")
    coach.say(CONCRETE)
    assert coach.asked("grow", "goal_measure")
    coach.say("my team says so")
    assert coach.asked("grow", "goal_by_when")
    coach.say("by March")
    assert coach.conv.state == "reality_now"
    assert coach.conv.data["answers"]["goal_by_when"] == "by March"


# a short first session


def _questions_in_a_first_session(level: str) -> int:
    """Questions a scripted leader is asked from their first goal to the recap."""
    coach = grow_coach(level)
    answers = {
        "goal": CONCRETE,
        "goal_measure": "my team tells me issues come up early",
        "goal_by_when": "by the end of January",
        "reality_now": "last week I let a late report slide",
        "reality_tried": "notes I never used",
        "reality_cost": "deadlines stop meaning anything",
        "reality_baseline": "4",
        "options_first": "rehearse with a peer",
        "options_more": "book a weekly slot",
        "options_bold": "skip",
        "options_pick": "1",
        "will_action": "talk to Sam about deadlines",
        "will_when": "friday",
        "will_support": "my manager",
        "will_obstacle": "I put it off",
        "will_if_then": "if I put it off then I book a room at once",
        "will_commitment": "9",
    }
    asked = 1  # the goal question, asked when onboarding ends
    while coach.conv.flow == "grow":
        coach.say(answers[coach.conv.state])
        asked += sum(1 for reply in coach.replies if reply.question is not None and coach.conv.flow == "grow")
    assert any("Commitment: 9/10" in text for text in coach.texts)
    return asked


@pytest.mark.parametrize("level", ["experienced", "senior", "executive"])
def test_an_experienced_leader_gets_at_most_twelve_questions(level: str) -> None:
    assert _questions_in_a_first_session(level) <= 12


def test_a_first_time_manager_gets_more_structure() -> None:
    assert _questions_in_a_first_session("first_time") > _questions_in_a_first_session("experienced")


# sessions open with where the leader is


def test_a_new_session_opens_with_the_last_goal_action_check_in_and_trend() -> None:
    coach = idle(FakeLookup(goals=[goal_view()], recap=RECAP))
    coach.command("new")
    assert coach.conv.state == "opening"
    text = coach.question.text
    for part in (
        f"“{CONCRETE}”",
        "“talk to Sam about deadlines”",
        "Fri 27 Nov",
        PLAN,
        "4 → 6",
        "since 1 Dec",
    ):
        assert part in text, text
    assert any(line in text for line in phrasings("grow", "where_you_are", "checkin_partly"))
    assert coach.labels() == ["Keep this goal", "Start another goal"]


def test_continuing_the_goal_asks_what_happened_since_and_rates_progress() -> None:
    coach = idle(FakeLookup(goals=[goal_view()], recap=RECAP))
    coach.command("new")
    session_id = coach.conv.data["session_id"]
    coach.choose("continue")
    assert SessionGoalSet(session_id, "goal-1") in coach.outcome.records
    assert coach.asked("grow", "reality_now", "again")
    coach.say("the launch came and I kept the one-to-one")
    assert coach.asked("grow", "reality_baseline", "again")
    coach.say("7")
    # The first baseline stays the baseline; this one shows the change.
    assert records_of(coach.outcome.records, ScoreGiven) == [ScoreGiven("goal-1", session_id, "checkin", 7)]
    assert coach.conv.data["vars"]["baseline"] == 4


def test_another_goal_starts_at_the_goal_question() -> None:
    coach = idle(FakeLookup(goals=[goal_view()], recap=RECAP))
    coach.command("new")
    coach.say("Start another goal")
    assert coach.conv.state == "goal" and coach.asked("grow", "goal")
    assert coach.conv.data.get("goal_id") is None


def test_a_leader_without_history_goes_straight_to_the_goal() -> None:
    coach = idle()
    coach.command("new")
    assert coach.conv.state == "goal"


# check-ins recall the plan and comment on change


def test_a_check_in_recalls_the_plan_and_comments_on_change_since_the_baseline() -> None:
    view = checkin_view(if_then=PLAN, baseline=4)
    coach = idle(FakeLookup(checkins=[view]))
    coach.timer(view.checkin_id)
    assert PLAN in coach.question.text
    assert coach.asked("checkin", "did", "recall_plan")
    coach.choose("partly")
    coach.say("the launch moved and I forgot the plan")
    coach.say("6")
    assert any(text in coach.texts for text in phrasings("checkin", "change", "up", rating=6, baseline=4))
    assert ScoreGiven("goal-1", coach.conv.data["session_id"], "checkin", 6) in coach.outcome.records


def test_a_rating_below_the_baseline_is_named_too() -> None:
    view = checkin_view(baseline=5)
    coach = idle(FakeLookup(checkins=[view]))
    coach.timer(view.checkin_id)
    assert coach.asked("checkin", "did")  # no plan stored: the plain question
    coach.choose("not_yet")
    coach.say("too busy")
    coach.say("3")
    assert any(text in coach.texts for text in phrasings("checkin", "change", "down", rating=3, baseline=5))


def test_done_cancels_the_actions_remaining_nudges_but_keeps_the_next_session() -> None:
    reminder = checkin_view(checkin_id=9, kind="next_session", due_at=datetime(2026, 12, 9, 9, tzinfo=UTC))
    view = checkin_view()
    coach = idle(FakeLookup(checkins=[view, checkin_view(checkin_id=8, kind="action_due"), reminder]))
    coach.timer(view.checkin_id)
    coach.choose("done")
    assert [r for r in coach.outcome.records if not isinstance(r, AnswerGiven)] == [
        CheckinResolved(7, "done"),
        CheckinsCancelled("goal-1", ("first", "midway", "action_due")),
    ]


# the low-commitment reply


def test_the_low_commitment_reply_never_repeats_in_a_session() -> None:
    coach = grow_coach("senior")
    for answer in (
        CONCRETE,
        "they tell me",
        "the launch",
        "4",
        "a\nb\nc",
        "1",
        "talk to Sam",
        "friday",
        PLAN,
    ):
        coach.say(answer)
    seen = []
    for score in ("5", "6", "4"):
        coach.say(score)
        assert coach.conv.state == "will_raise"
        seen.append(coach.question.text)
        coach.say("a smaller step")
        coach.say("Adjust the action")
        coach.say("talk to Sam for ten minutes")
        coach.say("friday")
        coach.say(PLAN)
    assert len(set(seen)) == 3, seen


# /goals and closing a goal


def test_goals_lists_active_goals_and_closing_one_cancels_its_check_ins() -> None:
    other = goal_view(goal_id="goal-2", text="delegate the weekly report", action=None, action_due=None)
    coach = idle(FakeLookup(goals=[goal_view(), other]))
    coach.command("goals")
    listing = coach.texts[0]
    assert f"1. {CONCRETE}" in listing and "2. delegate the weekly report" in listing
    assert "talk to Sam about deadlines (27 Nov)" in listing
    assert coach.labels()[:2] == [CONCRETE[:40].rsplit(" ", 1)[0] + "…", "delegate the weekly report"]
    coach.choose("1")
    assert CONCRETE not in coach.question.text and "delegate the weekly report" in coach.question.text
    coach.say("Achieved")
    assert coach.outcome.records == [GoalClosed("goal-2", "achieved"), CheckinsCancelled("goal-2")]
    assert any(
        text in coach.texts
        for text in phrasings("goals", "closed", "achieved", goal="delegate the weekly report")
    )
    assert coach.conv.flow == "idle"


def test_goals_can_be_left_as_they_are() -> None:
    coach = idle(FakeLookup(goals=[goal_view()]))
    coach.command("goals")
    coach.choose("1")  # the last button: leave them
    assert coach.outcome.records == []
    assert coach.said("goals", "left")


def test_goals_without_any() -> None:
    coach = idle()
    coach.command("goals")
    assert coach.said("goals", "none")


# /new in the middle of a session


def test_new_mid_session_can_be_declined_and_the_question_comes_back() -> None:
    coach = grow_coach("senior")
    coach.say(CONCRETE)
    before = coach.conv.data["session_id"]
    coach.command("new")
    assert coach.asked("common", "abandon", "ask_goal", goal=CONCRETE)
    coach.say("my team tells me")  # a typed answer still answers the question asked
    assert coach.conv.state == "reality_now"
    coach.command("new")
    coach.choose("cmd:stay")
    assert coach.said("common", "stay")
    assert coach.asked("grow", "reality_now")
    assert coach.conv.data["session_id"] == before
    assert records_of(coach.records, SessionClosed) == []


def test_an_old_abandon_button_does_nothing_outside_a_session() -> None:
    coach = idle()
    coach.conv.question_seq = 3
    coach.choose("cmd:abandon", 3)
    assert coach.outcome.records == []
    assert coach.conv.flow == "idle"
