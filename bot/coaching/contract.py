"""The one contract between a front end and the coach, with no database in sight.

The Telegram front end imports only this: the service behind it (SQLAlchemy, the
engine, the content) lives either in the same process (`bot.coaching.local_coach`) or
in service processes (`bot.processes.service_process`), and the front end cannot tell
which. What crosses the process boundary is exactly what is defined here: the calls of
`Coach` (`REMOTE_CALLS`), their arguments and `Handled`, `Claimed` or `StoreUnavailable`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flows.events import Event, Reply

# Defined below both layers (storage makes them); part of this contract all the same.
from storage.claims import Claimed

__all__ = ["REMOTE_CALLS", "Claimed", "Coach", "Handled", "InboxedUpdate", "StoreUnavailable"]


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


@dataclass(frozen=True)
class InboxedUpdate:
    """An update waiting in the shared inbox (`[telegram] workers = "shared"`), as Telegram sent it."""

    update_id: int
    payload: dict[str, Any]


class Coach(Protocol):
    """`CoachService`'s work, awaited; each call has committed before it returns."""

    async def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled: ...

    async def set_active(self, channel: str, external_id: str, active: bool) -> None: ...

    async def claim_checkins(
        self, channel: str, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]:
        """Due check-ins of this front end's (`channel`) leaders, for `worker` to deliver."""
        ...

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled: ...

    async def ping(self) -> None:
        """Returns once the database answered a trivial query; raises StoreUnavailable if not."""
        ...

    async def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        """After the send: `sent` once Telegram confirmed it, else tried again later or given up."""
        ...

    # Several webhook workers on one PostgreSQL (storage/update_inbox.py, storage/send_pace.py).

    async def receive_update(
        self, channel: str, external_id: str, update_id: int, payload: dict[str, Any], worker: str
    ) -> list[InboxedUpdate]:
        """Commit the update to the chat's inbox; the first rows to handle if `worker` took the turn."""
        ...

    async def finish_updates(
        self, channel: str, external_id: str, update_ids: list[int], worker: str
    ) -> list[InboxedUpdate]:
        """`update_ids` handled; the chat's next rows, or none once the turn is given back (or lost)."""
        ...

    async def take_stale_turns(self, worker: str, limit: int) -> list[tuple[str, str, list[InboxedUpdate]]]:
        """Chats a stopped worker left with rows pending, now `worker`'s, with their first rows."""
        ...

    async def take_send_slot(self, interval: timedelta) -> float:
        """0.0 when a proactive message may go now, for the whole bot; else the seconds to wait."""
        ...

    async def close(self) -> None: ...


# `close` ends the connection to the coach; every other call is the service's work.
LOCAL_ONLY = frozenset({"close"})
REMOTE_CALLS = frozenset(
    name
    for name, member in vars(Coach).items()
    if inspect.iscoroutinefunction(member) and name not in LOCAL_ONLY
)
