"""The engagement through the engine: agreeing one, numbered sessions, reminders, /log, reviews."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flows.engine import CoachEngine
from flows.parsing import MAX_ANSWER_CHARS
from flows.records import (
    CheckinPlanned,
    CheckinResolved,
    CheckinsCancelled,
    CheckinSnoozed,
    EngagementAgreed,
    EngagementDeclined,
    EngagementResized,
    EngagementSessionHeld,
    EngagementStatusChanged,
    GoalAttainmentRated,
    GoalClosed,
    ReflectionLogged,
    ReflectionsRecalled,
    ScoreGiven,
    SessionOpened,
)
from flows.session_reminders import REMINDER_KINDS
from flows.settings import CoachSettings
from flows.views import ReflectionView
from tests.support.coach_driver import (
    ENGAGED,
    NOW,
    Coach,
    FakeLookup,
    checkin_view,
    consented,
    goal_view,
    phrasings,
    records_of,
)

SECOND_GOAL = goal_view(goal_id="goal-2", text="delegate the weekly report", baseline=3)


def coach_with(lookup: FakeLookup, level: str = "experienced") -> Coach:
    return Coach(conv=consented(level=level), lookup=lookup)


# agreeing an engagement


def test_a_leader_set_up_before_engagements_is_asked_at_new_and_a_typed_length_counts() -> None:
    coach = coach_with(FakeLookup(engagement=None))
    coach.command("new")
    assert coach.asked("engagement", "length", every="2 weeks")
    assert coach.labels() == [
        "3 months · 6 sessions",
        "4 months · 8 sessions",
        "5 months · 10 sessions",
        "6 months · 12 sessions",
        "Not now",
    ]
    coach.say("4 months please")
    (agreed,) = records_of(coach.outcome.records, EngagementAgreed)
    assert (agreed.months, agreed.sessions) == (4, 8)
    assert coach.texts[0] in phrasings("engagement", "agreed", planned=8, months=4, every="2 weeks")
    assert coach.texts[1].startswith(tuple(phrasings("engagement", "session_of", number=1, planned=8)))
    assert coach.asked("grow", "goal")
    assert (coach.conv.data["engagement_id"], coach.conv.data["number"]) == (agreed.engagement_id, 1)


def test_at_start_not_now_is_kept_and_goes_back_to_the_menu() -> None:
    coach = coach_with(FakeLookup(engagement=None))
    coach.command("start")
    assert coach.asked("engagement", "length", every="2 weeks")
    coach.choose("4")  # "Not now", after the four lengths
    assert records_of(coach.outcome.records, EngagementDeclined)
    assert coach.said("engagement", "declined")
    assert coach.conv.flow == "idle"


def test_a_yes_in_words_agrees_the_usual_length_and_a_no_in_words_declines() -> None:
    for said in ("yes let's do it", "sure", "sounds good", "Sure!", "ok let's go"):
        coach = coach_with(FakeLookup(engagement=None))
        coach.command("new")
        coach.say(said)
        (agreed,) = records_of(coach.outcome.records, EngagementAgreed)
        assert (agreed.months, agreed.sessions) == (3, 6), said
        assert coach.asked("grow", "goal"), said
    for said in ("maybe later", "no thanks", "not now", "nah"):
        coach = coach_with(FakeLookup(engagement=None))
        coach.command("start")
        coach.say(said)
        assert records_of(coach.outcome.records, EngagementDeclined), said
        assert coach.said("engagement", "declined"), said
        assert coach.conv.flow == "idle", said


def test_a_length_in_words_still_wins_over_yes_and_unclear_words_are_asked_again() -> None:
    for said, months in (("4 months please", 4), ("four months", 4), ("yes, six months", 6)):
        coach = coach_with(FakeLookup(engagement=None))
        coach.command("new")
        coach.say(said)
        (agreed,) = records_of(coach.outcome.records, EngagementAgreed)
        assert agreed.months == months, said
    for said in ("what does that involve?", "yes but not now", "ten months"):
        coach = coach_with(FakeLookup(engagement=None))
        coach.command("new")
        coach.say(said)
        assert not records_of(coach.outcome.records, EngagementAgreed), said
        assert not records_of(coach.outcome.records, EngagementDeclined), said
        assert coach.conv.state == "length", said


def test_yes_while_changing_a_running_engagement_is_not_read_as_a_length() -> None:
    coach = coach_with(FakeLookup([goal_view()]))
    coach.command("engagement")
    assert coach.conv.state == "change"
    coach.say("sure")
    assert not records_of(coach.outcome.records, EngagementResized)
    assert coach.conv.state == "change"


def test_the_number_of_sessions_follows_the_interval_within_six_to_twelve() -> None:
    assert CoachSettings().sessions_for(3) == 6
    assert CoachSettings().sessions_for(6) == 12
    assert CoachSettings(session_interval=timedelta(weeks=1)).sessions_for(6) == 12
    assert CoachSettings(session_interval=timedelta(weeks=4)).sessions_for(3) == 6
    assert CoachSettings(engagement_sessions=4).sessions_for(3) == 4


# reminders


def reminded(kind: str, **lookup: object) -> Coach:
    reminder = checkin_view(checkin_id=9, kind=kind, session_id="session-1")
    coach = coach_with(FakeLookup([goal_view()], [reminder], **lookup))  # type: ignore[arg-type]
    outcome = coach.timer(9)
    assert outcome.delivered
    return coach


def test_a_due_session_is_a_reminder_with_start_and_move_and_the_leader_stays_free() -> None:
    coach = reminded("next_session")
    assert coach.question.text in phrasings(
        "engagement", "reminder", "due", name="Ann", number=2, planned=6, days="3 days"
    )
    assert coach.labels() == ["Start the session", "Move it a few days"]
    # Between sessions still: other check-ins can reach them, and ignoring it costs nothing.
    assert (coach.conv.flow, coach.conv.data) == ("idle", {"reminder_id": 9})
    # In case it is missed, the next reminder comes a session later, on the same session.
    assert coach.outcome.records == [
        CheckinPlanned("goal-1", "session-1", "session_again", NOW + timedelta(weeks=2))
    ]


def test_move_puts_the_reminder_off_by_three_days_in_the_leaders_time() -> None:
    coach = reminded("next_session")
    coach.choose("cmd:move")
    due = NOW + timedelta(days=3)
    assert coach.outcome.records == [CheckinSnoozed(9, due)]
    assert coach.said("engagement", "moved", when="Sat 28 Nov, 15:00")


def test_move_carries_the_missed_reminder_along_so_the_old_date_is_not_missed() -> None:
    # Delivering the reminder planned "session_again" a session after the old date.
    follower = checkin_view(
        checkin_id=10, kind="session_again", session_id="session-1", due_at=NOW + timedelta(weeks=2)
    )
    coach = reminded("next_session")
    coach.lookup.checkins.append(follower)  # type: ignore[attr-defined]
    coach.choose("cmd:move")
    moved = NOW + timedelta(days=3)
    assert coach.outcome.records == [CheckinSnoozed(9, moved), CheckinSnoozed(10, moved + timedelta(weeks=2))]


def test_moving_the_missed_reminder_moves_the_pause_question_too() -> None:
    pause_question = checkin_view(
        checkin_id=11, kind="session_pause", session_id="session-1", due_at=NOW + timedelta(weeks=2)
    )
    other_session = checkin_view(
        checkin_id=12, kind="session_pause", session_id="session-0", due_at=NOW + timedelta(days=1)
    )
    coach = reminded("session_again")
    coach.lookup.checkins += [pause_question, other_session]  # type: ignore[attr-defined]
    coach.choose("cmd:move")
    moved = NOW + timedelta(days=3)
    assert coach.outcome.records == [CheckinSnoozed(9, moved), CheckinSnoozed(11, moved + timedelta(weeks=2))]


def test_move_it_to_next_week_in_words_moves_the_session_there_at_the_same_time() -> None:
    coach = reminded("next_session")  # NOW is Wednesday 25 Nov, 15:00 UTC
    coach.say("can we move it to next week?")
    next_week = NOW + timedelta(weeks=1)
    assert coach.outcome.records == [CheckinSnoozed(9, next_week)]
    assert coach.said("engagement", "moved", when="Wed 02 Dec, 15:00")
    assert coach.conv.data == {}  # the reminder is dealt with


def test_push_it_without_a_day_moves_it_by_the_usual_few_days() -> None:
    coach = reminded("next_session")
    coach.say("not today, sorry — push it please")
    assert coach.outcome.records == [CheckinSnoozed(9, NOW + timedelta(days=3))]


def test_other_words_after_a_reminder_are_not_a_move() -> None:
    coach = reminded("next_session")
    coach.say("thanks")
    assert not records_of(coach.outcome.records, CheckinSnoozed)
    assert coach.said("common", "idle")


def test_can_we_do_thursday_instead_moves_the_session_to_thursday_at_the_same_time() -> None:
    coach = reminded("next_session")  # NOW is Wednesday 25 Nov, 15:00 UTC
    coach.say("can we do thursday instead")
    assert coach.outcome.records == [CheckinSnoozed(9, NOW + timedelta(days=1))]
    assert coach.said("engagement", "moved", when="Thu 26 Nov, 15:00")
    assert not coach.said("common", "idle")
    assert coach.conv.data == {}


def test_later_on_a_reminder_moves_it_by_the_usual_few_days() -> None:
    for said in ("later", "Later!", "maybe later", "let's do it later"):
        coach = reminded("next_session")
        coach.say(said)
        assert coach.outcome.records == [CheckinSnoozed(9, NOW + timedelta(days=3))], said
        assert not coach.said("common", "idle"), said


def test_start_or_yes_on_a_reminder_opens_the_numbered_session() -> None:
    for said in ("start", "yes", "let's start", "ok let's go", "Sure", "start the session"):
        coach = reminded("next_session")
        coach.say(said)
        assert coach.outcome.records[0] == CheckinResolved(9, "started"), said
        assert coach.conv.flow == "grow" and coach.conv.data["number"] == 2, said
        assert not coach.said("common", "idle"), said


def test_start_and_later_in_words_without_a_reminder_on_screen_keep_the_menu() -> None:
    for said in ("start", "yes", "later", "can we do thursday instead"):
        coach = coach_with(FakeLookup([goal_view()]))
        coach.say(said)
        assert coach.outcome.records == [], said
        assert coach.said("common", "idle"), said
        assert coach.conv.flow == "idle", said


def test_a_no_or_a_question_on_a_reminder_neither_starts_nor_moves_it() -> None:
    for said in ("no", "what's this about?", "I had a great week"):
        coach = reminded("next_session")
        coach.say(said)
        assert coach.outcome.records == [], said
        assert coach.said("common", "idle"), said
        assert coach.conv.data == {"reminder_id": 9}, said


def test_start_from_the_reminder_opens_the_numbered_session() -> None:
    coach = reminded("next_session")
    coach.choose("cmd:session")
    assert coach.outcome.records[0] == CheckinResolved(9, "started")
    assert coach.conv.flow == "grow" and coach.conv.data["number"] == 2


def test_a_missed_reminder_is_noticed_kindly_and_a_second_asks_to_pause() -> None:
    coach = reminded("session_again")
    assert coach.question.text in phrasings(
        "engagement", "reminder", "missed", name="Ann", number=2, planned=6, days="3 days"
    )
    assert records_of(coach.outcome.records, CheckinPlanned)[0].kind == "session_pause"
    coach = reminded("session_pause")
    assert records_of(coach.outcome.records, CheckinPlanned) == []  # the last one: it asks instead
    assert coach.labels() == ["Start the session", "Move it a few days", "Pause the engagement"]
    coach.choose("cmd:pause_engagement")
    assert coach.outcome.records == [
        EngagementStatusChanged("engagement-1", "paused"),
        CheckinsCancelled(kinds=REMINDER_KINDS),
    ]
    assert coach.said("engagement", "paused", number=2, planned=6)


def test_a_paused_engagement_carries_on_at_the_next_new() -> None:
    coach = coach_with(FakeLookup(engagement=replace(ENGAGED, status="paused")))
    coach.command("new")
    assert EngagementStatusChanged("engagement-1", "active") in coach.outcome.records
    assert coach.conv.data["number"] == 2


def test_outside_an_engagement_the_next_session_is_the_old_offer() -> None:
    coach = reminded("next_session", engagement=None)
    assert coach.asked("checkin", "offer")


# /log


def test_log_keeps_the_reflection_on_the_goal_and_the_next_session_brings_it_back() -> None:
    coach = coach_with(FakeLookup([goal_view()]))
    coach.send(coach_event("/log had the one-to-one, she opened up"))
    (logged,) = records_of(coach.outcome.records, ReflectionLogged)
    assert (logged.goal_id, logged.text) == ("goal-1", "had the one-to-one, she opened up")
    assert coach.said(
        "engagement",
        "logged",
        goal="stop avoiding difficult conversations with my team",
        logged="had the one-to-one, she opened up",
    )
    assert coach.conv.flow == "idle"

    reflection = ReflectionView(logged.reflection_id, "goal-1", logged.text, NOW)
    coach.lookup = FakeLookup([goal_view()], reflections=[reflection])
    coach.command("new")
    assert "had the one-to-one, she opened up" in coach.texts[0]
    assert ReflectionsRecalled((logged.reflection_id,)) in coach.outcome.records


def test_log_without_words_says_how() -> None:
    coach = coach_with(FakeLookup([goal_view()]))
    coach.command("log")
    assert coach.said("engagement", "log_how")
    assert coach.outcome.records == []


def test_log_with_only_an_emoji_asks_for_a_few_words_and_stores_nothing() -> None:
    for line in ("/log 🙂", "/log 👍👍", "/log ...", "/log 🙂 !"):
        coach = coach_with(FakeLookup([goal_view()]))
        coach.send(coach_event(line))
        assert coach.said("engagement", "log_words"), line
        assert coach.outcome.records == [], line
        assert coach.conv.flow == "idle", line


def test_log_over_the_answer_limit_is_refused_and_stores_nothing() -> None:
    coach = coach_with(FakeLookup([goal_view()]))
    coach.send(coach_event("/log " + "we talked it through " * 200))  # 4,200 characters
    assert coach.said("engagement", "log_too_long", limit=MAX_ANSWER_CHARS)
    assert "4000" in coach.texts[0]
    assert coach.outcome.records == []


def test_log_with_words_beside_an_emoji_or_at_the_limit_is_kept() -> None:
    for line in ("/log 🙂 the one-to-one went well", "/log 1:1 done 👍", "/log " + "x" * MAX_ANSWER_CHARS):
        coach = coach_with(FakeLookup([goal_view()]))
        coach.send(coach_event(line))
        (logged,) = records_of(coach.outcome.records, ReflectionLogged)
        assert logged.text == line.removeprefix("/log "), line[:40]


def test_a_crisis_in_a_log_is_screened_like_any_message() -> None:
    coach = coach_with(FakeLookup([goal_view()]))
    coach.send(coach_event("/log I want to kill myself"))
    assert not records_of(coach.outcome.records, ReflectionLogged)


def coach_event(line: str):  # type: ignore[no-untyped-def]
    from flows.events import Event

    return Event.command(line.split()[0], NOW, text=line)


# reviews


def test_the_midpoint_reviews_each_goal_and_a_replaced_goal_leads_to_a_new_one() -> None:
    lookup = FakeLookup([SECOND_GOAL, goal_view()], engagement=replace(ENGAGED, held=2))
    coach = coach_with(lookup)
    coach.command("new")
    assert coach.texts[0].startswith(tuple(phrasings("engagement", "session_of", number=3, planned=6)))
    # The oldest goal first.
    assert coach.question.text in coach.phrasings("review", "rate", "midpoint")
    first_session = coach.conv.data["session_id"]
    assert SessionOpened(first_session, "goal-1", "review") in coach.outcome.records
    coach.say("7")
    assert coach.said("review", "change", "up", rating=7, baseline=4)
    assert ScoreGiven("goal-1", first_session, "review", 7) in coach.outcome.records
    coach.say("I raise things in the weekly meeting now; rehearsing helped")
    coach.say("when deadlines pile up I still dodge it")
    assert coach.labels() == ["Keep it", "Adjust it", "Replace it"]
    coach.choose("keep")
    second = coach.conv.data["session_id"]
    assert second != first_session and SessionOpened(second, "goal-2", "review") in coach.outcome.records
    assert coach.question.text in coach.phrasings("review", "rate")
    for answer in ("3", "I handed over one report, then took it back", "I don't trust the numbers yet"):
        coach.say(answer)
    coach.choose("replace")
    records = coach.outcome.records
    assert GoalClosed("goal-2", "replaced") in records
    assert EngagementSessionHeld("engagement-1", 3) in records
    assert coach.asked("grow", "goal")
    assert coach.conv.data["engagement_id"] == "engagement-1" and "number" not in coach.conv.data


# A GROW session answered the way a leader would, whatever question comes next.
REWORK_ANSWERS = {
    "goal": "stop putting off hard conversations with Sam and Priya",
    "goal_concrete": "raise late work within a day",
    "goal_measure": "issues get raised the same week",
    "goal_by_when": "by the end of January",
    "reality_now": "I let a late report slide last week",
    "reality_tried": "notes I never used",
    "reality_cost": "deadlines stop meaning anything",
    "reality_baseline": "5",
    "options_first": "rehearse with a peer; book a weekly slot; ask HR for a script",
    "options_more": "write it down first",
    "options_bold": "skip",
    "options_pick": "1",
    "will_action": "talk to Sam on Monday about the report",
    "will_when": "friday",
    "will_support": "my manager",
    "will_obstacle": "a busy week",
    "will_if_then": "if the week fills up then I book the talk first thing",
    "will_commitment": "9",
}


def rework_session(coach: Coach) -> None:
    """Answer one GROW session through to its recap."""
    session = coach.conv.data["session_id"]
    for _ in range(len(REWORK_ANSWERS) + 2):
        if coach.conv.flow != "grow" or coach.conv.data["session_id"] != session:
            return
        coach.say(REWORK_ANSWERS[coach.conv.state])
    raise AssertionError(f"the session never closed: stuck at {coach.conv.state}")


def at_midpoint_with_three_goals() -> Coach:
    third = goal_view(goal_id="goal-3", text="hand the Monday stand-up to the team", baseline=5)
    lookup = FakeLookup([third, SECOND_GOAL, goal_view()], engagement=replace(ENGAGED, held=2))
    coach = coach_with(lookup)
    coach.command("new")
    return coach


def test_every_goal_marked_adjust_or_replace_gets_its_session_one_after_another() -> None:
    coach = at_midpoint_with_three_goals()
    for decision in ("adjust", "keep", "replace"):
        for answer in ("6", "I speak up sooner, a coach helped", "long meetings"):
            coach.say(answer)
        coach.choose(decision)
    records = coach.outcome.records
    assert GoalClosed("goal-3", "replaced") in records
    assert not records_of(records, GoalClosed)[1:]
    # The leader is told the whole plan, then the first rework starts.
    plan = next(text for text in coach.texts if "1." in text and "2." in text)
    assert "stop avoiding difficult conversations with my team" in plan
    assert "hand the Monday stand-up to the team" in plan
    assert "delegate the weekly report" not in plan
    assert coach.conv.flow == "grow" and coach.conv.data["goal_id"] == "goal-1"
    assert coach.question.text in coach.phrasings("grow", "goal", "revisit")
    coach.lookup.goals = [SECOND_GOAL, goal_view()]  # type: ignore[attr-defined]  # as stored now

    rework_session(coach)
    # Its recap, then straight on to the replaced goal's new one, still in the engagement.
    assert any(text.startswith(("Here's your plan", "Session recap")) for text in coach.texts)
    assert any("hand the Monday stand-up to the team" in text for text in coach.texts)
    assert coach.conv.flow == "grow" and coach.conv.state == "goal"
    assert "goal_id" not in coach.conv.data
    assert coach.conv.data["engagement_id"] == "engagement-1"

    rework_session(coach)
    assert coach.conv.flow == "idle"
    assert "review_follow_ups" not in coach.conv.data


def test_rework_left_part_way_opens_the_next_session() -> None:
    coach = at_midpoint_with_three_goals()
    for decision in ("keep", "adjust", "replace"):
        for answer in ("4", "I ask for help a bit earlier now", "time, mostly"):
            coach.say(answer)
        coach.choose(decision)
    assert coach.conv.data["goal_id"] == "goal-2"  # the adjusted goal first: it is the older
    coach.command("cancel")
    assert coach.conv.flow == "idle"
    # As stored now: the replaced goal closed, the review held as session 3.
    coach.lookup = FakeLookup([SECOND_GOAL, goal_view()], engagement=replace(ENGAGED, held=3))
    coach.command("new")
    assert any("delegate the weekly report" in text for text in coach.texts)
    assert coach.conv.data["goal_id"] == "goal-2" and coach.conv.data["number"] == 4
    rework_session(coach)
    # Then the replaced goal's new one, and nothing after it.
    assert coach.conv.flow == "grow" and coach.conv.state == "goal"
    rework_session(coach)
    assert coach.conv.flow == "idle" and "review_follow_ups" not in coach.conv.data


def test_the_closing_review_asks_goal_attainment_and_ends_the_engagement() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, held=5)))
    coach.command("new")
    assert coach.question.text in coach.phrasings("review", "rate", "closing")
    for answer in ("8", "I say it the same day now", "a big launch"):
        coach.say(answer)
    assert coach.labels() == [
        "-2 Much less than expected",
        "-1 Less than expected",
        "0 As expected",
        "+1 More than expected",
        "+2 Much more than expected",
    ]
    coach.say("+1")
    assert GoalAttainmentRated("goal-1", 1) in coach.outcome.records
    coach.say("booking the weekly slot for hard talks")
    records = coach.outcome.records
    assert EngagementSessionHeld("engagement-1", 6) in records
    assert EngagementStatusChanged("engagement-1", "closed") in records
    assert CheckinsCancelled(kinds=REMINDER_KINDS) in records
    summary = next(text for text in coach.texts if "→" in text)
    assert "4 → 8 out of 10" in summary and "+1 More than expected" in summary
    assert coach.asked("review", "again")
    coach.choose("no")
    assert coach.said("review", "ended")
    assert coach.conv.flow == "idle"


def test_each_attainment_button_stores_its_own_point() -> None:
    for index, value in enumerate((-2, -1, 0, 1, 2)):
        coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, held=5)))
        coach.command("new")
        for answer in ("8", "I say it the same day now", "a big launch"):
            coach.say(answer)
        coach.choose(coach.values()[index])
        assert GoalAttainmentRated("goal-1", value) in coach.outcome.records


def test_a_new_engagement_can_follow_the_close() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, held=5)))
    coach.command("new")
    for answer in ("8", "I say it the same day now", "a big launch", "0", "the weekly slot"):
        coach.say(answer)
    coach.choose("yes")
    assert coach.asked("engagement", "length", every="2 weeks")


def test_status_says_which_session_is_next() -> None:
    coach = coach_with(FakeLookup([goal_view()]))
    coach.command("status")
    assert coach.texts[0].split("\n")[-1] in phrasings(
        "engagement", "status", "next", months=3, number=2, planned=6
    )


def test_short_test_durations_give_a_short_engagement() -> None:
    settings = CoachSettings(session_interval=timedelta(seconds=20), engagement_sessions=3, quiet_hours=None)
    coach = Coach(engine=CoachEngine(settings))
    for answer in ("hello", "yes", "Ann", "experienced", "UTC"):
        coach.say(answer)
    done = coach.phrasings("onboarding", "done", months=3, planned=3, every="20 seconds")
    assert coach.texts[-2] in done
    (agreed,) = records_of(coach.outcome.records, EngagementAgreed)
    assert (agreed.months, agreed.sessions) == (3, 3)


# changing the length of a running engagement


def test_engagement_offers_a_new_length_and_make_it_4_months_recounts_the_sessions() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, held=2)))
    coach.command("engagement")
    assert coach.asked("engagement", "change", current=3, held=2)
    assert coach.labels() == [
        "3 months · 6 sessions (now)",
        "4 months · 8 sessions",
        "5 months · 10 sessions",
        "6 months · 12 sessions",
        "Keep it as it is",
    ]
    coach.say("make it 4 months")
    assert coach.outcome.records == [EngagementResized("engagement-1", 4, 8)]
    assert coach.said("engagement", "resized", months=4, planned=8, number=3)
    assert coach.conv.flow == "idle"


def test_six_months_in_words_and_the_next_session_counts_of_the_new_total() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, held=2)))
    coach.command("engagement")
    coach.say("six months")
    assert coach.outcome.records == [EngagementResized("engagement-1", 6, 12)]
    # Storage now holds the new length: "Session 3 of 12".
    coach.lookup = FakeLookup([goal_view()], engagement=replace(ENGAGED, months=6, planned=12, held=2))
    coach.command("new")
    assert coach.texts[0].startswith(tuple(phrasings("engagement", "session_of", number=3, planned=12)))


def test_keeping_the_length_changes_nothing() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, held=2)))
    coach.command("engagement")
    coach.say("no, keep it")
    assert coach.outcome.records == []
    assert coach.said("engagement", "resized", "unchanged", months=3, planned=6, number=3)


def test_shorter_than_the_sessions_held_offers_the_closing_review_now() -> None:
    long_one = replace(ENGAGED, months=6, planned=12, held=7)
    coach = coach_with(FakeLookup([goal_view()], engagement=long_one))
    coach.command("engagement")
    coach.say("3 months")
    assert coach.outcome.records == []
    assert coach.asked("engagement", "past_end", held=7, months=3, planned=6)
    coach.say("yes")
    assert coach.outcome.records[0] == EngagementResized("engagement-1", 3, 8)
    # The closing review, as session 8 of 8.
    assert coach.texts[0].startswith(tuple(phrasings("engagement", "session_of", number=8, planned=8)))
    assert coach.conv.flow == "review" and coach.question.text in coach.phrasings("review", "rate", "closing")


def test_shorter_than_the_sessions_held_and_no_keeps_it_running() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, months=6, planned=12, held=7)))
    coach.command("engagement")
    coach.say("3")
    coach.say("no")
    assert coach.outcome.records == []
    assert coach.said("engagement", "resized", "unchanged", months=6, planned=12, number=8)


def test_a_shorter_length_can_make_the_next_session_the_closing_one() -> None:
    coach = coach_with(FakeLookup([goal_view()], engagement=replace(ENGAGED, months=4, planned=8, held=5)))
    coach.command("engagement")
    coach.say("3 months please")
    assert coach.outcome.records == [EngagementResized("engagement-1", 3, 6)]
    assert coach.said("engagement", "resized", "next_closes", months=3, planned=6, number=6)
