"""Pushing queued updates to the bot's webhook, one at a time and in order."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .updates import UpdateQueue

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
    """Background task delivering the queue's head until the bot answers 2xx."""

    def __init__(self, queue: UpdateQueue, retry_min: float = 0.05, retry_max: float = 1.0):
        self.queue = queue
        self.retry_min = retry_min
        self.retry_max = retry_max
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
        try:
            async with self._session.post(url, json=payload, headers=headers) as response:
                await response.read()
                return response.status
        except (TimeoutError, aiohttp.ClientError):
            return 0

    async def _run(self, config: WebhookConfig) -> None:
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
