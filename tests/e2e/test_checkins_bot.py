"""Check-ins end to end: the real `grow-coach run` against the Bot API emulator.

Each test runs the unmodified bot process (quiet hours off, the first check-in 2 s after
a session, the dispatcher every second) on SQLite, and on PostgreSQL when
GROW_COACH_TEST_DATABASE_URL is set. Leaders who need a finished session are seeded
through the real service on the same database, which is what the bot itself would
have stored; the check-ins they then get are the bot's own work.

Nothing waits for time to pass: "this leader got nothing" is shown by another leader's
check-in, due later, arriving first (the dispatcher takes due rows oldest first).
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.telegram.formatting import PARAGRAPH
from devtools.telegram_emulator import SentMessage
from flows.schedule import format_local
from storage.db import Database
from storage.leader_views import goal as goal_view
from storage.models import AnswerRow, CoachingSessionRow, ScoreRow
from tests.support.bot_harness import Leader, ends_with, has_part
from tests.support.checkins import (
    ACTION,
    ONBOARDING,
    PLAN,
    asked_checkins,
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
    seed_another_goal,
    seed_leader,
    set_due,
    texts,
    user_row,
)
from tests.support.coach_driver import phrasings

SETTLE = 0.1


def sqlite_only(database_url: str) -> None:
    """Flow behaviour that is the same on both databases: tests/storage/test_checkins_service.py
    runs it on both; through the bot once is enough (and keeps the suite quick)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the same through the bot on PostgreSQL; covered there in-process")


def guided(flow: str, key: str, field: str = "ask", **values: object) -> list[str]:
    return phrasings(flow, key, field, "guided", name="Ann", action=ACTION, **values)


def said_next_checkin(message: SentMessage) -> bool:
    """The message tells when the next check-in comes (after the date read back, if joined)."""
    paragraphs = (message.text or "").split(PARAGRAPH)
    return any(p.startswith(("Got it. I'll check in on", "Noted — next check-in")) for p in paragraphs)


def seeded(db: Database, user: int, **kwargs: object) -> int:
    """A leader after a committed session whose check-ins are all well in the future."""
    user_id = seed_leader(new_service(db), user, **kwargs)  # type: ignore[arg-type]
    for row in checkins(db, user_id):
        set_due(db, row.id, now_utc() + timedelta(days=1) + (row.due_at - now_utc()))
    return user_id


def make_due(db: Database, user_id: int, kind: str, ago: timedelta = timedelta(0)) -> None:
    set_due(db, by_kind(db, user_id)[kind].id, now_utc() - ago)


async def sentinel(db: Database, emulator: object, user: int, user_id: int) -> None:
    """Make `user`'s first check-in due now and wait for it: every check-in made due
    before this call has been through the dispatcher by the time it arrives."""
    leader = leader_of(emulator, user)  # type: ignore[arg-type]
    make_due(db, user_id, "first")
    (arrived,) = await next_messages(leader)
    assert ends_with(arrived, guided("checkin", "did", "recall_plan", if_then=PLAN))


