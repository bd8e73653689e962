"""Hangs: a stopped service process, a row lock held elsewhere, a stuck check-in round.

Each costs the leaders it touches one "please try again" (or a late check-in) and is
named in one warning line; every other leader goes on being answered. The real
`grow-coach run` against the Bot API emulator, with short deadlines set the way a team
would set them (environment variables). The waits are generous upper bounds for the
event itself, never measurements.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from bot.frontend_texts import frontend_texts
from devtools.bot_process import BotProcess
from storage.db import Database
from storage.models import LeaderRow
from tests.e2e.test_service_process import bot_on_emulator, children_of
from tests.support.bot_harness import Leader
from tests.support.checkins import (
    asked_checkins,
    by_kind,
    checkins,
    leader_of,
    new_service,
    now_utc,
    running_bot,
    seed_leader,
    set_due,
)
from tests.support.coach_driver import phrasings

TRY_AGAIN = frontend_texts("en").try_again
# The deadline is the last resort, so the database's own timeouts stay below it.
SHORT_DEADLINES = {
    "GROW_COACH_DATABASE_CALL_TIMEOUT": "3s",
    "GROW_COACH_DATABASE_STATEMENT_TIMEOUT": "2s",
    "GROW_COACH_DATABASE_LOCK_TIMEOUT": "1s",
}


async def log_line(bot: BotProcess, pattern: str, timeout: float = 30.0) -> str:
    """The first line of the bot's log (its service processes' too) matching `pattern`."""
    compiled = re.compile(pattern)
    async with asyncio.timeout(timeout):
        while True:
            for line in bot.log().splitlines():
                if compiled.search(line):
                    return line
            await asyncio.sleep(0.1)


def asks_for_a_name(text: str | None) -> bool:
    """The question that follows consent: the answer to it was taken."""
    return text in phrasings("onboarding", "name")


async def test_a_stopped_service_process_costs_one_try_again_and_is_replaced(tmp_path: Path) -> None:
    # Check-in delivery looks once, at start, so the leader's call is the one that hangs.
    env = {**SHORT_DEADLINES, "GROW_COACH_CHECKINS_DISPATCH_EVERY": "1h"}
    async with bot_on_emulator(tmp_path, **env) as (emulator, bot, _url):
        await bot.start()
        child = None
        try:
            ann = Leader(emulator, 811)
            await ann.send("/start", expect=1)
            assert bot.process is not None
            [child] = children_of(bot.process.pid)
            os.kill(child, signal.SIGSTOP)

            # Before deadlines this message went unanswered for as long as the child
            # stayed stopped, with nothing in the log.
            replies = await ann.send("yes", expect=1, timeout=30)
            assert [reply.text for reply in replies] == [TRY_AGAIN]
            warning = await log_line(bot, rf"service process pid={child} stuck")
            assert " WARNING " in warning
            assert "handle for user=811" in warning
            assert "yes" not in warning.split("stuck", 1)[1]  # what the leader wrote stays out

            # A new process answers the same message, asked again, as if nothing happened.
            replies = await ann.send("yes", expect=1, timeout=30)
            assert asks_for_a_name(replies[-1].text), replies[-1].text
            [replacement] = children_of(bot.process.pid)
            assert replacement != child
        finally:
            if child is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            await bot.stop()


@contextlib.contextmanager
def leader_row_locked(url: str, external_id: str) -> Iterator[None]:
    """Another connection holds `SELECT ... FOR UPDATE` on the leader's users row."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection, connection.begin():
            locked = connection.execute(
                select(LeaderRow.id).where(LeaderRow.external_id == external_id).with_for_update()
            ).scalar_one()
            assert locked
            yield
    finally:
        engine.dispose()


async def test_a_row_lock_held_elsewhere_costs_only_that_leader_a_try_again(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("lock_timeout is PostgreSQL's; SQLite waits its busy timeout, then says try again")
    async with bot_on_emulator(tmp_path, **SHORT_DEADLINES) as (emulator, bot, _):
        bot.env["GROW_COACH_DATABASE_URL"] = database_url  # the PostgreSQL schema of this test
        await bot.start()
        try:
            ann, bob = Leader(emulator, 821), Leader(emulator, 822)
            await ann.send("/start", expect=1, timeout=30)
            await bob.send("/start", expect=1, timeout=30)
            with leader_row_locked(database_url, "821"):
                # Before lock_timeout Ann waited for as long as the lock was held.
                replies = await ann.send("yes", expect=1, timeout=30)
                assert [reply.text for reply in replies] == [TRY_AGAIN]
                warning = await log_line(bot, r"user=821 \(update \d+\) database unavailable")
                assert " WARNING " in warning and "lock_timeout" in warning
                # Bob's row is not locked: he goes on as usual meanwhile.
                replies = await bob.send("yes", expect=1, timeout=30)
                assert asks_for_a_name(replies[-1].text), replies[-1].text
            # The lock gone, Ann's answer, asked again, is taken.
            replies = await ann.send("yes", expect=1, timeout=30)
            assert asks_for_a_name(replies[-1].text), replies[-1].text
        finally:
            await bot.stop()


async def test_a_stuck_check_in_round_is_logged_and_later_rounds_still_deliver(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the watchdog is the same on both databases; once through the bot is enough")
    db = Database(database_url)
    db.upgrade()
    try:
        ids = {}
        for user in (831, 832):
            ids[user] = seed_leader(new_service(db), user)
            for row in checkins(db, ids[user]):  # all well in the future
                set_due(db, row.id, now_utc() + timedelta(days=1) + (row.due_at - now_utc()))
        env = {"GROW_COACH_CHECKINS_STUCK_AFTER": "2s"}
        async with (
            asyncio.timeout(90),
            running_bot(database_url, tmp_path, (831, 832), **env) as (
                emulator,
                bot,
            ),
        ):
            bob = leader_of(emulator, 832)
            # Telegram tells the bot to leave the first leader's chat alone for an hour:
            # the round sending their check-in waits on it.
            emulator.fail_next("sendMessage", 429, retry_after=3600)
            set_due(db, by_kind(db, ids[831])["first"].id, now_utc())
            warning = await log_line(bot, r"check-in delivery stuck")
            assert " WARNING " in warning
            assert "sending checkin=" in warning and "user=831" in warning
            # Before the watchdog every later round was skipped while that one waited.
            set_due(db, by_kind(db, ids[832])["first"].id, now_utc())
            await asked_checkins(bob, 1, timeout=30)
            # The first leader's check-in is in their conversation, never confirmed: it
            # stays `delivering`, to be sent again after `[checkins] resend_after`.
            assert by_kind(db, ids[831])["first"].status == "delivering"
    finally:
        db.dispose()
