"""Token-bucket flood control resembling Telegram's (~30 msg/s overall, ~1 msg/s per chat)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        return cls(rate, burst, burst, now)

    def refill(self, now: float) -> None:
        elapsed = now - self.updated
        if elapsed > 0:
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
            self.updated = now

    def wait_time(self, now: float) -> float:
        self.refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Global plus per-chat buckets; a request is admitted only if every bucket has a token."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.global_rate: float | None = None
        self.per_chat_rate: float | None = None
        self.per_chat_burst: float = 3.0
        self.group_rate: float | None = None
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}

    def configure(
        self,
        global_rate: float | None,
        per_chat_rate: float | None,
        per_chat_burst: float,
        group_rate: float | None,
    ) -> None:
        self.global_rate = global_rate if global_rate and global_rate > 0 else None
        self.per_chat_rate = per_chat_rate if per_chat_rate and per_chat_rate > 0 else None
        self.per_chat_burst = max(1.0, per_chat_burst)
        self.group_rate = group_rate if group_rate and group_rate > 0 else None
        now = self._clock()
        self._global = TokenBucket.full(self.global_rate, self.global_rate, now) if self.global_rate else None
        self._chats.clear()

    @property
    def enabled(self) -> bool:
        return bool(self.global_rate or self.per_chat_rate or self.group_rate)

    def _chat_bucket(self, chat_id: int, now: float) -> TokenBucket | None:
        bucket = self._chats.get(chat_id)
        if bucket is not None:
            return bucket
        rate = self.group_rate if chat_id < 0 and self.group_rate else self.per_chat_rate
        if rate is None:
            return None
        bucket = TokenBucket.full(rate, self.per_chat_burst, now)
        self._chats[chat_id] = bucket
        return bucket

    def acquire(self, chat_id: int | None) -> int | None:
        """Take a token; return None if admitted, else retry_after in whole seconds (>= 1)."""
        if not self.enabled:
            return None
        now = self._clock()
        buckets = [b for b in (self._global,) if b is not None]
        if chat_id is not None:
            chat_bucket = self._chat_bucket(chat_id, now)
            if chat_bucket is not None:
                buckets.append(chat_bucket)
        wait = max((bucket.wait_time(now) for bucket in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None
