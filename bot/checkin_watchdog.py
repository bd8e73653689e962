"""A watchdog over check-in delivery: a round that stops making progress is cancelled.

The JobQueue runs one round at a time (APScheduler's max_instances=1), so a round stuck
for good, say on a send to a chat Telegram told the bot to leave alone for an hour,
would make APScheduler skip every later round, and nobody would get a check-in again,
with no log line saying why. Here each round runs as a task; every database call and
send it makes is a step, and a round in which no step has finished for `stuck_after` is
logged, naming the step it waits on, and cancelled. What it had claimed is claimed again
once the claim's lease runs out; what it had already put into a leader's conversation
shows the next time that leader writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, cast

from bot.coaching.contract import Claimed, Coach

log = logging.getLogger("grow_coach.checkins")


class DeliveryWatchdog:
    def __init__(self, stuck_after: timedelta, clock: Callable[[], float] = time.monotonic) -> None:
        self.stuck_after = stuck_after.total_seconds()
        self.clock = clock
        self._steps: dict[int, tuple[str, float]] = {}
        self._ids = itertools.count()
        self._progress = clock()
        self.cancelled = 0  # rounds cancelled so far

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        key = next(self._ids)
        self._steps[key] = (what, self.clock())
        try:
            yield
        finally:
            del self._steps[key]
            self._progress = self.clock()

    async def guard(self, run: Callable[[], Awaitable[object]]) -> bool:
        """Run one round; False if it was cancelled for making no progress."""
        self._progress = self.clock()
        task = asyncio.ensure_future(run())
        try:
            while True:
                idle = self.clock() - self._progress
                if idle >= self.stuck_after:
                    self._report(idle)
                    return False
                done, _ = await asyncio.wait({task}, timeout=self.stuck_after - idle)
                if done:
                    task.result()
                    return True
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _report(self, idle: float) -> None:
        self.cancelled += 1
        if self._steps:
            what, since = min(self._steps.values(), key=lambda step: step[1])
            waiting = f"{what}, started {self.clock() - since:.1f}s ago"
        else:
            waiting = "no call or send in flight"
        log.warning(
            "check-in delivery stuck: no progress for %.1fs (waiting on %s): "
            "round cancelled, the next one goes on",
            idle,
            waiting,
        )

    def watch_coach(self, coach: Coach) -> Coach:
        """`coach` whose calls are steps of the round."""
        return cast(Coach, _WatchedCoach(coach, self))

    def watch_sender(self, send: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def watched(claimed: Claimed, *args: Any, **kwargs: Any) -> Any:
            with self.step(f"sending checkin={claimed.checkin_id} to user={claimed.external_id}"):
                return await send(claimed, *args, **kwargs)

        return watched


class _WatchedCoach:
    """Passes every call on; the awaited ones count as steps (whichever the delivery uses)."""

    def __init__(self, coach: Coach, watchdog: DeliveryWatchdog) -> None:
        self._coach = coach
        self._watchdog = watchdog

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._coach, name)
        if not inspect.iscoroutinefunction(member):
            return member

        async def watched(*args: Any, **kwargs: Any) -> Any:
            with self._watchdog.step(_describe(name, args)):
                return await member(*args, **kwargs)

        return watched


def _describe(name: str, args: tuple[Any, ...]) -> str:
    for arg in args:
        if isinstance(arg, Claimed):
            return f"{name} checkin={arg.checkin_id} user={arg.external_id}"
    return name
