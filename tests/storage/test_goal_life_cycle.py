"""Goals with a life cycle, stored: earlier wordings kept, closing with a reason,
check-ins cancelled when done or closed, drafts kept out of sight, the recap that opens
the next session, and migration 0002 under a leader who is mid-session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event, Reply
from flows.records import (
    ActionAgreed,
    GoalOpened,
    GoalRevised,
    Record,
    ScoreGiven,
    SessionGoalSet,
    SessionOpened,
)
from storage.db import Database
from storage.leader_history import LeaderHistory
from storage.models import CheckinRow, CoachingSessionRow, GoalRow, GoalVersionRow, ScoreRow
from tests.support.checkins import ACTION, PLAN, by_kind, new_service, rows, say, seed_leader
from tests.support.coach_driver import phrasings
from tests.support.migrations import (
    MID_SESSION_GOAL,
    database_at,
    finish_session,
    insert_bare_leader,
    seed_leader_mid_session,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def apply(db: Database, user_id: int, records: list[Record], now: datetime = NOW) -> None:
    with db.session() as session:
        LeaderHistory(session, user_id).apply(records, now)


def answer_checkin(service: CoachService, user: int, kind: str, at: datetime, *answers: str) -> list[str]:
    """Deliver the leader's check-in of `kind` at `at`, then answer it."""
    user_id = seed_user_id(service, user)
    checkin = by_kind(service.db, user_id)[kind]
    with service.db.session() as session:
        session.execute(
            CheckinRow.__table__.update()
            .where(CheckinRow.id == checkin.id)
            .values(due_at=at - timedelta(seconds=1))
        )
    due = service.claim_checkins("telegram", at, "w1", 10, timedelta(days=30))
    (claimed,) = [c for c in due if c.checkin_id == checkin.id]
    shown = [reply.text for reply in service.deliver_checkin(claimed, "w1", at).replies]
    for message in answers:
        shown = [reply.text for reply in say(service, user, message, at).replies]
    return shown


def seed_user_id(service: CoachService, user: int) -> int:
    return say(service, user, "/checkins", NOW).user_id


# earlier versions


def test_revisiting_a_goal_keeps_the_earlier_wording_and_its_commitment(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 701, commitment=5, now=NOW)
    for message in (
        "/rescore",
        "1",
        "6",
        "a smaller step",
        "Revisit the goal",
        "raise late work the same day",
    ):
        say(service, 701, message, NOW + timedelta(days=1))
    (goal,) = rows(database, GoalRow, GoalRow.user_id == user_id)
    # v1 the vague goal, v2 as sharpened in the first session, v3 from the revisit.
    assert (goal.text, goal.version) == ("raise late work the same day", 3)
    versions = rows(database, GoalVersionRow, GoalVersionRow.goal_id == goal.id)
    assert [(v.version, v.text) for v in versions] == [
        (1, "be a better leader"),
        (2, "be a better leader — stop avoiding difficult conversations with my team"),
        (3, "raise late work the same day"),
    ]
    # The commitments given so far stay filed under the wording they were given to.
    scores = rows(database, ScoreRow, ScoreRow.goal_id == goal.id, ScoreRow.kind == "commitment")
    assert [(s.value, s.goal_version) for s in scores] == [(5, 2), (6, 2)]
    with database.session() as session:
        exported = LeaderHistory(session, user_id).export()
    assert [v["version"] for v in exported["goals"][0]["versions"]] == [1, 2, 3]
    say(service, 701, "/cancel", NOW)
    export_text = readable_export(say(service, 701, "/export", NOW).replies)
    assert "Earlier wording (v2" in export_text and "Earlier wording (v3" not in export_text


def test_the_same_wording_again_adds_no_version(database: Database) -> None:
    user_id = seed_user_id(new_service(database), 702)
    apply(
        database, user_id, [GoalOpened("g", "delegate the report"), GoalRevised("g", "delegate the report")]
    )
    assert len(rows(database, GoalVersionRow, GoalVersionRow.goal_id == "g")) == 1


# closing and cancelling


