"""A cap on updates fetched but not yet handled: over it, the bot stops fetching.

PTB's updater puts each fetched update on `update_queue` and confirms the batch to
Telegram (the next getUpdates offset) only once every update of it is on the queue; the
application takes updates off at once and calls `task_done` when one has been handled.
While more than `cap` are unhandled, `put` waits: the updater neither confirms nor
fetches, so the rest stays with Telegram (which keeps updates for 24 hours) instead of in
this process's memory, and a crash loses nothing that was not yet handled. In webhook
mode the wait holds Telegram's request open, which slows its pushes the same way.
"""

from __future__ import annotations

import asyncio

from telegram import Update


class BacklogQueue(asyncio.Queue[object]):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.unhandled = 0
        self._room = asyncio.Event()
        self._room.set()

    async def put(self, item: object) -> None:
        # Only updates wait: PTB's stop signal must get through a full backlog.
        while isinstance(item, Update) and self.unhandled >= self.cap:
            await self._room.wait()
        self.unhandled += 1
        if self.unhandled >= self.cap:
            self._room.clear()
        await super().put(item)

    def task_done(self) -> None:
        super().task_done()
        self.unhandled = max(0, self.unhandled - 1)
        if self.unhandled < self.cap:
            self._room.set()
