"""Telegram update ids: a redelivery is dropped, and ids starting again lower are not.

Telegram restarts update ids at a random lower value after a week without updates; a
new token, or the database moved to another bot, does the same. The real `grow-coach
run` serves two emulators in turn on one database, the second starting its ids far
below the first's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.telegram_emulator import BotApiEmulator, SentMessage
from tests.support.bot_harness import CONSENT, TOKEN, BotProcess, Leader, Store, bot_env, ends_with
from tests.support.coach_driver import phrasings

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

FIRST_RUN_IDS = 800_000_000
NAMES = {3101: "Ana Okafor", 3102: "Bruno Lindqvist", 3103: "Chidi Marsh"}


def is_asked(message: SentMessage, flow: str, key: str, **values: object) -> bool:
    # The question ends its message: plain replies before it are joined to it.
    return ends_with(message, phrasings(flow, key, "ask", None, **values))


async def test_leaders_are_answered_after_update_ids_restart_lower(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    async with BotApiEmulator(token=TOKEN, first_update_id=FIRST_RUN_IDS) as emulator:
        bot = await BotProcess(bot_env(emulator, database_url, tmp_path), tmp_path / "first.log").start()
        try:
            for user_id in NAMES:
                leader = Leader(emulator, user_id)
                await leader.send("/start", expect=1)
                replies = await leader.press(CONSENT, expect=1)
                assert is_asked(replies[0], "onboarding", "name")
            assert leader.last_update_id is not None and leader.last_update_id > FIRST_RUN_IDS
        finally:
            assert await bot.stop() == 0

    # A week later Telegram numbers updates from somewhere far lower.
    async with BotApiEmulator(token=TOKEN, first_update_id=1_000) as emulator:
        bot = await BotProcess(bot_env(emulator, database_url, tmp_path), tmp_path / "second.log").start()
        try:
            answered: dict[int, int] = {}
            for user_id, name in NAMES.items():
                leader = Leader(emulator, user_id)
                # The name is read back, then the next question, in one message.
                replies = await leader.send(name, expect=1)
                assert is_asked(replies[-1], "onboarding", "level", name=name), replies[-1].text
                assert leader.last_update_id is not None and leader.last_update_id < FIRST_RUN_IDS
                answered[user_id] = leader.last_update_id
            newcomer = Leader(emulator, 3104)
            replies = await newcomer.send("/start", expect=1)
            assert is_asked(replies[-1], "onboarding", "consent")

            # In the new numbering a redelivered update is still recognised and dropped.
            ana = Leader(emulator, 3101)
            emulator.redeliver(answered[3101])
            replies = await ana.press("Executive", settle=1.0)
            assert len(replies) == 1 and is_asked(replies[0], "onboarding", "timezone")
        finally:
            assert await bot.stop() == 0
    for user_id, name in NAMES.items():
        user = store.user(user_id)
        assert user is not None and user.name == name
