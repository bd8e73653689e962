"""The service process (bot/processes/service_process.py): database work in a child, as `grow-coach run`
does it, with the child's death and the parent's death handled."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.coaching.contract import StoreUnavailable
from bot.coaching.wiring import open_database
from bot.config.loader import ConfigError, load_config
from bot.processes.service_process import ServiceProcess
from bot.telegram.runner import service_processes
from devtools.telegram_emulator import BotApiEmulator
from flows.events import Event
from storage.db import Database
from storage.models import ConversationRow, LeaderRow
from tests.support.bot_harness import CONSENT, TOKEN, BotProcess, Leader, bot_env


def children_of(pid: int) -> list[int]:
    """Service processes started by `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        # State Z: exited, waiting for its parent to collect it.
        if int(fields[1]) == pid and fields[0] != "Z" and b"bot.processes.service_child" in command:
            found.append(int(stat.parent.name))
    return found


def loaded_files(pid: int) -> str:
    """The files mapped into `pid`, SQLAlchemy's compiled modules among them once imported."""
    return Path(f"/proc/{pid}/maps").read_text()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def exited(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return not alive(pid)


@contextlib.contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """SQLite's write lock held elsewhere: a child's call made meanwhile is surely mid-call
    (waiting for the lock, well inside its 5 s busy timeout) until the block ends."""
    blocker = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


@contextlib.asynccontextmanager
async def bot_on_emulator(
    tmp_path: Path, **env: str
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess, str]]:
    """An emulator and a `grow-coach run` for it on a fresh SQLite database (not started)."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        url = f"sqlite:///{tmp_path / 'coach.db'}"
        yield emulator, BotProcess(bot_env(emulator, url, tmp_path, **env), tmp_path / "bot.log"), url


@pytest_asyncio.fixture
async def offloaded(tmp_path: Path) -> AsyncIterator[tuple[ServiceProcess, str]]:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    config = load_config(environ={"GROW_COACH_DATABASE_URL": url, "GROW_COACH_CHECKINS_QUIET_HOURS": ""})
    # The child creates and migrates the database: nothing here opened it.
    process = await asyncio.to_thread(ServiceProcess, config, 1)
    try:
        yield process, url
    finally:
        await process.close()


def stored_state(url: str, external_id: str) -> tuple[str, str] | None:
    db = Database(url)
    try:
        with db.session() as session:
            user = session.scalar(select(LeaderRow).where(LeaderRow.external_id == external_id))
            if user is None:
                return None
            row = session.get(ConversationRow, user.id)
            return (row.flow, row.state) if row is not None else None
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_the_child_commits_before_the_replies_come_back(
    offloaded: tuple[ServiceProcess, str],
) -> None:
    coach, url = offloaded
    [child] = children_of(os.getpid())
    handled = await coach.handle("telegram", "501", Event.command("start"), update_id=1)
    assert handled.replies and handled.replies[-1].question is not None
    # Read by another connection the moment the call returns: already committed.
    assert stored_state(url, "501") == ("onboarding", "consent")
    # The same update again is a duplicate, decided in the child from the stored id.
    again = await coach.handle("telegram", "501", Event.command("start"), update_id=1)
    assert again.duplicate and again.replies == []
    assert children_of(os.getpid()) == [child]


@pytest.mark.asyncio
async def test_a_killed_child_costs_one_try_again_and_loses_nothing(
    offloaded: tuple[ServiceProcess, str],
) -> None:
    coach, url = offloaded
    await coach.handle("telegram", "502", Event.command("start"), update_id=1)
    [child] = children_of(os.getpid())
    with write_lock_held(url):
        in_flight = asyncio.create_task(coach.handle("telegram", "502", Event.message("yes"), update_id=2))
        await asyncio.sleep(0.3)
        os.kill(child, signal.SIGKILL)
        with pytest.raises(StoreUnavailable):
            await in_flight
    # What the child had committed is all there; the killed call left nothing.
    assert stored_state(url, "502") == ("onboarding", "consent")
    handled = await coach.handle("telegram", "502", Event.message("yes"), update_id=2)
    assert handled.replies and not handled.duplicate
    assert stored_state(url, "502") == ("onboarding", "name")
    [replacement] = children_of(os.getpid())
    assert replacement != child


@pytest.mark.asyncio
async def test_a_child_whose_bot_is_gone_mid_call_commits_and_exits_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A killed bot's socket closes just before the kernel kills its children: a child
    then finishing a call must not print a traceback into the bot's log."""
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    # Started here, not by the `offloaded` fixture: only a child started while `capfd`
    # captures inherits the captured stderr.
    config = load_config(environ={"GROW_COACH_DATABASE_URL": url})
    process = await asyncio.to_thread(ServiceProcess, config, 1)
    await process.handle("telegram", "507", Event.command("start"), update_id=1)
    [child] = children_of(os.getpid())
    with write_lock_held(url):
        in_flight = asyncio.create_task(process.handle("telegram", "507", Event.message("yes"), update_id=2))
        await asyncio.sleep(0.3)
        closing = asyncio.create_task(process.close())  # the socket closes; the child is mid-call
        await asyncio.sleep(0.3)
    await closing
    with pytest.raises(StoreUnavailable):
        await in_flight
    assert not alive(child)
    assert "Traceback" not in capfd.readouterr().err
    # The answer was committed before the child found nobody to tell.
    assert stored_state(url, "507") == ("onboarding", "name")


@pytest.mark.asyncio
async def test_every_child_is_started_before_the_first_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    open_database(load_config(environ={"GROW_COACH_DATABASE_URL": url})).dispose()
    process = await asyncio.to_thread(
        ServiceProcess, load_config(environ={"GROW_COACH_DATABASE_URL": url}), 2
    )
    try:
        assert len(children_of(os.getpid())) == 2
    finally:
        await process.close()
    # Closed: each child finished and exited, none was left running.
    assert children_of(os.getpid()) == []


def test_a_database_the_child_cannot_open_stops_start_up_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = load_config(environ={"GROW_COACH_DATABASE_URL": f"sqlite:///{blocker / 'coach.db'}"})
    with pytest.raises(ConfigError, match=r"^database.url: cannot open the database: "):
        ServiceProcess(config, 1)
    assert children_of(os.getpid()) == []


@pytest.mark.asyncio
async def test_a_crashed_bot_leaves_no_service_process_behind(tmp_path: Path) -> None:
    async with bot_on_emulator(tmp_path, GROW_COACH_DATABASE_PROCESSES="1") as (emulator, bot, url):
        await bot.start()
        try:
            leader = Leader(emulator, 503)
            await leader.send("/start", expect=1)
            assert bot.process is not None
            [child] = children_of(bot.process.pid)
            # The bot itself stays lean: the database layer lives in the child only.
            assert "/sqlalchemy/" in loaded_files(child)
            assert "/sqlalchemy/" not in loaded_files(bot.process.pid)
        finally:
            await bot.kill()
        assert await exited(child), "the service process outlived the killed bot"
        # A new bot on the same database picks the leader up where they were.
        await bot.start()
        try:
            replies = await leader.send("/start", expect=1)
            assert replies[-1].reply_markup is not None
        finally:
            await bot.stop()
        assert stored_state(url, "503") == ("onboarding", "consent")


@pytest.mark.asyncio
async def test_sigterm_to_every_process_stops_the_bot_cleanly(tmp_path: Path) -> None:
    """As systemd stops a service: SIGTERM to each of its processes at once."""
    async with bot_on_emulator(tmp_path) as (emulator, bot, url):
        await bot.start()
        leader = Leader(emulator, 506)
        await leader.send("/start", expect=1)
        assert bot.process is not None
        [child] = children_of(bot.process.pid)
        os.kill(child, signal.SIGTERM)
        await asyncio.sleep(0.3)
        # The child waits for the bot to close its socket; it still answers meanwhile.
        assert alive(child)
        await leader.press(CONSENT, expect=1)
        assert await bot.stop() == 0
        assert await exited(child)
        assert stored_state(url, "506") == ("onboarding", "name")


@pytest.mark.asyncio
async def test_with_no_service_process_the_bot_does_the_work_itself(tmp_path: Path) -> None:
    async with bot_on_emulator(tmp_path, GROW_COACH_DATABASE_PROCESSES="0") as (emulator, bot, url):
        await bot.start()
        try:
            leader = Leader(emulator, 505)
            replies = await leader.send("/start", expect=1)
            assert replies[-1].reply_markup is not None
            assert bot.process is not None
            assert children_of(bot.process.pid) == []
            assert "/sqlalchemy/" in loaded_files(bot.process.pid)
            await leader.press(CONSENT, expect=1)
        finally:
            await bot.stop()
        assert stored_state(url, "505") == ("onboarding", "name")


@pytest.mark.parametrize(
    ("configured", "dialect", "expected"),
    [
        (None, "sqlite", 1),
        (None, "postgresql", 2),
        (1, "sqlite", 1),
        (4, "sqlite", 1),  # one writer at a time: more would wait on the lock
        (4, "postgresql", 4),
        (0, "postgresql", 0),
    ],
)
def test_how_many_service_processes(configured: int | None, dialect: str, expected: int) -> None:
    assert service_processes(configured, dialect) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"GROW_COACH_DATABASE_PROCESSES": "auto"}, None),
        ({"GROW_COACH_DATABASE_PROCESSES": "3"}, 3),
    ],
)
def test_processes_setting(environ: dict[str, str], expected: int | None) -> None:
    assert load_config(environ=environ).database.processes == expected


@pytest.mark.parametrize("value", ["-1", "17", "many"])
def test_processes_setting_rejects_nonsense(value: str) -> None:
    with pytest.raises(ConfigError, match=r"PROCESSES: expected \"auto\" or an integer from 0 to 16"):
        load_config(environ={"GROW_COACH_DATABASE_PROCESSES": value})
