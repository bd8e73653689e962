"""Database faults while leaders are answering: the bot asks them to try again, writes
nothing by halves, and recovers on its own once the database is back.

(a) PostgreSQL is restarted under the running bot (`scripts/pg-test-server restart`).
(b) SQLite is locked by another connection (`BEGIN EXCLUSIVE`) for longer than the bot's
    busy timeout.

In both, the bot process is never restarted: recovery is its own doing.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from tests.support.reliability import (
    BotRun,
    SimLeader,
    expected_path,
    gather_bounded,
    grow_answers,
    log_problems,
    misfiled,
    running_bot,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = ROOT / "scripts" / "pg-test-server"
SEED = int(os.environ.get("GROW_COACH_RELIABILITY_SEED", "20261125"))
LEADERS = int(os.environ.get("GROW_COACH_RELIABILITY_DB_LEADERS", "12"))
SQLITE_BUSY_TIMEOUT = 5.0  # PRAGMA busy_timeout in storage/db.py
LOCK_HELD = SQLITE_BUSY_TIMEOUT + 2.5
MAX_OUTAGES = 3

Outage = Callable[[], Awaitable[None]]


def saw_try_again(leader: SimLeader) -> bool:
    return "bot.try_again" in leader.seen_kinds()


async def leaders_through_outages(run: BotRun, first_user_id: int, outage: Outage) -> list[SimLeader]:
    """Leaders go through a session; once they are well under way the database goes away.

    The outage is repeated (at most MAX_OUTAGES times) until some leader has been told to
    try again, so the test never passes without having hit the fault.
    """
    rng = random.Random(SEED)
    leaders = [SimLeader(run, first_user_id + i, i, random.Random(rng.random())) for i in range(LEADERS)]
    total = LEADERS * 21

    async def cause_outages() -> int:
        outages = 0
        deadline = time.monotonic() + 120
        while outages < MAX_OUTAGES and not any(saw_try_again(leader) for leader in leaders):
            mark = 0.3 + 0.15 * outages
            while sum(len(leader.accepted) for leader in leaders) < mark * total:
                if all(leader.done for leader in leaders) or time.monotonic() > deadline:
                    return outages
                await asyncio.sleep(0.05)
            await outage()
            outages += 1
            await asyncio.sleep(1.0)  # replies to what was sent during the outage arrive
        return outages

    outages = asyncio.create_task(cause_outages())
    await gather_bounded([leader.complete_session() for leader in leaders], 150, "leaders")
    assert await asyncio.wait_for(outages, 30) >= 1
    return leaders


def check_after_outage(run: BotRun, leaders: list[SimLeader], url: str) -> None:
    snap = snapshot(url)
    told = [leader.name for leader in leaders if saw_try_again(leader)]
    assert told, "no leader was asked to try again: the outage was never noticed"
    # Nothing else went wrong on the way: no "something went wrong", no lost replies.
    for leader in leaders:
        assert "bot.something_wrong" not in leader.seen_kinds(), "\n".join([leader.name, *leader.transcript])
    # The bot recovered by itself: same process, and every session went on to the end.
    assert run.alive and run.generation == 0
    for leader in leaders:
        uid = str(leader.user_id)
        story = "\n".join([leader.name, *leader.transcript])
        assert leader.done and "grow.closed" in leader.seen_kinds(), story
        # Nothing half-written: the session's answers are exactly its path, in order, each
        # the answer the leader gave to that question (a retried answer is kept once).
        session_id, answers = grow_answers(snap, uid)
        assert session_id is not None, story
        steps = tuple(answer.step for answer in answers)
        assert steps == expected_path(answers[0].text), story
        assert not misfiled(answers), f"{leader.name}: {misfiled(answers)}"
        assert snap.conversations[uid] == ("idle", "idle") or snap.conversations[uid][0] == "checkin"
    # Every stored session's answers are a prefix of its question order; none is orphaned.
    for uid, sessions in snap.sessions.items():
        for session_id, kind, _ in sessions:
            if kind != "grow":
                continue
            steps = tuple(a.step for a in snap.answers.get(uid, []) if a.session_id == session_id)
            assert steps == expected_path(snap.answers[uid][0].text)[: len(steps)]
    assert snap.orphan_answers == 0
    problems = log_problems(run.log())
    assert not problems, "\n".join(problems[:20])


@pytest.fixture
def restartable_postgresql() -> Iterator[str]:
    """A private schema on the test server, made and dropped over fresh connections.

    conftest's `database_url` keeps one admin connection open across the test, and a
    server restart kills it; this test restarts the server on purpose.
    """
    base = os.environ.get("GROW_COACH_TEST_DATABASE_URL")
    if not base:
        pytest.skip(
            "PostgreSQL restart needs GROW_COACH_TEST_DATABASE_URL and PG_TEST_STATE; "
            "run it with: scripts/pg-test-server run -- make test"
        )
    if not os.environ.get("PG_TEST_STATE"):
        pytest.skip("restarting PostgreSQL needs PG_TEST_STATE, which `scripts/pg-test-server run` sets")
    schema = f"test_{uuid.uuid4().hex[:12]}"

    def admin(statement: str) -> None:
        engine = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        admin(f'DROP SCHEMA "{schema}" CASCADE')


async def test_postgresql_restart_mid_conversation(restartable_postgresql: str, tmp_path: Path) -> None:
    database_url = restartable_postgresql

    async def restart_postgresql() -> None:
        process = await asyncio.create_subprocess_exec(
            str(PG_SERVER),
            "restart",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, stderr.decode(errors="replace")

    async with running_bot(database_url, tmp_path, GROW_COACH_CHECKINS_FIRST_AFTER="2s") as run:
        leaders = await leaders_through_outages(run, 730_000, restart_postgresql)
        await asyncio.sleep(3.0)  # check-ins fall due after the outage and go out normally
        check_after_outage(run, leaders, database_url)


async def test_sqlite_locked_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'grow-coach.db'}"
    path = make_url(url).database
    assert path is not None

    async def lock_the_file() -> None:
        # Another program holds the write lock for longer than the bot will wait for it.
        locker = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        try:
            await asyncio.to_thread(locker.execute, "BEGIN EXCLUSIVE")
            await asyncio.sleep(LOCK_HELD)
            await asyncio.to_thread(locker.execute, "ROLLBACK")
        finally:
            locker.close()

    async with running_bot(url, tmp_path, GROW_COACH_CHECKINS_FIRST_AFTER="2s") as run:
        leaders = await leaders_through_outages(run, 740_000, lock_the_file)
        await asyncio.sleep(3.0)
        check_after_outage(run, leaders, url)
