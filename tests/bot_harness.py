"""Running the real `grow-coach run` against the Bot API emulator, and leaders who talk to it.

Tests and benchmarks use this: the bot is the unmodified console script in a
subprocess, configured only through environment variables, so what is tested is what a
team deploys.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.telegram_emulator import BotApiEmulator, SentMessage

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
BOT_COMMAND = str(Path(sys.executable).with_name("grow-coach"))


def bot_env(emulator: BotApiEmulator, database_url: str, data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GROW_COACH_") or key == "GROW_COACH_TEST_DATABASE_URL"
    }
    env.update(
        GROW_COACH_DATA_DIR=str(data_dir),
        GROW_COACH_DATABASE_URL=database_url,
        GROW_COACH_TELEGRAM_TOKEN=TOKEN,
        GROW_COACH_TELEGRAM_BASE_URL=emulator.base_url,
        GROW_COACH_TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        GROW_COACH_TELEGRAM_POLL_TIMEOUT="1s",
        GROW_COACH_TELEGRAM_READ_TIMEOUT="5s",
        GROW_COACH_CHECKINS_QUIET_HOURS="",
        GROW_COACH_CHECKINS_DISPATCH_EVERY="1s",
        GROW_COACH_LOGGING_LEVEL="INFO",
    )
    env.update(overrides)
    return env


class BotProcess:
    """`grow-coach run` as a child process; kill it like a crash, start it again."""

    def __init__(self, env: Mapping[str, str], log_path: Path, config: Path | None = None) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.config = config
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        args = [BOT_COMMAND]
        if self.config is not None:
            args += ["--config", str(self.config)]
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *args, "run", env=self.env, stdout=log, stderr=log, stdin=asyncio.subprocess.DEVNULL
        )
        log.close()
        return self

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, timeout: float = 10.0) -> int | None:
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                await self.kill()
        return self.process.returncode

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Leader:
    """A simulated leader: sends messages and waits for the bot to finish answering."""

    def __init__(self, emulator: BotApiEmulator, user_id: int, first_name: str = "Ana") -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.first_name = first_name

    @property
    def messages(self) -> list[SentMessage]:
        return self.emulator.bot_messages(self.user_id)

    def last(self) -> SentMessage:
        message = self.emulator.last_bot_message(self.user_id)
        assert message is not None, "the bot has sent nothing to this leader"
        return message

    def question(self) -> SentMessage:
        """The latest message that carries a keyboard, or the latest message."""
        for message in reversed(self.messages):
            if message.reply_markup:
                return message
        return self.last()

    async def send(self, text: str, timeout: float = 10.0, settle: float = 0.25) -> list[SentMessage]:
        before = len(self.messages)
        if text.startswith("/"):
            self.emulator.send_command(self.user_id, text, first_name=self.first_name)
        else:
            self.emulator.send_text(self.user_id, text, first_name=self.first_name)
        return await self.replies_after(before, timeout, settle)

    async def press(self, label: str, timeout: float = 10.0, settle: float = 0.25) -> list[SentMessage]:
        """Press the button with this label on the latest keyboard."""
        message = self.question()
        data = button_data(message, label)
        before = len(self.messages)
        self.emulator.press_button(self.user_id, message.message_id, data)
        return await self.replies_after(before, timeout, settle)

    async def replies_after(
        self, before: int, timeout: float = 10.0, settle: float = 0.25
    ) -> list[SentMessage]:
        await self.emulator.wait_for_bot_messages(self.user_id, before + 1, timeout=timeout)
        # The bot may send several messages for one answer; wait until it goes quiet.
        count = len(self.messages)
        while True:
            await asyncio.sleep(settle)
            if len(self.messages) == count:
                return self.messages[before:]
            count = len(self.messages)


def buttons(message: SentMessage) -> list[dict[str, Any]]:
    markup = message.reply_markup or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button_data(message: SentMessage, label: str) -> str:
    for button in buttons(message):
        if button["text"] == label:
            return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {[b['text'] for b in buttons(message)]}")
