"""Stakeholder messages and the leader's hot path, through the real service and database:
a redelivered stakeholder update is applied once, and a leader's ordinary answer runs no
feedback query (counted statement by statement), while a leader answering someone else's
link is still taken through it. Also migration 0009 under existing rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy import event, func, select, text

from bot.coaching.contract import Handled
from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from storage.db import Database
from storage.models import EngagementRow, FeedbackResponseRow, LeaderRow, SeenStakeholderUpdateRow
from tests.storage.test_stakeholder_feedback import (
    invite,
    leader_with_goal,
    make_service,
    say,
    texts,
)
from tests.support.migrations import database_at, finish_session, seed_leader_mid_session

UPDATES = count(1000)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def send(service: CoachService, who: str, message: str, update_id: int) -> Handled:
    now = datetime.now(UTC)
    if message.startswith("/"):
        happened = Event.command(message.split()[0], now=now, text=message)
    else:
        happened = Event.message(message, now=now)
    return service.handle("telegram", who, happened, update_id=update_id)


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    sent: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", keep)


def mid_session(service: CoachService, who: str) -> None:
    for message in ["hi", "yes", who, "2", "UTC", "/new"]:
        say(service, who, message)


def answer_statements(database: Database, service: CoachService, who: str) -> list[str]:
    mid_session(service, who)
    with statements(database) as sent:
        handled = send(service, who, "I want to stop rescuing my team when they get stuck", next(UPDATES))
    assert handled.replies and not handled.duplicate
    return sent


def test_a_leader_answer_runs_no_feedback_query(database: Database) -> None:
    with_feedback = answer_statements(database, make_service(database), "7001")
    without = answer_statements(database, CoachService(database, CoachEngine()), "7002")
    assert not [s for s in with_feedback if "feedback_responses" in s or "seen_stakeholder" in s]
    # Switching stakeholder feedback on costs an ordinary leader answer not one statement.
    assert len(with_feedback) == len(without)


def test_a_leader_answering_someone_elses_link_goes_through_it_and_then_back(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    bo = "7003"
    mid_session(service, bo)
    welcome = texts(say(service, bo, start))
    assert "Ann asked for your honest view" in welcome
    with database.session() as session:
        assert session.scalar(select(LeaderRow.giving_feedback).where(LeaderRow.external_id == bo)) is True
    for message in ("2", "7", "gives credit"):
        say(service, bo, message)
    done = texts(say(service, bo, "could delegate more"))
    assert "/withdraw" in done
    with database.session() as session:
        stored = session.scalars(select(FeedbackResponseRow)).one()
        assert (stored.relationship, stored.rating, stored.keep, stored.change) == (
            "report",
            7,
            "gives credit",
            "could delegate more",
        )
        assert session.scalar(select(LeaderRow.giving_feedback).where(LeaderRow.external_id == bo)) is False
    # Back to their own coaching: their next answer is a goal again, and costs no feedback query.
    with statements(database) as sent:
        send(service, bo, "I want to stop rescuing my team when they get stuck", next(UPDATES))
    assert not [s for s in sent if "feedback_responses" in s]


def test_a_redelivered_stakeholder_update_is_applied_once(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    person = "7004"
    steps = [(start, next(UPDATES)), ("1", next(UPDATES)), ("8", next(UPDATES))]
    for message, update_id in steps:
        send(service, person, message, update_id)
    keep_id = next(UPDATES)
    send(service, person, "asks before deciding", keep_id)
    # Telegram sends the answer to "what to keep" again: it must not become "what to change".
    again = send(service, person, "asks before deciding", keep_id)
    assert again.duplicate and again.replies == []
    last_id = next(UPDATES)
    thanks = send(service, person, "share the why behind decisions", last_id)
    assert "/withdraw" in texts(thanks)
    # The last answer again: not a new person to onboard, and nothing stored twice.
    repeated = send(service, person, "share the why behind decisions", last_id)
    assert repeated.duplicate and repeated.replies == []
    with database.session() as session:
        stored = session.scalars(select(FeedbackResponseRow)).one()
        assert (stored.step, stored.keep, stored.change) == (
            "done",
            "asks before deciding",
            "share the why behind decisions",
        )
        assert session.scalar(select(LeaderRow).where(LeaderRow.external_id == person)) is None
        digests = session.scalars(select(SeenStakeholderUpdateRow.digest)).all()
    # Nothing in the dedupe table can be joined to the answers.
    assert stored.responder not in digests
    assert not any(person in digest or str(last_id) in digest for digest in digests)


def test_a_redelivered_link_opening_does_not_restart_the_answers(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    person = "7005"
    opened_id = next(UPDATES)
    send(service, person, start, opened_id)
    send(service, person, "1", next(UPDATES))
    assert send(service, person, start, opened_id).duplicate
    rating = texts(send(service, person, "6", next(UPDATES)))
    assert "keep" in rating.lower()


def test_upgrading_from_0008_lets_a_leader_mid_session_carry_on(database_url: str) -> None:
    with database_at(database_url, "0008") as db:
        seed_leader_mid_session(db, NOW, goal_status="draft", goal_version=True)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO engagements (id, user_id, status, months, sessions_planned,"
                    " sessions_held, started_at) VALUES ('e1', 1, 'active', 3, 6, 2, :t)"
                ),
                {"t": NOW.isoformat()},
            )
        db.upgrade()
        service = CoachService(db, CoachEngine(), feedback_key=b"k" * 32)
        # Her answers take the leader path (no stakeholder query) and the session ends as before.
        with statements(db) as sent:
            recap = finish_session(service, NOW)
        assert any("9/10" in reply.text for reply in recap.replies)
        assert not [s for s in sent if "feedback_responses" in s]
        with db.session() as session:
            leader = session.get(LeaderRow, 1)
            assert leader is not None and leader.giving_feedback is False
            engaged = session.get(EngagementRow, "e1")
            assert engaged is not None and (engaged.feedback_offered, engaged.sessions_held) == ("", 2)
            assert session.scalar(select(func.count()).select_from(SeenStakeholderUpdateRow)) == 0
