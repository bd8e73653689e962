"""The check-in delivery watchdog (bot/checkin_watchdog.py): stuck rounds end, busy ones do not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.checkin_watchdog import DeliveryWatchdog
from bot.coaching.contract import Claimed

CLAIMED = Claimed(
    checkin_id=41, user_id=3, external_id="555", channel="telegram", timezone=None, due_at=datetime.now(UTC)
)


async def test_a_round_that_keeps_making_progress_is_never_cut_short(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Each send is quick, but all of them together take several times `stuck_after`,
    # as a round with thousands of due check-ins paced at 30 a second does.
    watchdog = DeliveryWatchdog(timedelta(milliseconds=500))
    sent = []

    async def send(claimed: Claimed) -> bool:
        await asyncio.sleep(0.02)
        sent.append(claimed.checkin_id)
        return True

    watched = watchdog.watch_sender(send)

    async def round_() -> None:
        for _ in range(75):
            await watched(CLAIMED)

    assert await watchdog.guard(round_)
    assert len(sent) == 75
    assert not [record for record in caplog.records if record.levelname == "WARNING"]


async def test_a_round_stuck_on_one_send_is_cancelled_and_named(caplog: pytest.LogCaptureFixture) -> None:
    watchdog = DeliveryWatchdog(timedelta(milliseconds=300))
    cancelled = asyncio.Event()

    async def send(claimed: Claimed) -> bool:
        try:
            await asyncio.Event().wait()  # e.g. Telegram said: wait an hour for this chat
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return True

    watched = watchdog.watch_sender(send)
    assert not await watchdog.guard(lambda: watched(CLAIMED))
    assert cancelled.is_set()
    [warning] = [record for record in caplog.records if record.levelname == "WARNING"]
    assert "check-in delivery stuck" in warning.getMessage()
    assert "sending checkin=41 to user=555" in warning.getMessage()
    # The next round is not held up by the first.
    assert await watchdog.guard(lambda: asyncio.sleep(0))


async def test_calls_through_the_watched_coach_are_steps_named_by_their_check_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watchdog = DeliveryWatchdog(timedelta(milliseconds=300))

    class HungCoach:
        async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> None:
            await asyncio.Event().wait()

    coach = watchdog.watch_coach(HungCoach())  # type: ignore[arg-type]
    assert not await watchdog.guard(lambda: coach.deliver_checkin(CLAIMED, "w", datetime.now(UTC)))
    [warning] = [record for record in caplog.records if record.levelname == "WARNING"]
    assert "waiting on deliver_checkin checkin=41 user=555" in warning.getMessage()
