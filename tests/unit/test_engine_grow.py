"""The GROW session, step by step: Goal, Reality, Options, Will and the 8/10 rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flows.grow import FLOW as GROW
from flows.records import (
    ActionAgreed,
    AnswerGiven,
    CheckinPlanned,
    CheckinsCancelled,
    EngagementSessionHeld,
    GoalOpened,
    GoalRevised,
    ScoreGiven,
    SessionClosed,
    SessionGoalSet,
)
from flows.schedule import format_local
from flows.session_reminders import REMINDER_KINDS
from tests.support.coach_driver import (
    CONTENT,
    GROW_PATH,
    GROW_QUESTIONS,
    Coach,
    grow_coach,
    phrasings,
    records_of,
)

EXAMPLES = CONTENT.items("grow", "options_pick", "examples", "guided")
CONCRETE = "stop avoiding difficult conversations with my team"
# The concrete path: no goal_concrete step, commitment 9.
COMMITTED_PATH = tuple(
    (state, {"goal": CONCRETE, "will_commitment": "9"}.get(state, answer))
    for state, answer in GROW_PATH
    if state != "goal_concrete"
)


def committed_coach(level: str = "first_time") -> Coach:
    coach = grow_coach(level)
    return coach.drive_to("will_commitment", COMMITTED_PATH)


def low_coach(level: str = "first_time") -> Coach:
    coach = grow_coach(level)
    coach.drive_to(
        "will_low_next", (*COMMITTED_PATH[:-3], ("will_commitment", "5"), ("will_raise", "smaller"))
    )
    return coach


def test_the_path_used_here_visits_every_grow_question() -> None:
    # "opening" comes only with a history: tests/unit/test_engine_memory.py covers it;
    # "goal_full*" only with three goals held: tests/unit/test_engine_goal_limit.py.
    assert set(GROW_QUESTIONS) | {"opening", "goal_full", "goal_full_how"} == set(GROW.questions)


# Goal


@pytest.mark.parametrize(
    "goal",
    [
        "be a better leader",
        "improve communication",
        "I want to improve my communication with the team",
        "become a more confident and effective manager",
        "delegate more",
    ],
)
def test_a_vague_goal_gets_the_concrete_follow_up(goal: str) -> None:
    coach = grow_coach()
    session_id = coach.conv.data["session_id"]
    coach.say(goal)
    assert coach.asked("grow", "goal_concrete")
    assert coach.conv.state == "goal_concrete"
    opened = records_of(coach.outcome.records, GoalOpened)
    assert [record.text for record in opened] == [goal]
    assert records_of(coach.outcome.records, SessionGoalSet) == [
        SessionGoalSet(session_id, opened[0].goal_id)
    ]
    assert records_of(coach.outcome.records, AnswerGiven) == [AnswerGiven(session_id, "goal", goal)]


@pytest.mark.parametrize(
    "goal",
    [
        CONCRETE,
        "give each direct report feedback within a week of the work",
        "let my deputy run the weekly planning meeting",
        "improve how I give feedback in weekly 1:1s",
    ],
)
def test_a_concrete_goal_goes_straight_to_how_it_will_be_measured(goal: str) -> None:
    coach = grow_coach()
    coach.say(goal)
    assert coach.asked("grow", "goal_measure")
    assert not any(text in phrasings("grow", "goal_concrete") for text in coach.texts)
    assert coach.conv.data["vars"]["goal"] == goal


def test_the_concrete_answer_sharpens_the_stored_goal() -> None:
    coach = grow_coach()
    coach.say("be a better leader")
    goal_id = coach.conv.data["goal_id"]
    coach.say("say no to extra projects in the weekly meeting")
    sharpened = "be a better leader — say no to extra projects in the weekly meeting"
    assert records_of(coach.outcome.records, GoalRevised) == [GoalRevised(goal_id, sharpened)]
    assert records_of(coach.outcome.records, GoalOpened) == []
    assert coach.asked("grow", "goal_measure")


# Reality


def test_reality_asks_now_tried_cost_then_a_baseline_from_0_to_10() -> None:
    coach = grow_coach().drive_to("reality_now")
    assert coach.asked("grow", "reality_now")
    coach.say("last week I said nothing")
    assert coach.asked("grow", "reality_tried")
    coach.say("nothing yet")
    assert coach.asked("grow", "reality_cost")
    coach.say("trust")
    assert coach.asked("grow", "reality_baseline")
    assert coach.values() == [str(n) for n in range(11)]
    assert coach.question.layout == "grid"


@pytest.mark.parametrize(("answer", "value"), [("0", 0), ("10", 10), ("four", 4), ("4/10", 4)])
def test_the_baseline_is_stored_as_a_score(answer: str, value: int) -> None:
    coach = grow_coach().drive_to("reality_baseline")
    data = coach.conv.data
    coach.say(answer)
    assert records_of(coach.outcome.records, ScoreGiven) == [
        ScoreGiven(data["goal_id"], data["session_id"], "baseline", value)
    ]
    # Options recalls what the leader said about today.
    assert coach.asked("grow", "options_first", "recall")


def test_the_baseline_by_button() -> None:
    coach = grow_coach().drive_to("reality_baseline")
    coach.choose("0")
    assert [r.value for r in records_of(coach.outcome.records, ScoreGiven)] == [0]


@pytest.mark.parametrize(("answer", "reason"), [("11", "score_range"), ("-1", "score_format")])
def test_a_baseline_off_the_scale_is_refused(answer: str, reason: str) -> None:
    coach = grow_coach().drive_to("reality_baseline")
    before, asked = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert coach.question == asked
    assert coach.snapshot() == before
    assert coach.outcome.records == []


# Options


def test_options_keep_asking_what_else_until_there_are_three() -> None:
    coach = grow_coach().drive_to("options_first")
    coach.say("first idea")
    assert coach.asked("grow", "options_more")
    coach.say("second idea")
    assert coach.conv.state == "options_more"
    assert coach.asked("grow", "options_more", "last")
    coach.say("third idea")
    assert coach.asked("grow", "options_bold")
    assert "could not fail" in coach.question.text or "someone you admire" in coach.question.text
    assert coach.conv.data["options"] == ["first idea", "second idea", "third idea"]


@pytest.mark.parametrize("answer", ["skip", "Nothing", "-"])
def test_the_bold_question_can_be_skipped_without_adding_an_option(answer: str) -> None:
    coach = grow_coach().drive_to("options_bold")
    coach.say(answer)
    assert coach.conv.state == "options_pick"
    assert coach.labels()[:3] == [
        "rehearse with a peer",
        "book a weekly slot for hard talks",
        "ask HR for a script",
    ]
    assert answer not in coach.labels()


def test_a_first_time_manager_sees_their_options_then_the_examples() -> None:
    coach = grow_coach("first_time").drive_to("options_pick")
    own = ["rehearse with a peer", "book a weekly slot for hard talks", "ask HR for a script"]
    assert coach.labels() == [*own, "tell the whole team what I expect", *EXAMPLES]
    assert len(EXAMPLES) >= 2
    assert coach.asked("grow", "options_pick")


@pytest.mark.parametrize("level", ["experienced", "senior", "executive"])
def test_experienced_leaders_see_only_their_own_options(level: str) -> None:
    coach = grow_coach(level).drive_to("options_pick")
    # Open style: the third option comes from the powerful question; no separate step.
    assert coach.labels() == [
        "rehearse with a peer",
        "book a weekly slot for hard talks",
        "ask HR for a script",
    ]
    assert not set(EXAMPLES) & set(coach.labels())
    assert coach.asked("grow", "options_pick")


def test_picking_an_example_by_button_chooses_it() -> None:
    coach = grow_coach().drive_to("options_pick")
    coach.choose("5")
    assert coach.conv.data["vars"]["option"] == EXAMPLES[1]
    assert AnswerGiven(coach.conv.data["session_id"], "options_pick", EXAMPLES[1]) in coach.outcome.records
    assert coach.asked("grow", "will_action")


def test_a_newly_typed_option_counts_as_the_choice() -> None:
    coach = grow_coach("executive").drive_to("options_pick")
    coach.say("ask my team to run the retro")
    assert coach.conv.data["vars"]["option"] == "ask my team to run the retro"
    assert coach.conv.data["options"][-1] == "ask my team to run the retro"
    assert coach.conv.state == "will_action"


@pytest.mark.parametrize(("value", "offset"), [("99", 0), ("-1", 0), ("x", 0), ("0", -1)])
def test_a_forged_or_stale_pick_has_expired(value: str, offset: int) -> None:
    coach = grow_coach().drive_to("options_pick")
    before, asked = coach.snapshot(), coach.question
    coach.choose(value, coach.conv.question_seq + offset)
    assert coach.texts[0] in phrasings("errors", "expired")
    assert coach.question == asked
    assert coach.snapshot() == before
    assert coach.outcome.records == []


# Will


def test_will_asks_action_date_support_obstacle_if_then_then_commitment() -> None:
    coach = grow_coach().drive_to("options_pick")
    coach.say("1")
    asked = []
    for answer in ("talk to Sam", "friday", "my manager", "I put it off", "if so then I book a room"):
        asked.append(coach.conv.state)
        coach.say(answer)
    asked.append(coach.conv.state)
    assert asked == [
        "will_action",
        "will_when",
        "will_support",
        "will_obstacle",
        "will_if_then",
        "will_commitment",
    ]
    assert coach.asked("grow", "will_commitment")
    assert coach.values() == [str(n) for n in range(1, 11)]
    data = coach.conv.data
    assert records_of(coach.outcome.records, ActionAgreed) == [
        ActionAgreed(
            goal_id=data["goal_id"],
            session_id=data["session_id"],
            action="talk to Sam",
            due=date(2026, 11, 27),
            support="my manager",
            obstacle="I put it off",
            if_then="if so then I book a room",
        )
    ]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("someday", "date_format"),
        ("2020-01-01", "date_past"),
        ("2030-01-01", "date_far"),
        ("31/2", "date_format"),
    ],
)
def test_a_date_that_cannot_be_used_is_refused(answer: str, reason: str) -> None:
    coach = grow_coach().drive_to("will_when")
    before, asked = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert coach.question == asked
    assert coach.snapshot() == before
    assert coach.outcome.records == []


@pytest.mark.parametrize("score", ["8", "9", "10"])
def test_commitment_of_8_or_more_closes_with_a_recap_and_check_ins(score: str) -> None:
    coach = committed_coach()
    data = coach.conv.data
    goal_id, session_id = data["goal_id"], data["session_id"]
    coach.say(score)
    # Closed on Wednesday 15:00 UTC, action due Friday: one check-in covers it, then the next session.
    planned = records_of(coach.outcome.records, CheckinPlanned)
    assert planned == [
        CheckinPlanned(goal_id, session_id, "action_due", datetime(2026, 11, 27, 15, 0, tzinfo=UTC)),
        CheckinPlanned(goal_id, session_id, "next_session", datetime(2026, 12, 9, 15, 0, tzinfo=UTC)),
    ]
    # Session 1 of the engagement agreed at onboarding is held; older reminders are replaced.
    held = records_of(coach.outcome.records, EngagementSessionHeld)
    assert [r.number for r in held] == [1]
    assert CheckinsCancelled(kinds=REMINDER_KINDS) in coach.outcome.records
    assert ScoreGiven(goal_id, session_id, "commitment", int(score)) in coach.outcome.records
    assert SessionClosed(session_id, "committed") in coach.outcome.records
    recap = coach.texts[0]
    assert recap in phrasings(
        "grow",
        "closed",
        "recap",
        name="Ann",
        goal=CONCRETE,
        baseline=4,
        action="talk to Sam about deadlines",
        due_text="Fri 27 Nov 2026",
        commitment=score,
        next_checkin=format_local(planned[0].due_at, "UTC"),
    )
    for part in (
        CONCRETE,
        "4/10",
        "talk to Sam about deadlines",
        "Fri 27 Nov 2026",
        f"{score}/10",
        "Fri 27 Nov, 15:00",
    ):
        assert part in recap
    assert "{" not in recap and "}" not in recap
    assert (coach.conv.flow, coach.conv.state) == ("idle", "idle")


@pytest.mark.parametrize("score", ["1", "5", "7"])
def test_commitment_below_8_asks_what_would_raise_it_and_keeps_the_score(score: str) -> None:
    coach = committed_coach()
    data = coach.conv.data
    coach.say(score)
    assert coach.asked("grow", "will_raise")
    assert coach.outcome.records[-1] == ScoreGiven(
        data["goal_id"], data["session_id"], "commitment", int(score)
    )
    assert records_of(coach.outcome.records, CheckinPlanned) == []
    assert records_of(coach.outcome.records, SessionClosed) == []
    coach.say("if the first step were smaller")
    assert coach.asked("grow", "will_low_next")
    assert coach.labels() == ["Revisit the goal", "Adjust the action", "Keep it for now"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("0", "score_range"),
        ("11", "score_range"),
        ("8.5", "score_format"),
        ("abc", "score_format"),
        (" ", "empty"),
    ],
)
def test_an_impossible_commitment_is_refused(answer: str, reason: str) -> None:
    coach = committed_coach()
    before, asked = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert coach.question == asked
    assert coach.snapshot() == before
    assert coach.outcome.records == []


def test_revisiting_the_goal_shows_earlier_answers_and_skips_reality() -> None:
    coach = low_coach()
    goal_id, session_id = coach.conv.data["goal_id"], coach.conv.data["session_id"]
    coach.choose("revisit_goal")
    assert coach.conv.state == "goal"
    assert coach.asked("grow", "goal", "revisit")
    for earlier in (f"Goal: {CONCRETE}", "Today: last week I skipped telling Sam", "Your rating today: 4"):
        assert earlier in coach.question.text
    coach.say("ask one report a week for feedback on my meetings")
    assert records_of(coach.outcome.records, GoalRevised) == [
        GoalRevised(goal_id, "ask one report a week for feedback on my meetings")
    ]
    coach.say("three reports have asked")
    coach.say("by March")
    assert coach.conv.state == "options_first"
    assert coach.conv.data["options"] == []
    for answer in (
        "a",
        "b",
        "c",
        "skip",
        "1",
        "ask Kim on monday",
        "tomorrow",
        "Kim",
        "time",
        "if Kim is away then I ask Jo",
    ):
        coach.say(answer)
    coach.say("9")
    recap = coach.texts[0]
    # Idle again, keeping only the recap in case it has to be shown again after a crash.
    assert coach.conv.data == {"last_recap": recap}
    assert "ask one report a week for feedback on my meetings" in recap
    assert "4/10" in recap and "9/10" in recap and "ask Kim on monday" in recap
    assert len(records_of(coach.outcome.records, CheckinPlanned)) == 2
    assert SessionClosed(session_id, "committed") in coach.records
    # The low score stays: nothing removes it, and it is still among the records.
    assert ScoreGiven(goal_id, session_id, "commitment", 5) in coach.records
    assert [r.goal_id for r in records_of(coach.records, GoalOpened)] == [goal_id]


def test_adjusting_the_action_shows_the_previous_one() -> None:
    coach = low_coach()
    coach.say("adjust the action")
    assert coach.conv.state == "will_action"
    assert coach.asked("grow", "will_action", "adjust")
    assert '"talk to Sam about deadlines"' in coach.question.text
    coach.say("send Sam a short note first")
    assert coach.asked("grow", "will_when")
    for answer in ("in 2 weeks", "my manager", "I forget", "if I forget then my calendar reminds me"):
        coach.say(answer)
    assert records_of(coach.outcome.records, ActionAgreed)[0].action == "send Sam a short note first"
    coach.say("8")
    assert "send Sam a short note first" in coach.texts[0]
    planned = records_of(coach.outcome.records, CheckinPlanned)
    assert sorted(r.kind for r in planned) == ["action_due", "first", "midway", "next_session"]
    assert next(r for r in planned if r.kind == "action_due").due_at == datetime(
        2026, 12, 9, 17, 0, tzinfo=UTC
    )


def test_keeping_a_low_commitment_closes_without_check_ins() -> None:
    coach = low_coach()
    session_id = coach.conv.data["session_id"]
    coach.say("3")
    assert coach.texts[0] in coach.phrasings(
        "grow",
        "closed",
        "recap_low",
        name="Ann",
        goal=CONCRETE,
        baseline=4,
        action="talk to Sam about deadlines",
        due_text="Fri 27 Nov 2026",
        commitment=5,
    )
    assert "/rescore" in coach.texts[0]
    # No check-ins on an action not committed to; the engagement's next session still comes.
    goal_id = records_of(coach.records, GoalOpened)[0].goal_id
    assert coach.outcome.records[:2] == [
        AnswerGiven(session_id, "will_low_next", "Keep it for now"),
        SessionClosed(session_id, "low_commitment"),
    ]
    planned = records_of(coach.outcome.records, CheckinPlanned)
    assert [(r.goal_id, r.kind, r.due_at) for r in planned] == [
        (goal_id, "next_session", datetime(2026, 12, 9, 15, 0, tzinfo=UTC)),
    ]
    assert (coach.conv.flow, coach.conv.state) == ("idle", "idle")


def test_every_answer_is_recorded_for_its_step() -> None:
    coach = grow_coach()
    session_id = coach.conv.data["session_id"]
    coach.drive_to("will_low_next")
    coach.say("keep")
    answers = records_of(coach.records, AnswerGiven)
    assert [r.step for r in answers] == [state for state, _ in GROW_PATH]
    # What is kept is what the leader meant: the option's words, the date, the choice's label.
    shown = {
        "options_pick": "book a weekly slot for hard talks",
        "will_when": "2026-11-27",
        "will_low_next": "Keep it for now",
    }
    assert [r.text for r in answers] == [shown.get(state, answer) for state, answer in GROW_PATH]
    assert {r.session_id for r in answers} == {session_id}
    assert AnswerGiven(session_id, "options_pick", "book a weekly slot for hard talks") in coach.records


# wording per style


@pytest.mark.parametrize("state", ["goal", "reality_now", "options_first"])
def test_guided_and_open_leaders_get_different_wording(state: str) -> None:
    guided = grow_coach("first_time").drive_to(state)
    open_ = grow_coach("senior").drive_to(state)
    # Options recalls the leader's "today" in both styles.
    field = "recall" if state == "options_first" else "ask"
    today = {"today": "last week I skipped telling Sam his report was late"}
    guided_texts = phrasings("grow", state, field, style="guided", **today)
    open_texts = phrasings("grow", state, field, style="open", **today)
    assert not set(guided_texts) & set(open_texts)
    assert guided.question.text in guided_texts
    assert open_.question.text in open_texts
    assert guided.question.text != open_.question.text


def test_a_resumed_question_reads_the_same_but_a_new_session_may_not() -> None:
    coach = grow_coach("senior")
    first = coach.question.text
    coach.command("start")
    assert coach.question.text == first
    seeds = set()
    for _ in range(20):
        coach.command("new")
        coach.choose("cmd:abandon")  # /new mid-session asks first
        seeds.add(coach.question.text)
    assert len(seeds) > 1


@pytest.mark.parametrize("answer", ["9", "0", "5"])
def test_a_number_that_is_not_on_the_pick_list_is_refused(answer: str) -> None:
    coach = grow_coach("executive").drive_to("options_pick")
    before, asked = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", "choice")
    assert coach.question == asked
    assert coach.snapshot() == before
    assert coach.outcome.records == []
