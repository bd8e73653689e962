"""What an operator sees: /healthz and /metrics of the running bot, and `grow-coach admin backup`.

The real `grow-coach run` against the Bot API emulator, with `[metrics] listen` set
through the environment as deploy/ does it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from devtools.telegram_emulator import BotApiEmulator
from storage.db import Database
from tests.support.bot_harness import BOT_COMMAND, BotProcess, Leader, Start, bot_env, free_port
from tests.support.checkins import (
    by_kind,
    checkins,
    leader_of,
    new_service,
    now_utc,
    running_bot,
    seed_leader,
    set_due,
    user_row,
)


async def get(port: int, path: str, bot: BotProcess, timeout: float = 60.0) -> tuple[int, str, str]:
    """GET http://127.0.0.1:port/path once the bot serves it: status, content type, body."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                    return response.status, response.headers["Content-Type"], await response.text()
            except aiohttp.ClientConnectionError:
                if bot.process is not None and bot.process.returncode is not None:
                    raise RuntimeError(f"the bot exited:\n{bot.log()[-3000:]}") from None
                if loop.time() > deadline:
                    raise RuntimeError(f"nothing served on port {port}:\n{bot.log()[-3000:]}") from None
                await asyncio.sleep(0.2)


def sample(exposition: str, name: str, labels: str = "") -> float:
    """One sample's value from Prometheus' text format."""
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", exposition, re.MULTILINE)
    assert match is not None, f"{name}{labels} not in /metrics"
    return float(match.group(1))


async def test_polling_bot_serves_health_and_counts_a_leaders_start(
    emulator: BotApiEmulator, start_bot: Start
) -> None:
    port = free_port()
    bot = await start_bot(GROW_COACH_METRICS_LISTEN=f"127.0.0.1:{port}")

    status, content_type, body = await get(port, "/healthz", bot)
    assert (status, content_type) == (200, "application/json")
    assert '"database": "ok"' in body

    replies = await Leader(emulator, 4101).send("/start", expect=1)
    assert replies, "the leader got no answer to /start"

    status, content_type, metrics = await get(port, "/metrics", bot)
    assert status == 200 and content_type.startswith("text/plain")
    assert sample(metrics, "grow_coach_updates_handled_total", '{kind="command"}') >= 1
    assert sample(metrics, "grow_coach_updates_handled_total", '{kind="text"}') == 0
    assert sample(metrics, "grow_coach_reply_latency_seconds_count") >= 1
    assert sample(metrics, "grow_coach_reply_latency_seconds_sum") > 0
    assert sample(metrics, "grow_coach_update_queue_depth") >= 0
    assert "grow_coach_service_child_restarts_total" in metrics
    assert "grow_coach_checkins_sent_total" in metrics


async def test_webhook_bot_serves_health_on_its_own_port(emulator: BotApiEmulator, start_bot: Start) -> None:
    webhook_port, ops_port = free_port(), free_port()
    bot = await start_bot(
        # The coach in the bot's own process: its health check is the same SELECT 1.
        GROW_COACH_DATABASE_PROCESSES="0",
        GROW_COACH_TELEGRAM_MODE="webhook",
        GROW_COACH_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/telegram",
        GROW_COACH_TELEGRAM_LISTEN="127.0.0.1",
        GROW_COACH_TELEGRAM_PORT=str(webhook_port),
        GROW_COACH_TELEGRAM_SECRET_TOKEN="s3cret",
        GROW_COACH_METRICS_LISTEN=f"127.0.0.1:{ops_port}",
    )
    status, _, body = await get(ops_port, "/healthz", bot)
    assert status == 200 and '"database": "ok"' in body
    await emulator.wait_for(lambda: emulator.webhook is not None, timeout=30)
    await Leader(emulator, 4102).send("/start", expect=1)
    _, _, metrics = await get(ops_port, "/metrics", bot)
    assert sample(metrics, "grow_coach_updates_handled_total", '{kind="command"}') >= 1


async def test_a_port_already_taken_is_one_line_and_exit_code_2(
    start_bot: Start, tmp_path: Path
) -> None:
    port = free_port()
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
    try:
        bot = await start_bot(GROW_COACH_METRICS_LISTEN=f"127.0.0.1:{port}")
        assert bot.process is not None
        assert await asyncio.wait_for(bot.process.wait(), 60) == 2
    finally:
        server.close()
        await server.wait_closed()
    assert f'metrics.listen: cannot serve /healthz and /metrics on "127.0.0.1:{port}"' in bot.log()
    assert "Traceback" not in bot.log()


async def test_admin_backup_copies_the_live_database_with_its_leader(
    emulator: BotApiEmulator, start_bot: Start, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("grow-coach admin backup is SQLite's; PostgreSQL uses pg_dump")
    await start_bot()
    await Leader(emulator, 4103).send("/start", expect=1)

    copy = tmp_path / "backups" / "out.db"
    copy.parent.mkdir()
    env = bot_env(emulator, database_url, tmp_path)

    def backup() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BOT_COMMAND, "admin", "backup", str(copy)], env=env, capture_output=True, text=True, timeout=60
        )

    done = await asyncio.to_thread(backup)
    assert (done.returncode, done.stderr) == (0, "")
    # Keys the bot keeps beside its database (the feedback hash key at least; the
    # encryption key too unless it comes from the environment) are named: the copy needs them.
    database = database_url.removeprefix("sqlite:///")
    keys = [Path(database + suffix) for suffix in (".key", ".feedback-key")]
    assert any(key.exists() for key in keys)
    lines = done.stdout.splitlines()
    assert lines[0] == f"Backed up the database to {copy}"
    assert [line.split(";")[0] for line in lines[1:]] == [
        f"Not in the copy: {key}" for key in keys if key.exists()
    ]
    assert copy.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute(
            "SELECT external_id FROM users WHERE channel = 'telegram'"
        ).fetchall() == [("4103",)]

    # A second run keeps the first copy.
    again = await asyncio.to_thread(backup)
    assert again.returncode == 1 and "already exists" in again.stderr


async def test_check_ins_sent_and_refused_are_counted(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    db.upgrade()
    try:
        reached, blocked = (seed_leader(new_service(db), user) for user in (4201, 4202))
        # Nothing due until the test says so: the block below must come first.
        for user_id in (reached, blocked):
            for row in checkins(db, user_id):
                set_due(db, row.id, now_utc() + timedelta(days=1))
        port = free_port()
        listen = {"GROW_COACH_METRICS_LISTEN": f"127.0.0.1:{port}"}
        async with (
            asyncio.timeout(90),
            running_bot(database_url, tmp_path, (4201, 4202), **listen) as (emulator, bot),
        ):
            emulator.block(4202)
            for user_id in (reached, blocked):
                set_due(db, by_kind(db, user_id)["first"].id, now_utc())
            await emulator.wait_for(lambda: not user_row(db, blocked).active, timeout=30)
            await emulator.wait_for(lambda: bool(leader_of(emulator, 4201).messages), timeout=30)
            # The counters move just after the sends, and waiting drops when the round ends.
            wanted = {
                "grow_coach_checkins_sent_total": 1.0,
                "grow_coach_checkins_failed_total": 1.0,
                "grow_coach_checkins_waiting": 0.0,
            }
            seen: dict[str, float] = {}
            for _ in range(50):
                _, _, metrics = await get(port, "/metrics", bot)
                seen = {name: sample(metrics, name) for name in wanted}
                if seen == wanted:
                    break
                await asyncio.sleep(0.1)
            assert seen == wanted
    finally:
        db.dispose()
