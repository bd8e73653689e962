"""Delivering due check-ins: claim a batch, put each into its leader's conversation, send,
then confirm (`sent`) or report the failed send (tried again later).

APScheduler (through PTB's JobQueue) only decides *when* to look; what is due, claimed
and sent lives in the database, so a crash, a restart or a second process changes
nothing about which check-ins go out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.coaching.contract import Claimed, Coach, Handled, StoreUnavailable
from flows.events import Reply

log = logging.getLogger("grow_coach.checkins")

Sender = Callable[[Claimed, list[Reply]], Awaitable[bool]]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class CheckinDelivery:
    def __init__(
        self,
        coach: Coach,
        send: Sender,
        *,
        batch_size: int = 100,
        grace: timedelta = timedelta(days=1),
        worker: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        channel: str = "telegram",
    ) -> None:
        self.coach = coach
        # Whose check-ins this delivery sends: its front end's leaders only, so a bot
        # sharing a database with a terminal chat never takes the terminal leader's.
        self.channel = channel
        self.send = send
        self.batch_size = batch_size
        self.grace = grace
        self.worker = worker or worker_name()
        self.clock = clock

    async def run(self) -> int:
        """Deliver everything due now; returns how many check-ins reached a leader."""
        delivered = 0
        while True:
            try:
                batch = await self.coach.claim_checkins(
                    self.channel, self.clock(), self.worker, self.batch_size, self.grace
                )
            except StoreUnavailable:
                log.warning("database unavailable: check-ins wait for the next round")
                return delivered
            if not batch:
                return delivered
            results = await asyncio.gather(*(self._deliver(claimed) for claimed in batch))
            delivered += sum(results)
            if len(batch) < self.batch_size:
                return delivered

    async def _deliver(self, claimed: Claimed) -> int:
        try:
            handled: Handled = await self.coach.deliver_checkin(claimed, self.worker, self.clock())
        except StoreUnavailable:
            return 0
        except Exception:
            log.exception("checkin=%s user=%s delivery failed", claimed.checkin_id, claimed.user_id)
            return 0
        if not handled.replies:
            return 0
        ok = await self.send(claimed, handled.replies)
        log.info("checkin=%s user=%s sent=%s", claimed.checkin_id, claimed.user_id, ok)
        try:
            # Only now is it `sent`; unconfirmed, it would be sent again after a restart.
            await self.coach.confirm_checkin(claimed.checkin_id, self.worker, self.clock(), ok)
        except StoreUnavailable:
            log.warning("checkin=%s not confirmed: it may be sent twice", claimed.checkin_id)
        return int(ok)
