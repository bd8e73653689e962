"""Several `grow-coach run` webhook workers on one database behind a WebhookBalancer, for the
shared-workers test (tests/e2e/test_shared_workers.py) and benchmark (bench/shared_workers.py)."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from devtools.bot_process import TOKEN, BotProcess, webhook_worker_env
from devtools.telegram_emulator import BotApiEmulator
from devtools.webhook_balancer import WebhookBalancer, free_port, listening


class StampedEmulator(BotApiEmulator):
    """A Bot API emulator that remembers when each sendMessage reached it, per chat, so the
    check-in rate of all the workers together can be measured."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(token=TOKEN, bot_username="grow_coach_bot", **kwargs)
        self.sent_at: dict[int, list[float]] = defaultdict(list)

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        if method.lower() == "sendmessage" and status == 200:
            self.sent_at[int(str(params["chat_id"]))].append(time.monotonic())
        super()._record(method, params, status)


def shared_worker_env(
    emulator: BotApiEmulator,
    database_url: str,
    data_dir: Path,
    *,
    webhook_url: str,
    port: int,
    secret: str,
    burst: int,
    send_rate: int,
    workers: str = "shared",
    **overrides: str,
) -> dict[str, str]:
    """`webhook_worker_env` for one of the workers: check-ins only once made due, one
    service process each (nine processes on a 2-core machine are plenty)."""
    return webhook_worker_env(
        emulator,
        database_url,
        data_dir,
        webhook_url=webhook_url,
        port=port,
        secret=secret,
        workers=workers,
        GROW_COACH_TELEGRAM_LEADER_BURST=str(burst),
        GROW_COACH_CHECKINS_SEND_RATE=str(send_rate),
        GROW_COACH_CHECKINS_FIRST_AFTER="30d",
        GROW_COACH_DATABASE_PROCESSES="1",
        **overrides,
    )


@contextlib.asynccontextmanager
async def running_workers(
    emulator: BotApiEmulator,
    database_url: str,
    workdir: Path,
    *,
    count: int,
    name: str,
    secret: str,
    burst: int,
    send_rate: int,
    start_timeout: float = 90,
    workers: str = "shared",
    **overrides: str,
) -> AsyncIterator[tuple[list[BotProcess], WebhookBalancer]]:
    """`count` workers (data in workdir/<name>-<n>) behind a balancer, once each listens and the
    webhook is registered; stopped on the way out."""
    ports = [free_port() for _ in range(count)]
    balancer = WebhookBalancer(ports)
    await balancer.start()
    processes = []
    for index, port in enumerate(ports):
        data_dir = workdir / f"{name}-{index}"
        data_dir.mkdir()
        env = shared_worker_env(
            emulator,
            database_url,
            data_dir,
            webhook_url=balancer.url,
            port=port,
            secret=secret,
            burst=burst,
            send_rate=send_rate,
            workers=workers,
            **overrides,
        )
        processes.append(BotProcess(env, data_dir / "bot.log"))
    try:
        for process in processes:
            await process.start()
        # Each worker registers the same webhook (the balancer) once it listens.
        await emulator.wait_for(lambda: listening(ports) or any_exited(processes), timeout=start_timeout)
        if any_exited(processes):
            raise RuntimeError("a worker exited:\n" + "\n".join(p.log()[-2000:] for p in processes))
        await emulator.wait_for(lambda: emulator.webhook is not None, timeout=30)
        yield processes, balancer
    finally:
        for process in processes:
            await process.stop()
        await balancer.stop()


def any_exited(processes: list[BotProcess]) -> bool:
    return any(p.process is not None and p.process.returncode is not None for p in processes)
