"""What reaches the logs when something fails: the type and the frames, never the words."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.logs import describe_exception, setup_logging

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
WORDS = "I keep covering for Marguerite in the quarterly review"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[str], None]]:
    """setup_logging as the bot calls it, writing to the captured stderr; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)

    def configure(fmt: str) -> None:
        setup_logging("INFO", fmt, secrets=(TOKEN,))

    yield configure
    root.handlers[:], level, sys.excepthook, threading.excepthook = saved
    root.setLevel(level)


def parse_answer(text: str) -> int:
    return int(text)  # a leader's words, not a number


def handle(text: str) -> None:
    try:
        parse_answer(text)
    except ValueError as error:
        raise RuntimeError(f"engine could not handle {text!r}") from error


def test_a_logged_exception_shows_its_type_and_frames_but_not_its_message(
    logged: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    logged("text")
    try:
        handle(WORDS)
    except RuntimeError:
        logging.getLogger("grow_coach").exception("update=7 user=42 handler failed")
    err = capsys.readouterr().err
    assert "update=7 user=42 handler failed" in err
    # Both exceptions of the chain, by type, with the frames that raised them.
    assert "\nValueError\n" in err and "\nRuntimeError" in err
    assert "direct cause of the following exception" in err
    assert "in parse_answer" in err and "in handle" in err
    assert "Marguerite" not in err and "quarterly" not in err


def test_json_logs_carry_the_exception_without_its_message(
    logged: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    logged("json")
    try:
        handle(WORDS)
    except RuntimeError:
        logging.getLogger("telegram.ext.Application").error("handler failed", exc_info=True)
    [line] = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "handler failed"
    assert entry["exception"].endswith("RuntimeError") and "in handle" in entry["exception"]
    assert "Marguerite" not in line


def test_an_exception_carrying_the_token_is_logged_without_it(
    logged: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    logged("text")
    try:
        raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/getMe refused")
    except ConnectionError:
        logging.getLogger("telegram.ext").exception("polling failed for %s", TOKEN)
    err = capsys.readouterr().err
    assert "ConnectionError" in err and "polling failed for <secret>" in err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


def test_asyncio_reports_a_failed_task_without_the_exceptions_message(
    logged: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    logged("text")

    async def fail() -> None:
        raise ValueError(WORDS)

    async def main() -> None:
        task = asyncio.get_running_loop().create_task(fail())
        await asyncio.sleep(0.01)
        del task  # never awaited: asyncio logs it when the task is collected
        gc.collect()

    asyncio.run(main())
    err = capsys.readouterr().err
    assert "Task exception was never retrieved" in err and "\nValueError" in err
    assert "Marguerite" not in err


def test_database_driver_errors_keep_their_reason_others_do_not() -> None:
    assert describe_exception(sqlite3.OperationalError("database or disk is full")) == (
        "sqlite3.OperationalError: database or disk is full"
    )
    assert describe_exception(OSError(28, "No space left on device", f"/data/{WORDS}")) == (
        "OSError: [Errno 28] No space left on device"
    )
    # Constraint and data errors quote the offending value, so they stay nameless.
    assert describe_exception(sqlite3.IntegrityError(f"UNIQUE failed: {WORDS}")) == "sqlite3.IntegrityError"
    assert describe_exception(KeyError(WORDS)) == "KeyError"


def test_an_uncaught_exception_is_printed_without_its_message_or_the_token() -> None:
    script = (
        "from bot.logs import setup_logging\n"
        f"setup_logging(secrets=({TOKEN!r},))\n"
        "def start():\n"
        f"    raise RuntimeError('The token `{TOKEN}` was rejected; leader said {WORDS}')\n"
        "start()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr and "in start" in result.stderr
    assert result.stderr.strip().endswith("RuntimeError")
    assert TOKEN.split(":")[1] not in result.stderr and "Marguerite" not in result.stderr