def test_closing_a_goal_with_goals_cancels_its_pending_check_ins(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 703, now=NOW)
    assert {row.status for row in by_kind(database, user_id).values()} == {"pending"}
    listing = say(service, 703, "/goals", NOW).replies
    assert "be a better leader" in listing[0].text and ACTION in listing[0].text
    say(service, 703, "1", NOW)
    closed = say(service, 703, "Dropped", NOW).replies
    assert closed[0].text.split("“")[0] in {t.split("“")[0] for t in phrasings("goals", "closed", "dropped")}
    (goal,) = rows(database, GoalRow, GoalRow.user_id == user_id)
    assert (goal.status, goal.closed_reason, goal.closed_at) == ("closed", "dropped", NOW)
    assert {row.status for row in by_kind(database, user_id).values()} == {"cancelled"}
    # Gone from /status, /rescore and /goals; still in /export.
    assert any(
        t in say(service, 703, "/status", NOW).replies[0].text for t in phrasings("common", "status_no_goal")
    )
    assert say(service, 703, "/rescore", NOW).replies[0].text in phrasings("rescore", "no_goals")
    assert say(service, 703, "/goals", NOW).replies[0].text in phrasings("goals", "none")
    assert "Closed" in readable_export(say(service, 703, "/export", NOW).replies)


def test_done_at_a_check_in_cancels_the_actions_remaining_nudges(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 704, now=NOW)
    asked = answer_checkin(service, 704, "first", NOW + timedelta(seconds=3))
    assert PLAN in asked[-1]  # the check-in recalls the leader's own if-then plan
    answer_checkin_reply = say(service, 704, "Done", NOW + timedelta(seconds=4))
    assert answer_checkin_reply.replies
    statuses = {row.kind: row.status for row in rows(database, CheckinRow, CheckinRow.user_id == user_id)}
    assert statuses["first"] == "answered"
    assert statuses["midway"] == "cancelled" and statuses["action_due"] == "cancelled"
    # The rhythm of sessions stays: the next-session reminder is still planned.
    assert statuses["next_session"] == "pending"


# drafts


def test_an_abandoned_session_leaves_no_goal_in_status_or_rescore(database: Database) -> None:
    service = new_service(database)
    for message in ("hello", "yes", "Ann", "first time", "UTC", "delegate the weekly report to Sam"):
        say(service, 705, message, NOW)
    asked = say(service, 705, "/new", NOW).replies[-1]
    assert [choice.value for choice in asked.choices] == ["cmd:abandon", "cmd:stay"]
    handled = service.handle("telegram", "705", Event.pick("cmd:abandon", asked.question or 0, NOW))
    assert handled.replies[-1].text in phrasings("grow", "goal", style="guided", name="Ann")
    say(service, 705, "/cancel", NOW)
    (goal,) = rows(database, GoalRow, GoalRow.user_id == handled.user_id)
    assert goal.status == "draft"
    outcomes = sorted(
        row.outcome or ""
        for row in rows(database, CoachingSessionRow, CoachingSessionRow.user_id == handled.user_id)
    )
    assert outcomes == ["abandoned", "cancelled"]
    status = say(service, 705, "/status", NOW).replies[0].text
    assert "delegate the weekly report" not in status
    assert say(service, 705, "/rescore", NOW).replies[0].text in phrasings("rescore", "no_goals")


# the recap that opens the next session


def test_the_recap_reads_goal_action_plan_check_in_and_rating_trend(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 706, now=NOW)
    answer_checkin(
        service, 706, "first", NOW + timedelta(seconds=3), "Partly", "the launch got in the way", "6"
    )
    with database.session() as session:
        recap = LeaderHistory(session, user_id).last_recap()
    assert recap is not None
    assert (recap.action, recap.if_then, recap.checkin_outcome) == (ACTION, PLAN, "partly")
    assert [(r.kind, r.value) for r in recap.ratings] == [("baseline", 4), ("checkin", 6)]
    # Before the next nudge falls due (it would be put into the conversation first).
    say(service, 706, "/cancel", NOW + timedelta(minutes=1))
    opening = say(service, 706, "/new", NOW + timedelta(minutes=1)).replies[-1].text
    assert "4 → 6" in opening and ACTION in opening and PLAN in opening


