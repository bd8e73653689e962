"""The coach in the front end's own process: `[database] processes = 0`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from bot.coaching.contract import Claimed, Handled, InboxedUpdate
from bot.coaching.service import CoachService
from flows.chart_replies import needs_drawing
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

    Charts (/progress, reviews) are drawn on a thread of their own whatever the
    database: drawing one takes about a hundred milliseconds, far too long to hold up
    every other leader's replies on the loop.
    """

    def __init__(self, service: CoachService) -> None:
        self.service = service
        self._executor = (
            None
            if service.db.dialect == "sqlite"
            else ThreadPoolExecutor(max_workers=8, thread_name_prefix="coach-db")
        )
        # One thread: charts are rare, and two drawing at once would only share the GIL.
        self._drawer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-charts")

    async def _run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            return function(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args, **kwargs))

    async def _drawn(self, handled: Handled) -> Handled:
        if not needs_drawing(handled.replies):
            return handled
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._drawer, self.service.drawn, handled)

    async def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        handled = await self._run(
            self.service.handle_undrawn, channel, external_id, event, update_id=update_id
        )
        return await self._drawn(handled)

    async def set_active(self, channel: str, external_id: str, active: bool) -> None:
        await self._run(self.service.set_active, channel, external_id, active)

    async def claim_checkins(
        self, channel: str, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]:
        return await self._run(self.service.claim_checkins, channel, now, worker, limit, grace)

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        return await self._drawn(await self._run(self.service.deliver_checkin_undrawn, claimed, worker, now))

    async def ping(self) -> None:
        await self._run(self.service.ping)

    async def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        await self._run(self.service.confirm_checkin, checkin_id, worker, now, sent)

    async def receive_update(
        self, channel: str, external_id: str, update_id: int, payload: dict[str, Any], worker: str
    ) -> list[InboxedUpdate]:
        return await self._run(self.service.receive_update, channel, external_id, update_id, payload, worker)

    async def finish_updates(
        self, channel: str, external_id: str, update_ids: list[int], worker: str
    ) -> list[InboxedUpdate]:
        return await self._run(self.service.finish_updates, channel, external_id, update_ids, worker)

    async def take_stale_turns(self, worker: str, limit: int) -> list[tuple[str, str, list[InboxedUpdate]]]:
        return await self._run(self.service.take_stale_turns, worker, limit)

    async def take_send_slot(self, interval: timedelta) -> float:
        return await self._run(self.service.take_send_slot, interval)

    async def close(self) -> None:
        self._drawer.shutdown(wait=True)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
