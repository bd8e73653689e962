"""Telegram's "retry after" honoured per chat: one chat's 429 does not hold the others.

PTB's AIORateLimiter answers a 429 by pausing every request the bot makes until the wait
is over, so one leader's flood of replies would make all 200 leaders wait. Here the pause
applies to the chat the 429 was for (calls without a chat share one pause of their own).
The rest is as AIORateLimiter does it: groups get at most 20 messages a minute, a 429 is
waited out and retried up to `max_retries` times, and no overall cap (replies answer a
leader's own message; proactive check-ins are paced by the dispatcher).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger("grow_coach.telegram")

Result = bool | dict[str, Any] | list[dict[str, Any]]
# A little past Telegram's wait, as AIORateLimiter does, so the retry is not early.
MARGIN = 0.1
GROUP_LIMITERS_KEPT = 512


class PerChatRateLimiter(BaseRateLimiter[int]):
    def __init__(self, max_retries: int = 0) -> None:
        self._max_retries = max_retries
        # chat (None: calls for no chat) -> loop time before which it must not be called
        self._paused_until: dict[int | str | None, float] = {}
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def paused_chats(self) -> int:
        return len(self._paused_until)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        max_retries = rate_limit_args or self._max_retries
        chat = _chat_key(data.get("chat_id"))
        group = chat if isinstance(chat, str) or (isinstance(chat, int) and chat < 0) else None
        for attempt in range(max_retries + 1):
            await self._wait_out(chat)
            try:
                if group is not None:
                    async with self._group_limiter(group):
                        return await callback(*args, **kwargs)
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == max_retries:
                    log.warning("chat=%s %s rate limited after %d retries", chat, endpoint, max_retries)
                    raise
                seconds = _seconds(error)
                until = asyncio.get_running_loop().time() + seconds + MARGIN
                self._paused_until[chat] = max(until, self._paused_until.get(chat, 0.0))
                log.info("chat=%s rate limited by Telegram: its sends wait %.1fs", chat, seconds)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _wait_out(self, chat: int | str | None) -> None:
        loop = asyncio.get_running_loop()
        while (until := self._paused_until.get(chat)) is not None:
            left = until - loop.time()
            if left <= 0:
                # Forgotten once over: memory follows the chats paused right now.
                self._paused_until.pop(chat, None)
                return
            await asyncio.sleep(left)

    def _group_limiter(self, group: int | str) -> AsyncLimiter:
        limiter = self._groups.get(group)
        if limiter is None:
            if len(self._groups) >= GROUP_LIMITERS_KEPT:
                for key, idle in list(self._groups.items()):
                    if idle.has_capacity(idle.max_rate):
                        del self._groups[key]
            limiter = self._groups[group] = AsyncLimiter(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP, 60)
        return limiter


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat_id)  # type: ignore[call-overload, no-any-return]
    return str(chat_id)


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the int form of retry_after will become a timedelta: both are read.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()
