"""Which update runs when: every leader in turn, one update of theirs at a time, in order.

PTB hands each update to the processor the moment it is fetched. A leader's updates wait
in that leader's own line (a FIFO lock that exists only while they have updates in
flight, so memory does not grow with the number of leaders) and only the one at its
head may take one of the shared slots. A leader with a thousand messages queued therefore
holds one slot, not all of them, and everyone else's next question is not kept waiting
behind that backlog. Updates over a leader's message rate (bot/telegram/flood.py) are
not run at all: the leader is told once per burst.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.flood import LeaderRateLimit, Verdict

log = logging.getLogger("grow_coach.telegram")

# PTB's own semaphore sits in front of do_process_update, where it would let a leader's
# backlog take every slot; it is set out of the way (the backlog cap in
# bot/telegram/backlog.py bounds how many updates are in flight) and the slots are ours.
UNLIMITED = 1 << 30

OnDropped = Callable[[Update, bool], Awaitable[None]]


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = 16,
        rate_limit: LeaderRateLimit | None = None,
        on_dropped: OnDropped | None = None,
    ) -> None:
        super().__init__(UNLIMITED)
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._rate_limit = rate_limit
        self._on_dropped = on_dropped
        self._reports: dict[int, asyncio.TimerHandle] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = sender(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        # Decided on arrival, in the order Telegram numbered the updates.
        if self._rate_limit is not None and isinstance(update, Update):
            verdict = self._rate_limit.admit(key, waiting=key in self._locks)
            if verdict is not Verdict.TAKE:
                _discard(coroutine)
                await self._dropped(key, update, verdict is Verdict.DROP_AND_TELL)
                return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _dropped(self, key: int, update: Update, tell: bool) -> None:
        if tell:
            log.info("user=%s sends faster than the message rate limit: extra updates dropped", key)
        if key not in self._reports and self._rate_limit is not None:
            self._schedule_report(key)
        if self._on_dropped is not None:
            async with self._slots:
                await self._on_dropped(update, tell)

    def _schedule_report(self, key: int) -> None:
        assert self._rate_limit is not None
        loop = asyncio.get_running_loop()
        self._reports[key] = loop.call_later(self._rate_limit.refill_seconds, self._report, key)

    def _report(self, key: int) -> None:
        """How many were dropped, as a count (never what they said), once the burst is over."""
        assert self._rate_limit is not None
        if self._rate_limit.flooding(key):
            self._schedule_report(key)
            return
        del self._reports[key]
        dropped = self._rate_limit.take_dropped(key)
        log.info("user=%s dropped=%d updates over the message rate limit", key, dropped)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        for handle in self._reports.values():
            handle.cancel()
        for key in list(self._reports):
            self._report_now(key)

    def _report_now(self, key: int) -> None:
        assert self._rate_limit is not None
        del self._reports[key]
        dropped = self._rate_limit.take_dropped(key)
        if dropped:
            log.info("user=%s dropped=%d updates over the message rate limit", key, dropped)


def _discard(coroutine: Awaitable[Any]) -> None:
    """The update's handler coroutine was never started; closing it keeps asyncio quiet."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()


def sender(update: object) -> int | None:
    """Whose update it is: the user's id (the leader), else the chat's."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None
