"""The check-in send rate as one limit for every worker (`[telegram] workers = "shared"`).

Each message asks PostgreSQL for a slot (storage/send_pace.py), so N workers together
send at most `[checkins] send_rate` a second, not N times it. A single process keeps
the in-process limiter (bot/telegram/checkins.py): no round trip per message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.coaching.contract import Coach, StoreUnavailable

log = logging.getLogger("grow_coach.checkins")

# A worker never sleeps longer than this between asks: a slot freed early (another
# worker stopped) is not wasted for long.
LONGEST_WAIT = 1.0


class SharedPace:
    def __init__(self, coach: Coach, rate: float) -> None:
        self.coach = coach
        self.interval = timedelta(seconds=1 / rate)

    async def acquire(self) -> None:
        while True:
            try:
                wait = await self.coach.take_send_slot(self.interval)
            except StoreUnavailable:
                # Sending is better than holding the check-in: at this worker's own pace.
                log.warning("send pace unavailable: this worker paces check-ins alone")
                await asyncio.sleep(self.interval.total_seconds())
                return
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, LONGEST_WAIT))
