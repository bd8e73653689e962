"""The coach in the front end's own process: `[database] processes = 0`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from bot.coaching.contract import Claimed, Handled
from bot.coaching.service import CoachService
from flows.events import Event

T = TypeVar("T")


class LocalCoach:
    """`CoachService` awaited from the event loop.

    PostgreSQL work waits on the network, so it runs on threads, one per pooled
    connection. SQLite's is all CPU and takes one writer at a time, so threads could only
    queue it; worse, a worker thread holding the GIL made the event loop wait up to the
    interpreter's switch interval after each socket call, and paced reply latency p99
    grew more than tenfold (bench/README.md, "Figures behind the code"). SQLite's work
    therefore runs on the event loop itself.
    """

    def __init__(self, service: CoachService) -> None:
        self.service = service
        self._executor = (
            None
            if service.db.dialect == "sqlite"
            else ThreadPoolExecutor(max_workers=8, thread_name_prefix="coach-db")
        )

    async def _run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            return function(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args, **kwargs))

    async def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        return await self._run(self.service.handle, channel, external_id, event, update_id=update_id)

    async def set_active(self, channel: str, external_id: str, active: bool) -> None:
        await self._run(self.service.set_active, channel, external_id, active)

    async def claim_checkins(self, now: datetime, worker: str, limit: int, grace: timedelta) -> list[Claimed]:
        return await self._run(self.service.claim_checkins, now, worker, limit, grace)

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        return await self._run(self.service.deliver_checkin, claimed, worker, now)

    async def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        await self._run(self.service.confirm_checkin, checkin_id, worker, now, sent)

    async def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
