"""Check-ins end to end: the real `grow-coach run` against the Bot API emulator.

Each test runs the unmodified bot process (quiet hours off, the first check-in 2 s after
a session, the dispatcher every second) on SQLite, and on PostgreSQL when
GROW_COACH_TEST_DATABASE_URL is set. Leaders who need a finished session are seeded
through the real service on the same database, which is what the bot itself would
have stored; the check-ins they then get are the bot's own work.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from flows.schedule import format_local
from storage.db import Database
from storage.leader_views import checkin as checkin_view
from storage.models import AnswerRow, CheckinRow, ScoreRow, SessionRow
from tests.bot_harness import Leader
from tests.coach_driver import phrasings
from tests.test_checkins_support import (
    ACTION,
    ONBOARDING,
    by_kind,
    checkin_questions,
    checkins,
    grow_answers,
    leader_of,
    new_service,
    next_messages,
    now_utc,
    rows,
    running_bot,
    seed_leader,
    set_due,
    texts,
    user_row,
)

SETTLE = 0.1


def guided(flow: str, key: str, field: str = "ask", **values: object) -> list[str]:
    return phrasings(flow, key, field, "guided", name="Ann", action=ACTION, **values)


async def test_a_check_in_arrives_after_a_session_and_its_answers_are_stored(
    database_url: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(90), running_bot(database_url, tmp_path) as (emulator, _):
        ann = Leader(emulator, 501)
        for message in (*ONBOARDING, "UTC", *grow_answers(9)):
            await ann.send(message, settle=SETTLE)
        recap = ann.last().text or ""
        assert "9/10" in recap
        # Two seconds later, unprompted: did the action happen?
        (asked,) = await next_messages(ann)
        assert asked.text in guided("checkin", "did")
        assert [b["text"] for b in asked.buttons()] == ["Done", "Partly", "Not yet", "Snooze a day"]
        replies = await ann.press("Done", settle=SETTLE)
        assert texts(replies)[-1] in guided("checkin", "reflect", "ask_done")
        await ann.send("Sam thanked me for being direct", settle=SETTLE)
        assert ann.last().text in guided("checkin", "rating", goal=recap_goal(recap))
        await ann.press("7", settle=SETTLE)
        assert ann.last().text in guided("checkin", "next")
        await ann.press("Keep the action, new date", settle=SETTLE)
        assert ann.last().text in guided("checkin", "new_date")
        await ann.send("in 5 days", settle=SETTLE)
        said = ann.last().text or ""
        assert said.startswith(("Got it. I'll check in on", "Noted — next check-in"))
        # The new plan's first check-in, two seconds on, still names the action.
        (again,) = await next_messages(ann)
        print("AGAIN", repr(again.text))
        assert again.text in guided("checkin", "did"), again.text

    db = Database(database_url)
    try:
        user_id = user_row_id(db, "501")
        answered = [row for row in checkins(db, user_id) if row.status == "answered"]
        assert [(row.kind, row.outcome) for row in answered] == [("first", "done")]
        checkin_session = rows(db, SessionRow, SessionRow.user_id == user_id, SessionRow.kind == "checkin")[0]
        assert checkin_session.outcome == "done"
        steps = [
            (a.step, a.text) for a in rows(db, AnswerRow, AnswerRow.session_id == checkin_session.id)
        ]
        due = date.fromisoformat(steps[-1][1])
        assert steps == [
            ("did", "Done"),
            ("reflect", "Sam thanked me for being direct"),
            ("rating", "7"),
            ("next", "Keep the action, new date"),
            ("new_date", due.isoformat()),
        ]
        assert due - now_utc().date() == timedelta(days=5)
        scores = rows(db, ScoreRow, ScoreRow.user_id == user_id, ScoreRow.kind == "checkin")
        assert [(s.value, s.session_id) for s in scores] == [(7, checkin_session.id)]
        # The re-planned check-ins name the kept action, and the old date's nudges are gone.
        replanned = [row for row in checkins(db, user_id) if row.session_id == checkin_session.id]
        assert sorted(row.kind for row in replanned) == ["action_due", "first", "midway"]
        with db.session() as session:
            views = [checkin_view(session, user_id, row.id) for row in replanned]
        assert {view.action for view in views if view} == {ACTION}
        old = {row.kind: row.status for row in checkins(db, user_id) if row.session_id != checkin_session.id}
        assert old == {"first": "answered", "midway": "cancelled", "action_due": "cancelled", "next_session": "pending"}
    finally:
        db.dispose()


def recap_goal(recap: str) -> str:
    line = next(line for line in recap.splitlines() if "Goal:" in line)
    return line.split("Goal:", 1)[1].strip()


def user_row_id(db: Database, external_id: str) -> int:
    from storage.models import UserRow

    with db.session() as session:
        user_id = session.scalar(select(UserRow.id).where(UserRow.external_id == external_id))
    assert user_id is not None
    return user_id


async def test_snooze_moves_the_check_in_a_day_and_says_when(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    db.upgrade()
    try:
        user_id = seed_leader(new_service(db), 502, timezone="Europe/Berlin")
        first = by_kind(db, user_id)["first"]
        set_due(db, first.id, now_utc() + timedelta(hours=1))
        async with asyncio.timeout(60), running_bot(database_url, tmp_path) as (emulator, _):
            ann = leader_of(emulator, 502)
            set_due(db, first.id, now_utc())
            (asked,) = await next_messages(ann)
            assert asked.text in guided("checkin", "did")
            pressed = now_utc()
            replies = await ann.press("Snooze a day", settle=SETTLE)
        row = by_kind(db, user_id)["first"]
        assert row.status == "pending"
        assert timedelta(days=1) <= row.due_at - pressed < timedelta(days=1, minutes=1)
        assert texts(replies) in ([text] for text in guided("checkin", "snoozed", when=format_local(row.due_at, "Europe/Berlin")))
    finally:
        db.dispose()


async def test_a_leader_who_blocked_the_bot_gets_nothing_and_loses_pending_check_ins(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    db.upgrade()
    try:
        service = new_service(db)
        blocked_id = seed_leader(service, 503)
        other_id = seed_leader(service, 504)
        async with asyncio.timeout(60), running_bot(database_url, tmp_path) as (emulator, _):
            blocked = leader_of(emulator, 503)
            other = leader_of(emulator, 504)
            emulator.block(503)
            # The other leader's check-in is due just after the blocked one's: once it
            # arrives, the dispatcher has been through the blocked leader's too.
            set_due(db, by_kind(db, blocked_id)["first"].id, now_utc())
            set_due(db, by_kind(db, other_id)["first"].id, now_utc() + timedelta(milliseconds=1))
            await next_messages(other)
            assert blocked.messages == []
        assert not user_row(db, blocked_id).active
        statuses = {row.kind: row.status for row in checkins(db, blocked_id)}
        # The one that hit the block was already in the conversation; the rest are cancelled.
        assert statuses == {"first": "sent", "midway": "cancelled", "action_due": "cancelled", "next_session": "cancelled"}
    finally:
        db.dispose()


def pending(db: Database, user_id: int) -> list[CheckinRow]:
    return [row for row in checkins(db, user_id) if row.status == "pending"]


__all__ = ["checkin_questions"]
