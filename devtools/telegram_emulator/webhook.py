"""Pushing queued updates to the bot's webhook, one at a time and in order."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .updates import QueuedUpdate, UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    statuses: list[int] = field(default_factory=list)

    def info(self, pending: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": self.max_connections,
        }
        if self.ip_address:
            data["ip_address"] = self.ip_address
        if self.allowed_updates:
            data["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data


class WebhookPusher:
    """Background task delivering the queue's head until the bot answers 2xx.

    With ``concurrent`` set it delivers like Telegram under load: several updates in
    flight (up to the webhook's max_connections), but a chat's next update only once its
    previous one was accepted.
    """

    def __init__(self, queue: UpdateQueue, retry_min: float = 0.05, retry_max: float = 1.0):
        self.queue = queue
        self.retry_min = retry_min
        self.retry_max = retry_max
        self.latency = 0.0
        self.concurrent = False
        # Called with each update as its POST starts (benchmarks time from there).
        self.on_post: Callable[[dict[str, Any]], None] | None = None
        self.config: WebhookConfig | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        await self._stop_task()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def set(self, config: WebhookConfig) -> None:
        await self._stop_task()
        self.config = config
        self._task = asyncio.create_task(self._run(config), name="telegram-emulator-webhook")

    async def delete(self) -> None:
        await self._stop_task()
        self.config = None

    async def post(self, url: str, payload: dict[str, Any], secret: str | None) -> int:
        """POST one update; return the HTTP status (0 if the connection failed)."""
        if self._session is None:
            raise RuntimeError("emulator is not started")
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if self.on_post is not None:
            self.on_post(payload)
        if self.latency > 0:
            await asyncio.sleep(self.latency / 2)  # the update on its way to the bot
        try:
            async with self._session.post(url, json=payload, headers=headers) as response:
                await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        if self.latency > 0:
            await asyncio.sleep(self.latency / 2)  # the bot's answer on its way back
        return status

    async def _run(self, config: WebhookConfig) -> None:
        if self.concurrent:
            await self._run_concurrent(config)
        else:
            await self._run_sequential(config)

    async def _run_sequential(self, config: WebhookConfig) -> None:
        delay = self.retry_min
        while True:
            entry = self.queue.peek()
            if entry is None:
                await self.queue.wait_changed(None)
                continue
            status = await self.post(config.url, entry.payload, config.secret_token)
            config.statuses.append(status)
            if 200 <= status < 300:
                entry.delivered = True
                self.queue.remove(entry)
                config.delivered += 1
                delay = self.retry_min
                continue
            config.last_error_date = int(time.time())
            config.last_error_message = (
                f"Wrong response from the webhook: {status}" if status else "Connection refused"
            )
            await asyncio.sleep(delay)
            delay = min(self.retry_max, delay * 2)

    async def _run_concurrent(self, config: WebhookConfig) -> None:
        busy: set[object] = set()  # chats with an update in flight or waiting for a retry
        in_flight: set[QueuedUpdate] = set()
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                blocked: set[object] = set()
                for entry in self.queue.pending():
                    if len(in_flight) >= max(1, config.max_connections):
                        break
                    chat = _chat_of(entry.payload)
                    if entry in in_flight or chat in busy or chat in blocked:
                        blocked.add(chat)  # a chat's later updates wait for its earlier ones
                        continue
                    busy.add(chat)
                    in_flight.add(entry)
                    task = asyncio.create_task(self._deliver(config, entry, chat, busy, in_flight))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                await self.queue.wait_changed(None)
        finally:
            for task in tasks:
                task.cancel()

    async def _deliver(
        self,
        config: WebhookConfig,
        entry: QueuedUpdate,
        chat: object,
        busy: set[object],
        in_flight: set[QueuedUpdate],
    ) -> None:
        delay = self.retry_min
        try:
            while True:
                status = await self.post(config.url, entry.payload, config.secret_token)
                config.statuses.append(status)
                if 200 <= status < 300:
                    entry.delivered = True
                    self.queue.remove(entry)
                    config.delivered += 1
                    return
                config.last_error_date = int(time.time())
                config.last_error_message = (
                    f"Wrong response from the webhook: {status}" if status else "Connection refused"
                )
                await asyncio.sleep(delay)
                delay = min(self.retry_max, delay * 2)
        finally:
            busy.discard(chat)
            in_flight.discard(entry)
            self.queue.notify()


def _chat_of(payload: dict[str, Any]) -> object:
    """The chat (or, for a button press, the user) whose updates must arrive in order."""
    for key, value in payload.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return chat["id"]
        sender = value.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return sender["id"]
    return None
