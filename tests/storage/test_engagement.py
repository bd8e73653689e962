"""The engagement stored: migration 0007 under a leader mid-session, numbered sessions,
reminders, reflections, goal attainment, and all of it in /export and gone after /delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from flows.settings import CoachSettings
from storage.checkin_delivery import claim_due
from storage.db import Database
from storage.export import export_user
from storage.models import CheckinRow, EngagementRow, GoalRow, ReflectionRow, ScoreRow
from tests.support.checkins import grow_answers, rows, say, seed_leader, set_due
from tests.support.coach_driver import phrasings
from tests.support.migrations import database_at, finish_session, seed_leader_mid_session

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
# Three sessions a day apart: the midpoint is session 2, the close session 3.
SHORT = CoachSettings(session_interval=timedelta(days=1), engagement_sessions=3, quiet_hours=None)


def test_upgrading_from_0007_lets_a_leader_mid_session_carry_on_and_then_agree_an_engagement(
    database_url: str,
) -> None:
    with database_at(database_url, "0007") as db:
        seed_leader_mid_session(db, NOW, goal_status="draft", goal_version=True)
        db.upgrade()
        with db.session() as session:
            assert session.scalars(select(EngagementRow)).all() == []
            assert session.get(GoalRow, "g1").attainment is None  # type: ignore[union-attr]

        # The session in progress carries on untouched: no engagement question mid-way.
        service = CoachService(db, CoachEngine(SHORT))
        again = service.handle("terminal", "ann", Event.command("start", now=NOW)).replies
        assert again[-1].text in phrasings("grow", "goal_measure")
        handled = finish_session(service, NOW)
        assert "Commitment: 9/10" in handled.replies[-1].text
        # The next /new asks for an engagement first.
        asked = service.handle("terminal", "ann", Event.command("new", now=NOW)).replies
        assert asked[-1].text in phrasings("engagement", "length", every="1 day")
        started = service.handle("terminal", "ann", Event.message("3 months", NOW)).replies
        assert any(reply.text.startswith(("Session 1 of 3", "This is session 1 of 3")) for reply in started)
        (engagement,) = rows(db, EngagementRow)
        assert (engagement.status, engagement.months, engagement.sessions_planned) == ("active", 3, 3)


def test_an_engagement_end_to_end_in_storage_then_export_and_delete(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    try:
        service = CoachService(db, CoachEngine(SHORT))
        user_id = seed_leader(service, 41, now=NOW)
        (engagement,) = rows(db, EngagementRow)
        assert (engagement.sessions_planned, engagement.sessions_held) == (3, 1)
        reminders = {r.kind: r.due_at for r in rows(db, CheckinRow) if r.kind.startswith(("next", "session"))}
        assert reminders == {"next_session": NOW + timedelta(days=1)}
        later = NOW + timedelta(hours=2)
        say(service, 41, "/log had the one-to-one, she opened up", later)
        (reflection,) = rows(db, ReflectionRow)
        assert reflection.recalled_at is None

        # Session 2 is the midpoint review: the reflection comes back, the goal is re-rated.
        day2 = NOW + timedelta(days=1)
        opening = [r.text for r in say(service, 41, "/new", day2).replies]
        assert any("had the one-to-one, she opened up" in t for t in opening)
        for answer in ("7", "I raise things the same day now", "big launches"):
            say(service, 41, answer, day2)
        say(service, 41, "keep", day2)
        (engagement,) = rows(db, EngagementRow)
        assert engagement.sessions_held == 2
        assert rows(db, ReflectionRow)[0].recalled_at is not None

        # Session 3 closes: goal attainment stored on the goal, the engagement closed.
        day3 = NOW + timedelta(days=2)
        for answer in ("/new", "8", "I don't wait any more", "nothing much now", "+1", "the weekly slot"):
            say(service, 41, answer, day3)
        (engagement,) = rows(db, EngagementRow)
        assert (engagement.status, engagement.sessions_held) == ("closed", 3)
        (goal,) = rows(db, GoalRow)
        assert goal.attainment == 1
        reviews = [s.value for s in rows(db, ScoreRow, ScoreRow.kind == "review")]
        assert reviews == [7, 8]
        assert not [r for r in rows(db, CheckinRow) if r.status == "pending" and "session" in r.kind]

        with db.session() as session:
            exported = export_user(session, user_id)
        assert exported["engagements"][0]["sessions_held"] == 3
        assert exported["goals"][0]["attainment"] == 1
        assert exported["goals"][0]["reflections"][0]["text"] == "had the one-to-one, she opened up"

        # The action's check-in, due meanwhile, follows the review; it is left for /delete.
        say(service, 41, "no", day3)
        say(service, 41, "/cancel", day3)
        say(service, 41, "/delete", day3)
        say(service, 41, "yes", day3)
        assert rows(db, EngagementRow) == [] and rows(db, ReflectionRow) == []
    finally:
        db.dispose()


def test_a_moved_session_is_not_called_missed_on_its_old_date(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    try:
        fortnightly = CoachSettings(engagement_sessions=6, quiet_hours=None)
        service = CoachService(db, CoachEngine(fortnightly))
        seed_leader(service, 43, now=NOW)
        (reminder,) = rows(db, CheckinRow, CheckinRow.kind == "next_session")
        due = reminder.due_at
        assert due == NOW + timedelta(weeks=2)
        for action_checkin in rows(db, CheckinRow, CheckinRow.id != reminder.id):
            set_due(db, action_checkin.id, action_checkin.due_at, status="answered")
        with db.session() as session:
            claimed = next(c for c in claim_due(session, due, "w1", 10) if c.checkin_id == reminder.id)
        handled = service.deliver_checkin(claimed, "w1", due)
        assert handled.delivered
        question = handled.replies[-1].question
        # The reminder planned the "missed" one a session later; "move it" moves both.
        moved = service.handle("telegram", "43", Event.pick("cmd:move", question, due))
        assert moved.replies
        by_kind = {r.kind: r for r in rows(db, CheckinRow) if r.kind in ("next_session", "session_again")}
        assert (by_kind["next_session"].status, by_kind["next_session"].due_at) == (
            "pending",
            due + timedelta(days=3),
        )
        assert by_kind["session_again"].due_at == due + timedelta(days=3) + timedelta(weeks=2)
    finally:
        db.dispose()


def test_a_new_length_is_stored_and_status_counts_of_it(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    try:
        service = CoachService(db, CoachEngine(CoachSettings(quiet_hours=None)))
        seed_leader(service, 44, now=NOW)
        (engagement,) = rows(db, EngagementRow)
        assert (engagement.months, engagement.sessions_planned, engagement.sessions_held) == (3, 6, 1)
        say(service, 44, "/engagement", NOW)
        say(service, 44, "make it 4 months", NOW)
        (engagement,) = rows(db, EngagementRow)
        assert (engagement.months, engagement.sessions_planned, engagement.sessions_held) == (4, 8, 1)
        status = say(service, 44, "/status", NOW).replies[0].text
        assert any(
            line in status
            for line in phrasings("engagement", "status", "next", months=4, number=2, planned=8)
        )
    finally:
        db.dispose()


def test_answers_of_a_seeded_leader_are_unchanged() -> None:
    # The seeding helpers still end on the recap: the engagement adds no question to onboarding.
    assert grow_answers(9)[-1] == "9"
