"""A token Telegram refuses: `grow-coach run` stops with one line that does not hold it.

PTB's `InvalidToken` quotes the token; left alone it reaches the log in a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.telegram_emulator import BotApiEmulator
from tests.support.bot_harness import TOKEN, BotProcess, bot_env

pytestmark = pytest.mark.asyncio

# The emulator knows only this bot; the one `grow-coach run` is given is unknown to it (401).
OTHER_BOT = "654321:ANOTHER-BOT-abcdefghijklmnopqrstuvwxyz"


async def test_a_refused_token_stops_the_bot_in_one_line_without_the_token(tmp_path: Path) -> None:
    async with BotApiEmulator(token=OTHER_BOT) as emulator:
        env = bot_env(emulator, f"sqlite:///{tmp_path / 'grow-coach.db'}", tmp_path)
        bot = await BotProcess(env, tmp_path / "bot.log").start()
        assert bot.process is not None
        code = await bot.process.wait()
        assert [call.status for call in emulator.calls_of("getMe")] == [401]
    output = bot.log()
    assert code != 0
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "Traceback" not in output
    [refused] = [line for line in output.splitlines() if "token" in line.lower()]
    assert "Telegram rejected the bot token" in refused
