"""Fixtures the end-to-end tests share: the Bot API emulator, `grow-coach run` started
against it, and the test's database opened next to the bot process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from devtools.telegram_emulator import BotApiEmulator
from storage.db import Database
from tests.support.bot_harness import TOKEN, BotProcess, Start, Store, bot_env
from tests.support.databases import database_url_for


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def start_bot(emulator: BotApiEmulator, database_url: str, tmp_path: Path) -> AsyncIterator[Start]:
    """Start `grow-coach run` with extra environment; every process is stopped afterwards."""
    bots: list[BotProcess] = []

    async def start(**env: str) -> BotProcess:
        bot = BotProcess(bot_env(emulator, database_url, tmp_path, **env), tmp_path / "bot.log")
        bots.append(bot)
        return await bot.start()

    yield start
    for bot in bots:
        await bot.stop()


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(database_url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The test's database, upgraded, for seeding and reading next to the bot process."""
    database = Database(database_url)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database for a module whose tests share one bot (`bot_with_menu`)."""
    yield from database_url_for(request.param, tmp_path_factory.mktemp("db"))