async def test_a_check_in_arrives_after_a_session_and_its_answers_are_stored(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    async with asyncio.timeout(90), running_bot(database_url, tmp_path) as (emulator, _):
        ann = Leader(emulator, 501, "Ann", settle=SETTLE)
        for message in (*ONBOARDING, "UTC", *grow_answers(9)):
            await ann.send(message)
        recap = ann.last().text or ""
        assert "9/10" in recap
        # Two seconds later, unprompted: did the action happen?
        (asked,) = await next_messages(ann)
        assert ends_with(asked, guided("checkin", "did", "recall_plan", if_then=PLAN))
        assert [b["text"] for b in asked.buttons()] == ["Done", "Partly", "Not yet", "Snooze a day"]
        assert ends_with(texts(await ann.press("Done"))[-1], guided("checkin", "reflect", "ask_done"))
        await ann.send("Sam thanked me for being direct")
        goal = rows(db, CoachingSessionRow, CoachingSessionRow.kind == "grow")[0].goal_id
        assert ends_with(ann.last(), guided("checkin", "rating", goal=goal_text(db, goal)))
        await ann.press("7")
        assert ends_with(ann.last(), guided("checkin", "next"))
        await ann.press("Keep the action, new date")
        assert ends_with(ann.last(), guided("checkin", "new_date"))
        await ann.send("in 5 days")
        assert said_next_checkin(ann.last())
        # The new plan's first check-in, two seconds on, asks about the same action.
        (again,) = await next_messages(ann)
        assert ends_with(again, guided("checkin", "did", "recall_plan", if_then=PLAN))

    user_id = user_row_id(db, 501)
    answered = [row for row in checkins(db, user_id) if row.status == "answered"]
    assert [(row.kind, row.outcome) for row in answered] == [("first", "done")]
    # The first check-in's session is closed; the second (the re-planned one) is open.
    (checkin_session,) = rows(
        db,
        CoachingSessionRow,
        CoachingSessionRow.kind == "checkin",
        CoachingSessionRow.closed_at.is_not(None),
    )
    assert checkin_session.outcome == "done"
    steps = [(a.step, a.text) for a in rows(db, AnswerRow, AnswerRow.session_id == checkin_session.id)]
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
    # The goal's action now carries the new date; the old date's nudges are gone and the
    # next-session reminder kept its time.
    with db.session() as session:
        view = goal_view(session, user_id, goal)
    assert view is not None and (view.action, view.action_due) == (ACTION, due)
    by_session = sorted(
        (row.session_id == checkin_session.id, row.kind, row.status) for row in checkins(db, user_id)
    )
    assert by_session == [
        (False, "action_due", "cancelled"),
        (False, "first", "answered"),
        (False, "midway", "cancelled"),
        (False, "next_session", "cancelled"),
        (True, "action_due", "pending"),
        (True, "first", "sent"),
        (True, "midway", "pending"),
        (True, "next_session", "pending"),
    ]


def goal_text(db: Database, goal_id: str | None) -> str:
    from storage.models import GoalRow

    (goal,) = rows(db, GoalRow, GoalRow.id == goal_id)
    return goal.text


def user_row_id(db: Database, external_id: int) -> int:
    from storage.models import LeaderRow

    (user,) = rows(db, LeaderRow, LeaderRow.external_id == str(external_id))
    return user.id


async def test_snooze_moves_the_check_in_a_day_and_says_when(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    sqlite_only(database_url)
    user_id = seeded(db, 502, timezone="Europe/Berlin")
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (502,)) as (emulator, _):
        ann = leader_of(emulator, 502)
        make_due(db, user_id, "first")
        (asked,) = await next_messages(ann)
        assert ends_with(asked, guided("checkin", "did", "recall_plan", if_then=PLAN))
        pressed = now_utc()
        replies = await ann.press("Snooze a day", settle=SETTLE)
    row = by_kind(db, user_id)["first"]
    assert row.status == "pending"
    assert timedelta(days=1) <= row.due_at - pressed < timedelta(days=1, minutes=1)
    snoozed = guided("checkin", "snoozed", when=format_local(row.due_at, "Europe/Berlin"))
    assert texts(replies) in ([text] for text in snoozed)


async def test_the_bot_killed_before_a_check_in_sends_it_once_after_restart(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    ann_id = seeded(db, 511)
    bob_id = seeded(db, 512)
    carla_id = seeded(db, 513)
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (511, 512, 513)) as (emulator, bot):
        ann, bob = leader_of(emulator, 511), leader_of(emulator, 512)
        await bot.kill()
        # While it is down Ann's check-in falls due; Bob's had been claimed by a process
        # that died holding it, three minutes ago.
        make_due(db, ann_id, "first", ago=timedelta(minutes=5))
        three_minutes_ago = now_utc() - timedelta(minutes=3)
        set_due(
            db,
            by_kind(db, bob_id)["first"].id,
            three_minutes_ago,
            status="claimed",
            claimed_by="dead-process",
            claimed_at=three_minutes_ago,
            attempts=1,
        )
        await bot.start()
        await asked_checkins(ann, 1)
        await asked_checkins(bob, 1)
        # Carla's, due after both were sent, proves the dispatcher went round again since.
        await sentinel(db, emulator, 513, carla_id)
        assert len(checkin_questions(ann.messages)) == 1
        assert len(checkin_questions(bob.messages)) == 1
    ann_first, bob_first = by_kind(db, ann_id)["first"], by_kind(db, bob_id)["first"]
    assert (ann_first.status, ann_first.attempts) == ("sent", 1)
    assert (bob_first.status, bob_first.attempts) == ("sent", 2)
    assert bob_first.claimed_by not in (None, "dead-process")


async def test_after_downtime_only_the_latest_per_goal_within_grace_is_sent(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    service = new_service(db)
    user_id = seed_leader(service, 521)
    seed_another_goal(service, 521)
    for row in checkins(db, user_id):
        set_due(db, row.id, now_utc() + timedelta(days=2))
    first_goal, second_goal = sorted({row.goal_id for row in checkins(db, user_id)}, key=goal_order(db))
    plan = {(row.goal_id, row.kind): row.id for row in checkins(db, user_id)}
    # The bot was down for three days. The first goal's first check-in fell due before
    # the grace period (a day), its mid-way nudge and action check within it; the
    # second goal's first check-in two hours ago.
    downtime = {
        (first_goal, "first"): timedelta(days=3),
        (first_goal, "midway"): timedelta(hours=5),
        (first_goal, "action_due"): timedelta(hours=1),
        (second_goal, "first"): timedelta(hours=2),
    }
    for key, ago in downtime.items():
        set_due(db, plan[key], now_utc() - ago)
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (521,)) as (emulator, _):
        ann = leader_of(emulator, 521)
        ann.settle = SETTLE
        # Due before the bot started: it may be out before this line runs.
        (asked,) = await emulator.wait_for_bot_messages(521, 1, timeout=20)
        assert ends_with(asked, guided("checkin", "did", "recall_plan", if_then=PLAN))
        # One question at a time: the other goal's comes when this one is answered.
        for label in ("Done", "it went well", "8", "Keep the action, new date"):
            await ann.send(label)
        await ann.send("in 6 days")
        await asked_checkins(ann, 2)
        # It came straight after the first check-in's last word, in the same message.
        assert said_next_checkin(ann.messages[-1])
        assert len(checkin_questions(ann.messages)) == 2
        assert ends_with(texts(await ann.press("Done"))[-1], guided("checkin", "reflect", "ask_done"))
    status = {key: row.status for row in checkins(db, user_id) for key, id_ in plan.items() if row.id == id_}
    assert [status[key] for key in downtime] == ["expired", "expired", "answered", "answered"]


def goal_order(db: Database):  # type: ignore[no-untyped-def]
    from storage.models import GoalRow

    created = {goal.id: (goal.created_at, goal.text) for goal in rows(db, GoalRow)}
    return lambda goal_id: created[goal_id]


async def test_a_leader_who_blocked_the_bot_gets_nothing_and_loses_pending_check_ins(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    blocked_id = seeded(db, 531)
    other_id = seeded(db, 532)
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (531, 532)) as (emulator, _):
        blocked = leader_of(emulator, 531)
        emulator.block(531)
        make_due(db, blocked_id, "first")
        # Telegram answers 403; the bot marks the leader inactive and cancels the rest.
        await emulator.wait_for(lambda: not user_row(db, blocked_id).active, timeout=20)
        # Another of theirs falls due: it is never claimed for someone inactive.
        set_due(db, by_kind(db, blocked_id)["midway"].id, now_utc(), status="pending")
        await sentinel(db, emulator, 532, other_id)
        assert blocked.messages == []
    statuses = {row.kind: row.status for row in checkins(db, blocked_id)}
    # The one that hit the block never reached them: cancelled with the rest, not `sent`.
    assert statuses == {
        "first": "cancelled",
        "midway": "pending",
        "action_due": "cancelled",
        "next_session": "cancelled",
    }


async def test_a_check_in_due_mid_flow_waits_until_the_flow_ends(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    sqlite_only(database_url)
    ann_id = seeded(db, 541)
    other_id = seeded(db, 542)
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (541, 542)) as (emulator, _):
        ann = leader_of(emulator, 541)
        ann.settle = SETTLE
        asked = await ann.send("/timezone")
        assert asked[-1].text in phrasings("profile", "timezone", style="guided", name="Ann")
        make_due(db, ann_id, "first")
        await sentinel(db, emulator, 542, other_id)
        assert checkin_questions(ann.messages) == []
        await ann.send("Europe/Berlin")
        (checkin,) = await asked_checkins(ann, 1)
        # The flow's own answer first, then the check-in that waited for it.
        assert ann.messages[-1] == checkin
        assert checkin_questions(ann.messages[-2:-1]) == []
    first = by_kind(db, ann_id)["first"]
    assert (first.status, first.attempts) == ("sent", 0)


async def test_checkins_pause_and_resume_without_a_pile(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    sqlite_only(database_url)
    ann_id = seeded(db, 551, timezone="America/New_York")
    other_id = seeded(db, 552)
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (551, 552)) as (emulator, _):
        ann = leader_of(emulator, 551)
        ann.settle = SETTLE
        (listing, *_) = await ann.send("/checkins")
        # The list, then (in the same message) the question the leader is at.
        lines = (listing.text or "").split(PARAGRAPH)[0].splitlines()
        assert lines[0] in guided("common", "checkins")
        planned = checkins(db, ann_id)
        kinds = {"first": "first check-in", "midway": "halfway nudge", "action_due": "action due"}
        kinds["next_session"] = "next session"
        assert [line.split(": ", 1)[0] for line in lines[1:]] == [
            f"• {format_local(row.due_at, 'America/New_York')} — {kinds[row.kind]}" for row in planned
        ]
        assert has_part((await ann.send("/pause"))[0], guided("common", "paused"))
        make_due(db, ann_id, "first", ago=timedelta(hours=2))
        make_due(db, ann_id, "midway", ago=timedelta(hours=1))
        await sentinel(db, emulator, 552, other_id)
        assert checkin_questions(ann.messages) == []
        assert has_part((await ann.send("/resume"))[0], guided("common", "resumed"))
        (nudge,) = await asked_checkins(ann, 1)
        assert ends_with(nudge, guided("checkin", "did", "midway"))
    statuses = {row.kind: row.status for row in checkins(db, ann_id)}
    assert statuses == {
        "first": "expired",
        "midway": "sent",
        "action_due": "pending",
        "next_session": "pending",
    }


async def test_a_check_in_telegram_failed_to_carry_is_late_not_lost(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    sqlite_only(database_url)
    ann_id = seeded(db, 561)
    async with asyncio.timeout(60), running_bot(database_url, tmp_path, (561,)) as (emulator, _):
        ann = leader_of(emulator, 561)
        ann.settle = SETTLE
        # Every try of the send fails (the first and its four retries).
        emulator.fail_next("sendMessage", 502, times=5)
        make_due(db, ann_id, "first")
        # It is in Ann's conversation, not confirmed: it stays `delivering`, to be sent
        # again after a pause.
        await emulator.wait_for(
            lambda: (
                by_kind(db, ann_id)["first"].retry_at is not None
                and by_kind(db, ann_id)["first"].claimed_by is None
            ),
            timeout=30,
        )
        assert by_kind(db, ann_id)["first"].status == "delivering"
        assert ann.messages == []
        # Whatever she writes next, the question is put to her again.
        await ann.send("hello?")
        (again,) = await asked_checkins(ann, 1)
        assert ann.messages[-1] == again
        assert ends_with(texts(await ann.press("Partly"))[-1], guided("checkin", "reflect", "ask_partly"))
    first = by_kind(db, ann_id)["first"]
    assert (first.status, first.outcome, first.attempts) == ("answered", "partly", 1)
