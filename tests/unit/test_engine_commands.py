"""Commands in any state, bad and stale input, broken states, and the check-in, rescore
and profile flows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.conversation import Conversation
from flows.records import (
    AnswerGiven,
    CheckinPlanned,
    CheckinResolved,
    CheckinSnoozed,
    CheckinsReplanned,
    PauseChanged,
    ProfileUpdated,
    ScoreGiven,
    SessionClosed,
    SessionOpened,
)
from flows.schedule import format_local
from flows.views import EngagementView, GoalView
from tests.support.coach_driver import (
    DECLINED,
    ENGAGED,
    Coach,
    FakeLookup,
    checkin_view,
    consented,
    goal_view,
    grow_coach,
    phrasings,
    records_of,
)

IDLE_MENU = ["Start a new session", "Revisit a goal (/rescore)", "Where am I? (/status)"]


def idle_coach(lookup: FakeLookup | None = None, timezone: str = "UTC", level: str = "experienced") -> Coach:
    return Coach(conv=consented(level=level, timezone=timezone), lookup=lookup or FakeLookup())


def assert_same_question(coach: Coach, before: object, question: object) -> None:
    """Nothing moved: same position, same data, no records, the same question again."""
    assert coach.snapshot() == before
    assert coach.outcome.records == []
    assert coach.question == question


def mid_grow(state: str = "reality_now") -> Coach:
    return grow_coach().drive_to(state)


# bad input in a GROW text question


@pytest.mark.parametrize(
    ("answer", "reason"), [("", "empty"), ("   ", "empty"), ("\n\t \u0000\u0007", "empty")]
)
def test_empty_answers_are_asked_again(answer: str, reason: str) -> None:
    coach = mid_grow()
    before, question = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert_same_question(coach, before, question)


def test_an_answer_over_4000_characters_is_refused_and_not_stored() -> None:
    coach = mid_grow()
    before, question = coach.snapshot(), coach.question
    coach.say("x" * 4001)
    assert coach.texts[0] in phrasings("errors", "too_long")
    assert "4000" in coach.texts[0]
    assert_same_question(coach, before, question)


def test_an_answer_of_exactly_4000_characters_is_kept() -> None:
    coach = mid_grow()
    session_id = coach.conv.data["session_id"]
    coach.say("y" * 4000)
    assert coach.outcome.records == [AnswerGiven(session_id, "reality_now", "y" * 4000)]
    assert coach.conv.state == "reality_tried"


@pytest.mark.parametrize(("answer", "value"), [("8", 8), (" 8 ", 8), ("8/10", 8), ("eight", 8), ("10", 10)])
def test_a_commitment_score_is_read_leniently(answer: str, value: int) -> None:
    coach = mid_grow("will_commitment")
    coach.say(answer)
    data_records = records_of(coach.outcome.records, ScoreGiven)
    assert [(r.kind, r.value) for r in data_records] == [("commitment", value)]
    assert (coach.conv.flow, coach.conv.state) == ("idle", "idle")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [("0", "score_range"), ("11", "score_range"), ("8.5", "score_format"), ("abc", "score_format")],
)
def test_a_commitment_score_off_the_scale_is_refused_clearly(answer: str, reason: str) -> None:
    coach = mid_grow("will_commitment")
    before, question = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert_same_question(coach, before, question)


@pytest.mark.parametrize("state", ["goal", "reality_baseline", "options_pick", "will_when", "will_low_next"])
def test_an_unknown_command_gets_a_help_line_and_the_question_again(state: str) -> None:
    coach = mid_grow(state)
    before, question = coach.snapshot(), coach.question
    coach.command("foo")
    assert coach.texts[0] in phrasings("common", "unknown_command")
    assert "/help" in coach.texts[0]
    assert_same_question(coach, before, question)


# stale and forged buttons


@pytest.mark.parametrize(
    ("state", "value", "offset"),
    [
        ("reality_baseline", "4", -1),
        ("reality_baseline", "11", 0),
        ("will_commitment", "0", 0),
        ("will_low_next", "keep", 1),
        ("will_low_next", "give_up", 0),
        ("goal", "anything", 0),
        ("will_when", "2026-12-01", 0),
    ],
)
def test_a_stale_or_forged_button_has_expired(state: str, value: str, offset: int) -> None:
    coach = mid_grow(state)
    before, question = coach.snapshot(), coach.question
    coach.choose(value, coach.conv.question_seq + offset)
    assert coach.texts[0] in phrasings("errors", "expired")
    assert "expired" in coach.texts[0]
    assert_same_question(coach, before, question)


def test_a_button_in_idle_has_expired() -> None:
    coach = idle_coach()
    coach.say("hello")
    before, question = coach.snapshot(), coach.question
    coach.choose("keep")
    assert coach.texts[0] in phrasings("errors", "expired")
    assert_same_question(coach, before, question)
    assert coach.labels() == IDLE_MENU


def test_an_idle_menu_button_works_only_while_it_is_current() -> None:
    coach = idle_coach()
    coach.say("hello")
    assert coach.texts[0] in coach.phrasings("common", "idle")
    stale = coach.conv.question_seq - 1
    before, question = coach.snapshot(), coach.question
    coach.choose("cmd:new", stale)
    assert coach.texts[0] in phrasings("errors", "expired")
    assert_same_question(coach, before, question)
    coach.choose("cmd:new")
    assert coach.asked("grow", "goal")
    assert [type(r) for r in coach.outcome.records] == [SessionOpened]


# states that cannot be answered


@pytest.mark.parametrize(
    ("flow", "state"),
    [("grow", "closed"), ("grow", "no_such_step"), ("checkin", "snoozed"), ("profile", "saved")],
)
def test_a_state_that_is_not_a_question_recovers_to_idle(flow: str, state: str) -> None:
    coach = idle_coach()
    coach.conv.flow, coach.conv.state, coach.conv.data = flow, state, {"seed": 1}
    coach.say("hello")
    assert coach.texts[0] in coach.phrasings("common", "idle")
    assert coach.labels() == IDLE_MENU
    assert (coach.conv.flow, coach.conv.state, coach.conv.data) == ("idle", "idle", {})
    assert coach.outcome.records == []


def test_an_unknown_flow_shows_the_idle_menu_without_raising() -> None:
    coach = idle_coach()
    coach.conv.flow, coach.conv.state = "retired_flow", "somewhere"
    coach.say("hello")
    assert coach.texts[0] in coach.phrasings("common", "idle")
    assert coach.labels() == IDLE_MENU
    assert coach.outcome.records == []
    coach.choose("cmd:new")
    assert coach.asked("grow", "goal")


def test_an_unknown_flow_is_reset_so_check_ins_reach_the_leader() -> None:
    coach = idle_coach(FakeLookup([goal_view()], [checkin_view()]))
    coach.conv.flow, coach.conv.state = "retired_flow", "somewhere"
    coach.say("hello")
    assert (coach.conv.flow, coach.conv.state) == ("idle", "idle")
    outcome = coach.timer(7)
    assert outcome.delivered
    assert coach.asked("checkin", "did")


# commands anywhere


@pytest.mark.parametrize("command", ["help", "about"])
@pytest.mark.parametrize("state", ["goal", "reality_baseline", "options_pick", "will_low_next"])
def test_help_and_about_answer_then_repeat_the_question(command: str, state: str) -> None:
    coach = mid_grow(state)
    before, question = coach.snapshot(), coach.question
    coach.command(command)
    assert coach.texts[0] in phrasings("common", command)
    assert_same_question(coach, before, question)


def test_help_lists_the_commands() -> None:
    coach = idle_coach()
    coach.command("help")
    for command in (
        "/new",
        "/status",
        "/rescore",
        "/checkins",
        "/pause",
        "/resume",
        "/level",
        "/timezone",
        "/cancel",
    ):
        assert command in coach.texts[0]
    assert coach.labels() == IDLE_MENU


@pytest.mark.parametrize("state", ["goal_concrete", "reality_baseline", "options_more", "will_commitment"])
def test_cancel_leaves_the_session_and_keeps_the_answers(state: str) -> None:
    coach = mid_grow(state)
    session_id = coach.conv.data["session_id"]
    answered = records_of(coach.records, AnswerGiven)
    coach.command("cancel")
    assert coach.outcome.records == [SessionClosed(session_id, "cancelled")]
    assert coach.texts[0] in phrasings("common", "cancelled")
    assert coach.labels() == IDLE_MENU
    assert (coach.conv.flow, coach.conv.state) == ("idle", "idle")
    assert len(answered) >= 1
    assert records_of(coach.records, AnswerGiven) == answered


def test_cancel_in_a_check_in_closes_it() -> None:
    coach = idle_coach(FakeLookup([goal_view()], [checkin_view()]))
    coach.timer(7)
    session_id = coach.conv.data["session_id"]
    coach.command("cancel")
    assert coach.outcome.records == [SessionClosed(session_id, "cancelled")]
    assert coach.conv.flow == "idle"


def test_cancel_with_nothing_open() -> None:
    coach = idle_coach()
    coach.command("cancel")
    assert coach.texts[0] in phrasings("common", "nothing_to_cancel")
    assert coach.labels() == IDLE_MENU
    assert coach.outcome.records == []


def test_status_mid_session_says_where_the_goal_and_the_next_check_in() -> None:
    checkin = checkin_view(due_at=datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    coach = grow_coach(timezone="Europe/Berlin")
    coach.lookup = FakeLookup([], [checkin])
    coach.drive_to("reality_cost")
    before, question = coach.snapshot(), coach.question
    coach.command("status")
    lines = coach.texts[0].split("\n")
    assert lines[0] in phrasings("common", "status", where="a session, looking at your current Reality")
    goal = "be a better leader — stop avoiding difficult conversations with my team"
    assert lines[1] in phrasings("common", "status_goal", goal=goal)
    assert lines[2] in phrasings("common", "status_checkin", when="Fri 27 Nov, 16:00")
    assert_same_question(coach, before, question)


@pytest.mark.parametrize(
    ("state", "where"),
    [
        ("goal", "a session, at the Goal step"),
        ("options_bold", "a session, exploring Options"),
        ("will_if_then", "a session, at the Will step"),
    ],
)
def test_status_names_the_grow_step(state: str, where: str) -> None:
    coach = mid_grow(state)
    coach.command("status")
    assert coach.texts[0].split("\n")[0] in phrasings("common", "status", where=where)


def test_status_between_sessions_reads_the_stored_goal() -> None:
    coach = idle_coach(FakeLookup([goal_view()], []))
    coach.command("status")
    lines = coach.texts[0].split("\n")
    assert lines[0] in phrasings("common", "status", where="between sessions")
    assert lines[1] in phrasings("common", "status_goal", goal=goal_view().text)
    assert lines[2] in phrasings("common", "status_no_checkin")
    assert coach.labels() == IDLE_MENU


def test_status_for_a_new_leader_and_when_paused() -> None:
    coach = idle_coach(FakeLookup([], [checkin_view()]))
    coach.conv.profile.paused = True
    coach.command("status")
    lines = coach.texts[0].split("\n")
    assert lines[1] in phrasings("common", "status_no_goal")
    assert lines[2] in phrasings("common", "status_paused")


def test_new_between_sessions_starts_grow() -> None:
    coach = idle_coach()
    coach.command("new")
    # The engagement's count first (ENGAGED has held one of six), then the session's intro.
    number, intro = coach.texts[0].split("\n\n")
    assert number in phrasings("engagement", "session_of", number=2, planned=6)
    assert intro in phrasings("grow", "intro")
    assert coach.asked("grow", "goal")
    session_id = coach.conv.data["session_id"]
    assert coach.outcome.records == [SessionOpened(session_id, None, "grow")]
    assert (coach.conv.data["engagement_id"], coach.conv.data["number"]) == ("engagement-1", 2)


def test_new_in_the_middle_of_a_session_asks_then_closes_it_as_abandoned() -> None:
    coach = mid_grow("options_first")
    old = coach.conv.data["session_id"]
    coach.command("new")
    # Nothing is dropped until the leader says so.
    assert coach.outcome.records == [] and coach.conv.state == "options_first"
    assert coach.values() == ["cmd:abandon", "cmd:stay"]
    coach.choose("cmd:abandon")
    new = coach.conv.data["session_id"]
    assert new != old
    assert coach.outcome.records == [SessionClosed(old, "abandoned"), SessionOpened(new, None, "grow")]
    assert (coach.conv.state, coach.conv.data["answers"], coach.conv.data["options"]) == ("goal", {}, [])
    assert coach.asked("grow", "goal")


@pytest.mark.parametrize("state", ["goal", "options_pick", "will_when", "will_low_next"])
def test_start_in_the_middle_repeats_the_current_question(state: str) -> None:
    coach = mid_grow(state)
    before, question = coach.snapshot(), coach.question
    coach.command("start")
    assert coach.texts[0] in phrasings("common", "welcome_back")
    assert_same_question(coach, before, question)


def test_start_between_sessions_shows_the_menu() -> None:
    coach = idle_coach()
    coach.command("start")
    assert coach.texts[0] in phrasings("common", "welcome_back")
    assert coach.labels() == IDLE_MENU


def test_pause_and_resume_keep_the_question() -> None:
    coach = mid_grow("will_support")
    question = coach.question
    coach.command("pause")
    assert coach.outcome.records == [PauseChanged(True)]
    assert coach.conv.profile.paused
    assert coach.texts[0] in phrasings("common", "paused")
    assert coach.question == question
    coach.command("resume")
    assert coach.outcome.records == [PauseChanged(False)]
    assert not coach.conv.profile.paused
    assert coach.texts[0] in phrasings("common", "resumed")
    assert coach.question == question
    assert coach.conv.state == "will_support"


def test_checkins_lists_what_is_planned_in_the_leaders_time() -> None:
    planned = [
        checkin_view(checkin_id=1, kind="action_due", due_at=datetime(2026, 11, 27, 15, 0, tzinfo=UTC)),
        checkin_view(checkin_id=2, kind="next_session", due_at=datetime(2026, 12, 9, 15, 0, tzinfo=UTC)),
    ]
    coach = idle_coach(FakeLookup([goal_view()], planned), timezone="America/New_York")
    coach.command("checkins")
    lines = coach.texts[0].split("\n")
    assert lines[0] in phrasings("common", "checkins")
    assert lines[1:] == [
        "• Fri 27 Nov, 10:00 — action due: stop avoiding difficult conversations with my team",
        "• Wed 09 Dec, 10:00 — next session: stop avoiding difficult conversations with my team",
    ]
    assert coach.labels() == IDLE_MENU


def test_checkins_when_nothing_is_planned() -> None:
    coach = mid_grow("goal_measure")
    before, question = coach.snapshot(), coach.question
    coach.command("checkins")
    assert coach.texts[0] in phrasings("common", "no_checkins")
    assert_same_question(coach, before, question)


# profile flow: /level and /timezone


def test_level_changes_the_style() -> None:
    coach = idle_coach(level="first_time")
    coach.command("level")
    assert coach.asked("profile", "level")
    assert coach.labels() == ["First-time manager", "Experienced manager", "Senior leader", "Executive"]
    coach.choose("executive")
    assert coach.outcome.records == [ProfileUpdated(level="executive")]
    assert coach.texts in ([text] for text in phrasings("profile", "saved"))
    assert (coach.conv.flow, coach.conv.profile.level, coach.conv.profile.style) == (
        "idle",
        "executive",
        "open",
    )


# "CEO" used to be refused here; it now reads as Executive (issue 12).
@pytest.mark.parametrize(("answer", "reason"), [("the purple one", "choice"), ("", "empty")])
def test_level_refuses_an_unknown_answer(answer: str, reason: str) -> None:
    coach = idle_coach()
    coach.command("level")
    before, question = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert_same_question(coach, before, question)


@pytest.mark.parametrize(
    ("answer", "zone"), [("berlin", "Europe/Berlin"), ("2", "Europe/London"), ("UTC-5", "Etc/GMT+5")]
)
def test_timezone_changes_the_zone(answer: str, zone: str) -> None:
    coach = idle_coach()
    coach.command("timezone")
    assert coach.asked("profile", "timezone")
    coach.say(answer)
    # A new zone also re-plans pending check-ins at the leader's clock (issue 12).
    assert coach.outcome.records == [
        ProfileUpdated(timezone=zone),
        CheckinsReplanned("UTC", zone, coach.engine.settings.quiet_hours),
    ]
    assert coach.conv.profile.timezone == zone
    assert coach.conv.flow == "idle"


def test_timezone_refuses_garbage() -> None:
    coach = idle_coach()
    coach.command("timezone")
    before, question = coach.snapshot(), coach.question
    coach.say("somewhere nice")
    assert coach.texts[0] in phrasings("errors", "timezone")
    assert_same_question(coach, before, question)


@pytest.mark.parametrize("command", ["level", "timezone", "rescore"])
def test_flow_commands_wait_until_the_session_is_finished(command: str) -> None:
    coach = mid_grow("will_obstacle")
    before, question = coach.snapshot(), coach.question
    coach.command(command)
    assert coach.texts[0] in phrasings("common", "finish_first")
    assert_same_question(coach, before, question)


# rescore


def test_rescore_without_goals() -> None:
    coach = idle_coach()
    coach.command("rescore")
    assert coach.texts[0] in phrasings("rescore", "no_goals")
    assert coach.labels() == IDLE_MENU
    assert (coach.conv.flow, coach.outcome.records) == ("idle", [])


def test_rescore_offers_the_low_goals_first() -> None:
    high = goal_view(goal_id="goal-2", text="run the weekly meeting", commitment=9)
    coach = idle_coach(FakeLookup([high, goal_view()]))
    coach.command("rescore")
    assert coach.texts[0] in phrasings("rescore", "intro")
    assert coach.labels() == ["stop avoiding difficult conversations w… (5/10, 25 Nov)"]
    assert coach.outcome.records == [SessionOpened(coach.conv.data["session_id"], None, "rescore")]


def test_rescore_with_no_low_goal_offers_every_open_goal() -> None:
    high = goal_view(goal_id="goal-2", text="run the weekly meeting", commitment=9)
    coach = idle_coach(FakeLookup([high]))
    coach.command("rescore")
    assert coach.texts[0] in phrasings("rescore", "none_low")
    assert coach.labels() == ["run the weekly meeting (9/10, 25 Nov)"]


def rescoring(score: str, goal: GoalView | None = None) -> Coach:
    coach = idle_coach(FakeLookup([goal or goal_view()]))
    coach.command("rescore")
    coach.say("1")
    assert coach.asked("rescore", "score")
    coach.say(score)
    return coach


@pytest.mark.parametrize(("answer", "how"), [("5", "typed"), ("x", "typed"), ("3", "button"), ("1", "stale")])
def test_rescore_pick_refuses_what_is_not_offered(answer: str, how: str) -> None:
    coach = idle_coach(FakeLookup([goal_view()]))
    coach.command("rescore")
    before, question = coach.snapshot(), coach.question
    if how == "typed":
        coach.say(answer)
        assert coach.texts[0] in phrasings("errors", "choice")
    else:
        coach.choose(answer, coach.conv.question_seq - (how == "stale"))
        assert coach.texts[0] in phrasings("errors", "expired")
    assert_same_question(coach, before, question)


def test_rescore_at_8_or_more_confirms_and_plans_check_ins() -> None:
    coach = rescoring("9")
    session_id = records_of(coach.records, SessionOpened)[0].session_id
    planned = records_of(coach.outcome.records, CheckinPlanned)
    assert [(r.goal_id, r.session_id, r.kind) for r in planned] == [
        ("goal-1", session_id, "action_due"),
        ("goal-1", session_id, "next_session"),
    ]
    assert coach.texts[0] in phrasings(
        "rescore", "confirmed", commitment=9, next_checkin=format_local(planned[0].due_at, "UTC")
    )
    assert ScoreGiven("goal-1", session_id, "commitment", 9) in coach.outcome.records
    assert SessionClosed(session_id, "committed") in coach.outcome.records
    assert coach.conv.flow == "idle"


def test_rescore_of_a_goal_without_an_action_plans_nothing() -> None:
    coach = rescoring("8", goal_view(action=None, action_due=None))
    assert coach.texts[0] in phrasings("rescore", "confirmed_no_action", commitment=8)
    assert records_of(coach.outcome.records, CheckinPlanned) == []


def test_rescore_below_8_asks_what_would_raise_it_then_how_to_go_on() -> None:
    coach = rescoring("6")
    assert ScoreGiven("goal-1", coach.conv.data["session_id"], "commitment", 6) in coach.outcome.records
    assert coach.asked("rescore", "raise")
    coach.say("a clearer first step")
    assert coach.asked("rescore", "low_next")
    assert coach.labels() == ["Revisit the goal", "Adjust the action", "Leave it for now"]


def test_rescore_keep() -> None:
    coach = rescoring("6")
    session_id = coach.conv.data["session_id"]
    coach.say("nothing")
    coach.choose("keep")
    assert coach.texts[0] in phrasings("rescore", "kept")
    assert SessionClosed(session_id, "low_commitment") in coach.outcome.records
    assert coach.conv.flow == "idle"


def test_rescore_revisit_goes_back_to_the_goal_with_earlier_answers() -> None:
    coach = rescoring("6")
    rescore_session = coach.conv.data["session_id"]
    coach.say("nothing")
    coach.say("1")
    assert (coach.conv.flow, coach.conv.state) == ("grow", "goal")
    assert coach.asked("grow", "goal", "revisit")
    assert "Goal: stop avoiding difficult conversations with my team" in coach.question.text
    assert "Your rating today: 4" in coach.question.text
    grow_session = coach.conv.data["session_id"]
    assert SessionClosed(rescore_session, "low_commitment") in coach.outcome.records
    assert SessionOpened(grow_session, "goal-1", "grow") in coach.outcome.records


def test_rescore_adjust_goes_to_the_action_showing_the_previous_one() -> None:
    coach = rescoring("6")
    coach.say("nothing")
    coach.choose("adjust_action")
    assert (coach.conv.flow, coach.conv.state) == ("grow", "will_action")
    assert coach.asked("grow", "will_action", "adjust")
    assert '"talk to Sam about deadlines"' in coach.question.text


def test_rescore_revisit_recap_shows_the_baseline() -> None:
    coach = rescoring("6")
    coach.say("nothing")
    coach.choose("revisit_goal")
    for answer in ("ask each report for feedback every friday", "they say so", "a", "b", "c", "skip", "1"):
        coach.say(answer)
    for answer in ("talk to Sam", "friday", "me", "time", "if Sam is out then I call him on monday", "9"):
        coach.say(answer)
    assert coach.conv.flow == "idle"
    assert "4/10" in coach.texts[0]


# check-ins


def checkin_coach(engagement: EngagementView | None = ENGAGED, **changes: object) -> Coach:
    coach = idle_coach(FakeLookup([goal_view()], [checkin_view(**changes)], engagement=engagement))
    coach.conv.profile.name = "Ann"
    return coach


def test_a_due_check_in_asks_whether_the_action_happened() -> None:
    coach = checkin_coach()
    outcome = coach.timer(7)
    assert outcome.delivered
    assert coach.asked("checkin", "did")
    assert "talk to Sam about deadlines" in coach.question.text and "Ann" in coach.question.text
    assert coach.labels() == ["Done", "Partly", "Not yet", "Snooze a day"]
    assert coach.outcome.records == [SessionOpened(coach.conv.data["session_id"], "goal-1", "checkin")]


def test_a_midway_check_in_is_worded_as_a_nudge() -> None:
    coach = checkin_coach(kind="midway")
    coach.timer(7)
    assert coach.asked("checkin", "did", "midway")


@pytest.mark.parametrize("situation", ["paused", "not_consented", "unknown_id"])
def test_a_check_in_that_cannot_go_out_says_nothing(situation: str) -> None:
    coach = checkin_coach()
    if situation == "paused":
        coach.conv.profile.paused = True
    if situation == "not_consented":
        coach.conv = Conversation()
    before = coach.snapshot()
    outcome = coach.timer(99 if situation == "unknown_id" else 7)
    assert (outcome.replies, outcome.records, outcome.delivered) == ([], [], False)
    assert coach.snapshot() == before


def test_a_check_in_during_a_session_waits() -> None:
    coach = grow_coach()
    coach.lookup = FakeLookup([goal_view()], [checkin_view()])
    coach.drive_to("reality_tried")
    before = coach.snapshot()
    outcome = coach.timer(7)
    assert outcome.deferred and not outcome.delivered
    assert (outcome.replies, outcome.records) == ([], [])
    assert coach.snapshot() == before


@pytest.mark.parametrize(
    ("outcome", "field"), [("done", "ask_done"), ("partly", "ask_partly"), ("not_yet", "ask_not_yet")]
)
def test_the_reflection_question_follows_the_outcome(outcome: str, field: str) -> None:
    coach = checkin_coach()
    coach.timer(7)
    coach.choose(outcome)
    assert coach.asked("checkin", "reflect", field)
    assert CheckinResolved(7, outcome) in coach.outcome.records


def test_a_check_in_answered_in_words() -> None:
    coach = checkin_coach()
    coach.timer(7)
    coach.say("not yet")
    assert coach.outcome.records[-1] == CheckinResolved(7, "not_yet")


def test_snooze_moves_the_check_in_a_day_out_of_quiet_hours() -> None:
    coach = checkin_coach()
    coach.now = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
    coach.conv.profile.timezone = "Europe/Berlin"
    coach.timer(7)
    session_id = coach.conv.data["session_id"]
    coach.choose("snooze")
    # 22:30 in Berlin a day later is quiet time: the next allowed minute is 08:00 there.
    due = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert coach.outcome.records == [
        AnswerGiven(session_id, "did", "Snooze a day"),
        CheckinSnoozed(7, due),
        SessionClosed(session_id, "snoozed"),
    ]
    assert coach.texts in ([text] for text in phrasings("checkin", "snoozed", when="Fri 27 Nov, 08:00"))
    assert coach.conv.flow == "idle"


def through_rating(outcome: str = "partly") -> Coach:
    coach = checkin_coach()
    coach.timer(7)
    coach.choose(outcome)
    coach.say("the meeting got moved")
    assert coach.asked("checkin", "rating", goal="stop avoiding difficult conversations with my team")
    coach.say("6")
    return coach


def test_the_rating_is_stored_and_the_next_step_asked() -> None:
    coach = through_rating()
    assert ScoreGiven("goal-1", coach.conv.data["session_id"], "checkin", 6) in coach.outcome.records
    assert coach.asked("checkin", "next")
    assert coach.labels() == ["Keep the action, new date", "Choose a new action", "Start a new session"]


@pytest.mark.parametrize(("answer", "reason"), [("11", "score_range"), ("six or seven", "score_format")])
def test_a_bad_rating_is_refused(answer: str, reason: str) -> None:
    coach = checkin_coach()
    coach.timer(7)
    coach.choose("done")
    coach.say("it went well")
    before, question = coach.snapshot(), coach.question
    coach.say(answer)
    assert coach.texts[0] in phrasings("errors", reason)
    assert_same_question(coach, before, question)


def test_keeping_the_action_with_a_new_date_plans_new_check_ins() -> None:
    coach = through_rating()
    session_id = coach.conv.data["session_id"]
    coach.choose("keep")
    assert coach.asked("checkin", "new_date")
    coach.say("2020-01-01")
    assert coach.texts[0] in phrasings("errors", "date_past")
    coach.say("tomorrow")
    planned = records_of(coach.outcome.records, CheckinPlanned)
    assert [(r.kind, r.due_at) for r in planned] == [
        ("action_due", datetime(2026, 11, 26, 17, 0, tzinfo=UTC))
    ]
    assert SessionClosed(session_id, "partly") in coach.outcome.records
    # The date is read back first (issue 12).
    assert coach.texts[0] in phrasings("nudges", "understood_date", when="Thu 26 Nov")
    assert coach.texts[1] in phrasings("checkin", "rescheduled", when="Thu 26 Nov, 17:00")
    assert coach.conv.flow == "idle"


def test_a_new_action_goes_to_grow_options_for_the_same_goal() -> None:
    coach = through_rating()
    checkin_session = coach.conv.data["session_id"]
    coach.choose("new_action")
    assert coach.texts[0] in phrasings("checkin", "new_action", goal=goal_view().text)
    assert (coach.conv.flow, coach.conv.state) == ("grow", "options_first")
    assert coach.asked("grow", "options_first")
    assert SessionClosed(checkin_session, "partly") in coach.outcome.records
    assert SessionOpened(coach.conv.data["session_id"], "goal-1", "grow") in coach.outcome.records


def test_a_new_action_from_a_check_in_recaps_with_the_baseline() -> None:
    coach = through_rating()
    coach.choose("new_action")
    for answer in (
        "a",
        "b",
        "c",
        "skip",
        "1",
        "talk to Sam",
        "friday",
        "me",
        "time",
        "if Sam is out then I call him on monday",
        "9",
    ):
        coach.say(answer)
    assert coach.conv.flow == "idle"
    assert "4/10" in coach.texts[0]


def test_a_new_session_from_a_check_in() -> None:
    coach = through_rating("done")
    coach.choose("new_session")
    assert coach.texts[0] in phrasings("checkin", "new_session")
    assert coach.asked("grow", "goal")


@pytest.mark.parametrize("answer", ["start", "Start now", "1"])
def test_the_next_session_offer_can_start_one(answer: str) -> None:
    # Outside an engagement the reminder is a check-in question of its own.
    coach = checkin_coach(DECLINED, kind="next_session")
    coach.timer(7)
    assert coach.asked("checkin", "offer")
    assert coach.labels() == ["Start now", "Later"]
    coach.say(answer)
    assert coach.asked("grow", "goal")


def test_the_next_session_offer_can_wait() -> None:
    coach = checkin_coach(DECLINED, kind="next_session")
    coach.timer(7)
    session_id = coach.conv.data["session_id"]
    coach.choose("later")
    assert coach.texts in ([text] for text in phrasings("checkin", "later"))
    assert SessionClosed(session_id, "later") in coach.outcome.records
    assert coach.conv.flow == "idle"


def test_a_check_in_answer_that_is_no_option_is_refused() -> None:
    coach = checkin_coach()
    coach.timer(7)
    before, question = coach.snapshot(), coach.question
    coach.say("the weather was lovely")  # "sort of" once stood here; it now means Partly
    assert coach.texts[0] in phrasings("errors", "choice")
    assert_same_question(coach, before, question)


def test_check_in_dates_are_from_the_leaders_day() -> None:
    # Just after midnight in Singapore it is still the day before in UTC: "today" is theirs.
    coach = through_rating()
    coach.now = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    coach.conv.profile.timezone = "Asia/Singapore"
    coach.choose("keep")
    coach.say("today")
    assert coach.conv.flow == "idle"
    planned = records_of(coach.outcome.records, CheckinPlanned)
    assert [(r.kind, r.due_at) for r in planned] == [("action_due", datetime(2026, 11, 26, 9, 0, tzinfo=UTC))]
    # The date is read back first (issue 12).
    assert coach.texts[0] in phrasings("nudges", "understood_date", when="Thu 26 Nov")
    assert coach.texts[1] in phrasings("checkin", "rescheduled", when="Thu 26 Nov, 17:00")


def test_the_rescore_pick_is_stored_as_the_goal_the_leader_saw() -> None:
    coach = idle_coach(FakeLookup([goal_view()]))
    coach.command("rescore")
    label = coach.labels()[0]
    coach.say("1")
    assert coach.outcome.records == [AnswerGiven(coach.conv.data["session_id"], "pick", label)]


# stale and forged buttons in the other flows


def in_flow(flow: str) -> Coach:
    if flow == "checkin":
        coach = checkin_coach()
        coach.timer(7)
    elif flow == "rescore":
        coach = rescoring("6")
        coach.say("nothing")
    else:
        coach = idle_coach()
        coach.command(flow)
    return coach


@pytest.mark.parametrize(
    ("flow", "value", "offset"),
    [
        ("checkin", "maybe", 0),
        ("checkin", "done", -1),
        ("rescore", "give_up", 0),
        ("rescore", "keep", -1),
        ("level", "ceo", 0),
        ("level", "executive", 1),
        ("timezone", "Mars/Olympus", 0),
        ("timezone", "UTC", -1),
    ],
)
def test_stale_or_forged_buttons_in_every_flow_have_expired(flow: str, value: str, offset: int) -> None:
    coach = in_flow(flow)
    before, question = coach.snapshot(), coach.question
    coach.choose(value, coach.conv.question_seq + offset)
    assert coach.texts[0] in phrasings("errors", "expired")
    assert_same_question(coach, before, question)
