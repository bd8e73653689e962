"""What a front end asks of the coach and gets back, with no database in sight.

The Telegram front end imports only this: the service behind it (SQLAlchemy, the
engine, the content) lives either in the same process (`bot.local_coach`) or in a
service process (`bot.service_process`), and the front end cannot tell which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flows.events import Event, Reply
from storage.claims import Claimed


class StoreUnavailable(RuntimeError):
    """The database could not be reached; nothing was written."""


@dataclass(frozen=True)
class Handled:
    replies: list[Reply]
    user_id: int
    duplicate: bool = False
    deferred: bool = False
    delivered: bool = False
    expired: bool = False
    refused: bool = False


class Coach(Protocol):
    """`CoachService`'s work, awaited; each call has committed before it returns."""

    async def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled: ...

    async def set_active(self, channel: str, external_id: str, active: bool) -> None: ...

    async def claim_checkins(
        self, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]: ...

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled: ...

    async def close(self) -> None: ...
