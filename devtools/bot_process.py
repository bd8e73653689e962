"""Running the real `grow-coach run` against the Bot API emulator.

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

from devtools.telegram_emulator import BotApiEmulator

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
PASSED_THROUGH = ("GROW_COACH_TEST_DATABASE_URL", "GROW_COACH_PRIVACY_ENCRYPTION_KEY")
BOT_COMMAND = str(Path(sys.executable).with_name("grow-coach"))


def bot_env(emulator: BotApiEmulator, database_url: str, data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # The tests' encryption key goes along: the test reads what the bot stored.
        if not key.startswith("GROW_COACH_") or key in PASSED_THROUGH
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


async def wait_until_polling(emulator: BotApiEmulator, bot: BotProcess, timeout: float = 60.0) -> None:
    """A bot is ready once it long-polls; its log says why when it died on the way."""
    try:
        await emulator.wait_for(
            lambda: (
                emulator.call_count("getUpdates") > 0
                or (bot.process is not None and bot.process.returncode is not None)
            ),
            timeout,
        )
    except TimeoutError:
        raise RuntimeError(f"bot did not start polling within {timeout}s:\n{bot.log()[-3000:]}") from None
    if bot.process is None or bot.process.returncode is not None:
        raise RuntimeError(f"bot exited during start-up:\n{bot.log()[-3000:]}")


def webhook_worker_env(
    emulator: BotApiEmulator,
    database_url: str,
    data_dir: Path,
    *,
    webhook_url: str,
    port: int,
    secret: str,
    workers: str = "shared",
    **overrides: str,
) -> dict[str, str]:
    """`bot_env` for one webhook worker behind a load balancer at `webhook_url`."""
    return bot_env(
        emulator,
        database_url,
        data_dir,
        GROW_COACH_TELEGRAM_MODE="webhook",
        GROW_COACH_TELEGRAM_WORKERS=workers,
        GROW_COACH_TELEGRAM_WEBHOOK_URL=webhook_url,
        GROW_COACH_TELEGRAM_LISTEN="127.0.0.1",
        GROW_COACH_TELEGRAM_PORT=str(port),
        GROW_COACH_TELEGRAM_SECRET_TOKEN=secret,
        **overrides,
    )