# migration 0002 under a leader mid-session


def test_upgrading_from_0001_lets_a_leader_mid_session_carry_on(database_url: str) -> None:
    with database_at(database_url, "0001") as db:
        seed_leader_mid_session(db, NOW, goal_status="open", goal_version=False)
        goal = MID_SESSION_GOAL
        db.upgrade()
        with db.session() as session:
            (row,) = session.scalars(select(GoalRow)).all()
            assert (row.status, row.version) == ("draft", 1)  # no action agreed yet
            versions = session.scalars(select(GoalVersionRow)).all()
            assert [(v.goal_id, v.version, v.text) for v in versions] == [("g1", 1, goal)]
        # The leader picks up where they were and finishes the session.
        service = CoachService(db, CoachEngine())
        again = service.handle("terminal", "ann", Event.command("start", now=NOW)).replies
        assert again[-1].text in phrasings("grow", "goal_measure")
        handled = finish_session(service)
        assert handled is not None and "Commitment: 9/10" in handled.replies[-1].text
        with db.session() as session:
            (row,) = session.scalars(select(GoalRow)).all()
            assert row.status == "open"
            scores = session.scalars(select(ScoreRow).order_by(ScoreRow.id)).all()
            assert [(s.kind, s.value, s.goal_version) for s in scores] == [
                ("baseline", 4, 1),
                ("commitment", 9, 1),
            ]
            assert len(LeaderHistory(session, 1).open_goals()) == 1


def test_upgrading_keeps_a_finished_goal_open(database_url: str) -> None:
    with database_at(database_url, "0001") as db:
        stamp = NOW.isoformat()
        with db.engine.begin() as connection:
            insert_bare_leader(connection, "bo", stamp)
            connection.execute(
                text(
                    "INSERT INTO goals (id, user_id, text, status, created_at, updated_at)"
                    " VALUES ('g1', 1, 'delegate', 'open', :t, :t), ('g2', 1, 'listen', 'closed', :t, :t)"
                ),
                {"t": stamp},
            )
            connection.execute(
                text(
                    "INSERT INTO coaching_sessions (id, user_id, goal_id, kind, started_at, action)"
                    " VALUES ('s1', 1, 'g1', 'grow', :t, 'hand over the report')"
                ),
                {"t": stamp},
            )
            connection.execute(
                text(
                    "INSERT INTO scores (user_id, goal_id, session_id, kind, value, created_at)"
                    " VALUES (1, 'g1', 's1', 'commitment', 8, :t)"
                ),
                {"t": stamp},
            )
        db.upgrade()
        with db.session() as session:
            statuses = dict(session.execute(select(GoalRow.id, GoalRow.status)).all())
            assert statuses == {"g1": "open", "g2": "closed"}
            assert session.scalars(select(ScoreRow.goal_version)).all() == [1]
            assert [g.goal_id for g in LeaderHistory(session, 1).open_goals()] == ["g1"]


def test_an_action_agreed_opens_a_draft(database: Database) -> None:
    user_id = seed_user_id(new_service(database), 707)
    apply(
        database,
        user_id,
        [SessionOpened("s", None, "grow"), GoalOpened("g", "run the retro"), SessionGoalSet("s", "g")],
    )
    assert rows(database, GoalRow, GoalRow.id == "g")[0].status == "draft"
    apply(
        database,
        user_id,
        [ActionAgreed("g", "s", "book the room", NOW.date()), ScoreGiven("g", "s", "commitment", 9)],
    )
    assert rows(database, GoalRow, GoalRow.id == "g")[0].status == "open"


def readable_export(replies: list[Reply]) -> str:
    """The Markdown file /export sends."""
    [markdown] = [r.attachment for r in replies if r.attachment and r.attachment.filename.endswith(".md")]
    return markdown.content.decode("utf-8")
