"""/rescore through the real service, on SQLite and PostgreSQL: the list, both ways on.

Leaders are seeded by running a whole GROW session through the service; what the tests
check is what the leader reads and what is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.checkin_delivery import CheckinDelivery
from bot.coaching.contract import Claimed
from bot.coaching.local_coach import LocalCoach
from flows.events import Reply
from storage.db import Database
from storage.leader_views import goal as goal_view
from storage.models import AnswerRow, CheckinRow, CoachingSessionRow, ScoreRow
from tests.support.checkins import (
    ACTION,
    GOAL,
    ONBOARDING,
    PLAN,
    checkins,
    goal_of,
    new_service,
    rows,
    say,
    seed_leader,
)
from tests.support.coach_driver import phrasings

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
LABELS = ["Revisit the goal", "Adjust the action", "Leave it for now"]


def guided(flow: str, key: str, field: str = "ask", **values: object) -> list[str]:
    return phrasings(flow, key, field, "guided", name="Ann", action=ACTION, goal=GOAL, **values)


def texts(replies: list[Reply]) -> list[str]:
    return [reply.text for reply in replies]


def labels(reply: Reply) -> list[str]:
    return [choice.label for choice in reply.choices]


def rescore_session(db: Database) -> CoachingSessionRow:
    (found,) = rows(db, CoachingSessionRow, CoachingSessionRow.kind == "rescore")
    return found


def test_rescore_lists_goals_below_8_with_score_and_date(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 901, commitment=5, now=NOW)
    # A low commitment plans no nudges (the goal waits for /rescore), only the engagement's
    # next session.
    assert [row.kind for row in checkins(database, user_id)] == ["next_session"]
    replies = say(service, 901, "/rescore", LATER).replies
    assert texts(replies)[0] in guided("rescore", "intro")
    assert replies[-1].text in guided("rescore", "pick")
    assert labels(replies[-1]) == [f"{GOAL[:39]}… (5/10, 25 Nov)"]


def test_rescore_with_no_goal_says_so(database: Database) -> None:
    service = new_service(database)
    for message in (*ONBOARDING, "UTC"):
        say(service, 902, message, NOW)
    say(service, 902, "/cancel", NOW)
    replies = say(service, 902, "/rescore", NOW).replies
    assert texts(replies)[0] in guided("rescore", "no_goals")


def test_with_none_below_8_it_says_so_and_offers_the_open_goals(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 903, commitment=9, now=NOW)
    before = {row.id for row in checkins(database, user_id)}
    replies = say(service, 903, "/rescore", LATER).replies
    assert texts(replies)[0] in guided("rescore", "none_low")
    assert labels(replies[-1]) == [f"{GOAL[:39]}… (9/10, 25 Nov)"]
    say(service, 903, "1", LATER)
    replies = say(service, 903, "10", LATER).replies
    assert texts(replies)[-1].startswith(("10/10 — that's a commitment.", "Great, 10/10."))
    # The new commitment replaces the old plan: no second set of nudges for one goal.
    pending = [row for row in checkins(database, user_id) if row.status == "pending"]
    assert sorted(row.kind for row in pending) == ["action_due", "first", "midway", "next_session"]
    assert not {row.id for row in pending} & before
    assert {row.status for row in checkins(database, user_id) if row.id in before} == {"cancelled"}


async def test_at_8_or_more_it_confirms_and_plans_check_ins_that_name_the_action(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 904, commitment=5, now=NOW)
    say(service, 904, "/rescore", LATER)
    replies = say(service, 904, "1", LATER).replies
    assert replies[-1].text in guided("rescore", "score")
    assert labels(replies[-1]) == [str(n) for n in range(1, 11)]
    replies = say(service, 904, "8", LATER).replies
    planned = [row for row in checkins(database, user_id) if row.status == "pending"]
    session = rescore_session(database)
    assert sorted(row.kind for row in planned) == ["action_due", "first", "midway", "next_session"]
    assert {row.session_id for row in planned} == {session.id}
    assert planned[0].due_at == LATER + timedelta(seconds=2)
    assert texts(replies) in (
        [text] for text in guided("rescore", "confirmed", commitment=8, next_checkin="Sat 28 Nov, 15:00")
    )
    assert session.outcome == "committed"
    scores = [(s.kind, s.value) for s in rows(database, ScoreRow, ScoreRow.session_id == session.id)]
    assert scores == [("commitment", 8)]
    # The goal's latest commitment is now 8: it no longer counts as low.
    assert texts(say(service, 904, "/rescore", LATER).replies)[0] in guided("rescore", "none_low")
    say(service, 904, "/cancel", LATER)
    sent: list[str] = []

    async def send(claimed: Claimed, replies: list[Reply]) -> bool:
        sent.extend(reply.text for reply in replies)
        return True

    dispatcher = CheckinDelivery(LocalCoach(service), send, clock=lambda: LATER + timedelta(seconds=3))
    assert await dispatcher.run() == 1
    assert sent in ([text] for text in guided("checkin", "did", "recall_plan", if_then=PLAN))


def test_a_date_already_past_is_moved_to_the_leaders_today(database: Database) -> None:
    service = new_service(database)
    # Agreed for tomorrow, rescored a week later, late evening in Tokyo (still morning UTC).
    user_id = seed_leader(service, 905, timezone="Asia/Tokyo", commitment=5, when="tomorrow", now=NOW)
    week_later = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    say(service, 905, "/rescore", week_later)
    say(service, 905, "1", week_later)
    say(service, 905, "9", week_later)
    goal = goal_of(database, user_id)
    with database.session() as session:
        view = goal_view(session, user_id, goal.id)
    assert view is not None
    assert view.action_due == date(2026, 12, 2)
    assert (view.action, view.commitment) == (ACTION, 9)
    due = {row.kind: row.due_at for row in checkins(database, user_id)}
    # Its day is nearly over: one check-in, right after, then the next session.
    assert sorted(due) == ["action_due", "next_session"]
    assert due["action_due"] == week_later + timedelta(seconds=1)
    assert due["next_session"].astimezone(ZoneInfo("Asia/Tokyo")).time().hour == 23


def test_below_8_it_asks_what_would_raise_it_and_how_to_go_on(database: Database) -> None:
    service = new_service(database)
    seed_leader(service, 906, commitment=5, now=NOW)
    say(service, 906, "/rescore", LATER)
    say(service, 906, "1", LATER)
    replies = say(service, 906, "6", LATER).replies
    assert texts(replies) in ([text] for text in guided("rescore", "raise"))
    replies = say(service, 906, "if my manager backed it", LATER).replies
    assert replies[-1].text in guided("rescore", "low_next")
    assert labels(replies[-1]) == LABELS
    session = rescore_session(database)
    answers = [(a.step, a.text) for a in rows(database, AnswerRow, AnswerRow.session_id == session.id)]
    assert answers == [
        ("pick", f"{GOAL[:39]}… (5/10, 25 Nov)"),
        ("score", "6"),
        ("raise", "if my manager backed it"),
    ]
    assert [(s.kind, s.value) for s in rows(database, ScoreRow, ScoreRow.session_id == session.id)] == [
        ("commitment", 6)
    ]
    replies = say(service, 906, "Leave it for now", LATER).replies
    assert texts(replies) in ([text] for text in guided("rescore", "kept"))
    assert [row.kind for row in rows(database, CheckinRow)] == ["next_session"]
    assert rescore_session(database).outcome == "low_commitment"


def test_revisiting_the_goal_shows_the_earlier_answers(database: Database) -> None:
    service = new_service(database)
    seed_leader(service, 907, commitment=5, now=NOW)
    for message in ("/rescore", "1", "6", "a smaller step"):
        say(service, 907, message, LATER)
    replies = say(service, 907, "Revisit the goal", LATER).replies
    question = replies[-1].text
    assert question.startswith(("Let's look at the goal again.", "Back to the goal."))
    for earlier in (
        "• Goal: be a better leader",
        "• What would change: stop avoiding difficult conversations with my team",
        "• Today: last week I skipped telling Sam his report was late",
        "• Your rating today: 4",
        f"• Action: {ACTION}",
    ):
        assert earlier in question
    # A new goal text revises the same goal, and the round goes on to Options.
    say(service, 907, "raise late work with each person within a day", LATER)
    say(service, 907, "they tell me in our one-to-ones", LATER)
    # "How will you know" and "by when" are two questions now.
    replies = say(service, 907, "by the end of January", LATER).replies
    assert replies[-1].text in phrasings("grow", "options_first", style="guided", name="Ann")
    assert goal_of(database, rescore_session(database).user_id).text == (
        "raise late work with each person within a day"
    )


def test_adjusting_the_action_shows_the_previous_one(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 908, commitment=5, now=NOW)
    for message in ("/rescore", "1", "5", "a smaller step"):
        say(service, 908, message, LATER)
    replies = say(service, 908, "Adjust the action", LATER).replies
    assert replies[-1].text in phrasings(
        "grow", "will_action", "adjust", style="guided", name="Ann", previous_action=ACTION
    )
    new_action = "ask Sam for ten minutes on Monday"
    for message in (new_action, "monday", "my manager", "nerves", "if nervous then I read my notes"):
        say(service, 908, message, LATER)
    replies = say(service, 908, "9", LATER).replies
    assert "9/10" in replies[-1].text
    with database.session() as session:
        view = goal_view(session, user_id, goal_of(database, user_id).id)
    assert view is not None and (view.action, view.commitment) == (new_action, 9)
    assert {row.status for row in checkins(database, user_id)} == {"pending"}


def test_the_date_beside_a_goal_is_the_leaders_own(database: Database) -> None:
    service = new_service(database)
    tokyo_morning = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # Thursday 26 Nov, 08:30 in Tokyo
    seed_leader(service, 909, timezone="Asia/Tokyo", commitment=5, now=tokyo_morning)
    replies = say(service, 909, "/rescore", tokyo_morning).replies
    assert labels(replies[-1]) == [f"{GOAL[:39]}… (5/10, 26 Nov)"]
