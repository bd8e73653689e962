"""A claimed batch of check-ins goes into conversations a couple at a time, so leaders'
answers queued at the service process in the meantime are not held behind all of them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.checkin_delivery import DELIVERING_AT_ONCE, CheckinDelivery
from bot.coaching.contract import Claimed, Handled
from flows.events import Reply

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Coach:
    """Claims `due` check-ins once; notes how many deliveries it holds at a time."""

    def __init__(self, due: int) -> None:
        self.due = [Claimed(n, n, str(1000 + n), "telegram", "UTC", NOW) for n in range(due)]
        self.delivering = 0
        self.most_at_once = 0
        self.confirmed: list[int] = []

    async def claim_checkins(
        self, channel: str, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]:
        batch, self.due = self.due[:limit], self.due[limit:]
        return batch

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        self.delivering += 1
        self.most_at_once = max(self.most_at_once, self.delivering)
        await asyncio.sleep(0.001)
        self.delivering -= 1
        return Handled([Reply(f"How did it go, {claimed.external_id}?")], claimed.user_id, delivered=True)

    async def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        self.confirmed.append(checkin_id)


async def test_a_batch_of_check_ins_is_put_into_conversations_two_at_a_time_and_all_are_sent() -> None:
    coach = Coach(due=25)
    sent: list[str] = []

    async def send(claimed: Claimed, replies: list[Reply]) -> bool:
        sent.extend(reply.text for reply in replies)
        return True

    delivery = CheckinDelivery(coach, send, batch_size=10, clock=lambda: NOW)  # type: ignore[arg-type]
    assert await delivery.run() == 25
    assert coach.most_at_once == DELIVERING_AT_ONCE == 2
    assert sorted(sent) == sorted(f"How did it go, {1000 + n}?" for n in range(25))
    assert sorted(coach.confirmed) == list(range(25))
