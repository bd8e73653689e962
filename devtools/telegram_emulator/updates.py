"""The pending-update queue behind getUpdates and webhook delivery."""

from __future__ import annotations

import asyncio
import bisect
from collections import deque
from typing import Any

from .errors import POLL_CONFLICT, ApiError

# Telegram only sends these when they are listed in allowed_updates explicitly.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

MAX_POLL_TIMEOUT = 50.0


class QueuedUpdate:
    __slots__ = ("delivered", "duplicate", "order", "payload")

    def __init__(self, order: int, payload: dict[str, Any], duplicate: bool = False) -> None:
        self.order = order
        self.payload = payload
        self.duplicate = duplicate
        self.delivered = False


def update_type(payload: dict[str, Any]) -> str | None:
    for key in payload:
        if key != "update_id":
            return key
    return None


class UpdateQueue:
    def __init__(self, first_update_id: int = 1) -> None:
        self._entries: deque[QueuedUpdate] = deque()
        self._next_id = first_update_id
        self._history: dict[int, dict[str, Any]] = {}
        self._event = asyncio.Event()
        self._poll_generation = 0
        self.allowed_updates: list[str] | None = None
        self.closed = False

    def __len__(self) -> int:
        return len(self._entries)

    # producing

    def allocate_id(self) -> int:
        update_id = self._next_id
        self._next_id += 1
        return update_id

    def put(self, payload: dict[str, Any]) -> int:
        """Queue an update; assign update_id when missing. Returns the update_id."""
        update_id = payload.get("update_id")
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            order = update_id
            self._next_id = max(self._next_id, update_id + 1)
        else:
            order = self._next_id
            self._next_id += 1
            if "update_id" not in payload:
                payload = {"update_id": order, **payload}
        self._history[order] = payload
        if self._allowed(payload):
            self._entries.append(QueuedUpdate(order, payload))
            self.notify()
        return order

    def redeliver(self, update_id: int) -> int:
        payload = self._history.get(update_id)
        if payload is None:
            raise KeyError(f"unknown update_id {update_id}")
        # Duplicates keep their original id, so keep the queue ordered by id as Telegram does.
        orders = [entry.order for entry in self._entries]
        index = bisect.bisect_right(orders, update_id)
        self._entries.insert(index, QueuedUpdate(update_id, payload, duplicate=True))
        self.notify()
        return update_id

    def history(self, update_id: int) -> dict[str, Any] | None:
        return self._history.get(update_id)

    def _allowed(self, payload: dict[str, Any]) -> bool:
        kind = update_type(payload)
        if kind is None:
            return True
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATE_TYPES

    # waking consumers

    def notify(self) -> None:
        event = self._event
        self._event = asyncio.Event()
        event.set()

    async def wait_changed(self, timeout: float | None) -> None:
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    def close(self) -> None:
        self.closed = True
        self.notify()

    # consuming by polling

    def confirm(self, offset: int | None) -> None:
        if not offset:
            return
        entries = self._entries
        if offset < 0:
            while len(entries) > -offset:
                entries.popleft()
            return
        while entries:
            head = entries[0]
            if head.order >= offset or (head.duplicate and not head.delivered):
                break
            entries.popleft()

    def _collect(self, offset: int | None, limit: int) -> list[QueuedUpdate]:
        batch: list[QueuedUpdate] = []
        for entry in self._entries:
            if len(batch) >= limit:
                break
            if offset and offset > 0 and entry.order < offset:
                if not (entry.duplicate and not entry.delivered):
                    continue
            batch.append(entry)
        return batch

    async def get_updates(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        # Wakes an older long poll so it can fail with 409 like Telegram does.
        self.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(timeout, 0.0), MAX_POLL_TIMEOUT)
        while True:
            batch = self._collect(offset, limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closed:
                for entry in batch:
                    entry.delivered = True
                return [entry.payload for entry in batch]
            await self.wait_changed(remaining)
            if self._poll_generation != generation:
                raise ApiError(409, POLL_CONFLICT)

    # consuming by webhook

    def pending(self) -> list[QueuedUpdate]:
        return list(self._entries)

    def peek(self) -> QueuedUpdate | None:
        return self._entries[0] if self._entries else None

    def remove(self, entry: QueuedUpdate) -> None:
        if self._entries and self._entries[0] is entry:
            self._entries.popleft()
        else:
            try:
                self._entries.remove(entry)
            except ValueError:
                pass

    def drop_pending(self) -> None:
        self._entries.clear()
