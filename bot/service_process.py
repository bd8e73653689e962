"""The coaching service in a child process, so Telegram I/O and database work use two cores.

The parent keeps PTB: it parses updates, orders them per leader and sends replies. The
child owns the database: for each event it loads the leader, runs the engine, commits
and hands back the replies, so "committed before the bot replies" holds as before. On
one core the bot spent about 1.3 ms of each answer's 3 ms on that database work; moved
to a second core, it no longer waits behind the sends (bench/README.md has the figures).

A child that dies (killed, out of memory) is replaced on the next call; the event it
was handling rolled back with it, and its leader is asked to try again. A parent that
dies takes the child with it (Linux's parent-death signal), so a crashed bot never
leaves a process holding the database.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from bot.config import Config
from bot.service import CoachService, StoreUnavailable

log = logging.getLogger("grow_coach")

PR_SET_PDEATHSIG = 1

_service: CoachService | None = None


class ServiceProcess:
    """Calls `CoachService` methods by name in `workers` child processes."""

    def __init__(self, config: Config, workers: int = 1) -> None:
        self._config = config
        self._workers = workers
        self._pool = self._new_pool()
        # Start every child now, not on the first leaders' messages: all submitted at
        # once, since the pool starts a process only when none is idle.
        for ready in [self._pool.submit(_ready) for _ in range(workers)]:
            ready.result()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._workers,
            # A fresh interpreter: forking a process that runs an event loop and holds
            # database connections would copy both.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(self._config, os.getpid()),
        )

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            return await loop.run_in_executor(pool, partial(_call, name, *args, **kwargs))
        except BrokenProcessPool:
            # Every call in flight fails alike; the first to get here replaces the pool
            # (without awaiting, so no other can see the broken one as current).
            if pool is self._pool:
                log.warning("service process died: starting a new one")
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            raise StoreUnavailable from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_child(config: Config, parent: int) -> None:
    global _service
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)  # the parent died before the signal was armed
    # Ctrl+C reaches the whole process group; the parent decides when the child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from bot.app import build_service
    from bot.logs import setup_logging
    from storage.db import Database

    setup_logging(
        config.logging.level,
        config.logging.format,
        secrets=(config.telegram.token, config.telegram.secret_token),
    )
    # The parent migrated the database before starting this process.
    _service = build_service(config, Database(config.database_url()))
    gc.collect()
    gc.freeze()


def _ready() -> bool:
    return _service is not None


def _call(name: str, *args: Any, **kwargs: Any) -> Any:
    assert _service is not None, "the service process did not start"
    return getattr(_service, name)(*args, **kwargs)
