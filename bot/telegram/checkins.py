"""Check-in delivery wired into PTB's JobQueue (APScheduler underneath)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from aiolimiter import AsyncLimiter
from prometheus_client import Gauge
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.checkin_delivery import CheckinDelivery
from bot.checkin_watchdog import DeliveryWatchdog
from bot.coaching.contract import Claimed, Coach
from bot.config.loader import Config
from bot.operations.metrics import default_metrics
from bot.telegram.handlers import CHANNEL, as_messages, send_reply
from bot.telegram.shared_inbox import shared
from bot.telegram.shared_pace import SharedPace
from flows.events import Reply

log = logging.getLogger("grow_coach.checkins")

# However short the configured grace, a check-in found due by the next round or two of
# check-in delivery is on time, not stale: a grace of 0 would otherwise drop every one.
MIN_GRACE = timedelta(minutes=1)


def effective_grace(config: Config) -> timedelta:
    checkins = config.checkins
    return max(checkins.grace, MIN_GRACE, 2 * checkins.dispatch_every)


def schedule_checkin_delivery(application: Application, config: Config, coach: Coach) -> CheckinDelivery:  # type: ignore[type-arg]
    # Check-ins are messages nobody asked for: Telegram allows about 30 a second of those
    # for the whole bot. One every 1/rate seconds, rather than 30 at once each second,
    # keeps a large burst free of 429s (bench/checkin_burst.py).
    pace: AsyncLimiter | SharedPace = (
        SharedPace(coach, config.checkins.send_rate)
        if shared(config)
        else AsyncLimiter(1, 1 / config.checkins.send_rate)
    )

    metrics = default_metrics()

    async def send(claimed: Claimed, replies: list[Reply]) -> bool:
        try:
            sent = await send_checkin(claimed, replies)
        finally:
            metrics.checkins_waiting.dec()
        (metrics.checkins_sent if sent else metrics.checkins_failed).inc()
        return sent

    async def send_checkin(claimed: Claimed, replies: list[Reply]) -> bool:
        chat_id = int(claimed.external_id)
        # One pace token per message, not per reply: joined replies are one send.
        for reply in as_messages(application.bot, replies):
            try:
                await pace.acquire()
                if not await send_reply(application.bot, chat_id, reply, coach):
                    return False
            except TelegramError as error:
                # After its retries: the check-in stays `delivering` and is sent again
                # later (storage.checkin_delivery.RETRY_PAUSES).
                log.warning("checkin=%s send failed: %s", claimed.checkin_id, type(error).__name__)
                return False
        return True

    watchdog = DeliveryWatchdog(config.checkins.stuck_after)
    delivery = CheckinDelivery(
        watchdog.watch_coach(cast(Coach, _CountedClaims(coach, metrics.checkins_waiting))),
        watchdog.watch_sender(send),
        batch_size=config.checkins.batch_size,
        grace=effective_grace(config),
        channel=CHANNEL,
    )

    async def look_for_due_checkins(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await watchdog.guard(delivery.run)
        finally:
            # Rounds never overlap: what this one claimed and did not send (put off for
            # quiet hours or a busy leader, or failed) is claimed again by a later one.
            metrics.checkins_waiting.set(0)

    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_repeating(
        look_for_due_checkins,
        interval=config.checkins.dispatch_every,
        first=1,
        name="checkin-dispatcher",
        # One run at a time; a run that was missed while busy is simply the next one, and
        # the watchdog ends a run that stopped making progress, so none blocks the rest.
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    return delivery


class _CountedClaims:
    """`coach`, with what each claim hands out counted as waiting until it is sent.

    The claimed batch is what the dispatcher knows to be due without another query;
    check-ins due beyond one batch show up in the next round's count.
    """

    def __init__(self, coach: Coach, waiting: Gauge) -> None:
        self._coach = coach
        self._waiting = waiting

    def __getattr__(self, name: str) -> Any:
        return getattr(self._coach, name)

    async def claim_checkins(
        self, channel: str, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]:
        batch = await self._coach.claim_checkins(channel, now, worker, limit, grace)
        self._waiting.inc(len(batch))
        return batch
