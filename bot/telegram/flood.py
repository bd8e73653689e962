"""A message rate per leader: a burst, then one more every so often.

One leader pasting a thousand lines would otherwise queue a thousand coaching turns (each
a database commit and a reply) ahead of their own next real answer. Only messages sent
while the bot is still working on that leader's earlier ones count: someone who waits for
each reply, however quickly they answer, is never held back. What is over the rate is not
taken in; the leader is told once per burst (the burst ends when their allowance has
refilled), and the log gets a count, never the words.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass


class Verdict(enum.Enum):
    TAKE = "take"
    DROP_AND_TELL = "drop and tell"  # the first one over the rate in this burst
    DROP = "drop"


@dataclass(slots=True)
class _Allowance:
    tokens: float
    updated: float
    told: bool = False
    dropped: int = 0


# Allowances are swept once this many admissions have passed; a full one is forgotten
# (it is the same as none), so memory follows the leaders active in the last minute or so.
SWEEP_EVERY = 1024


class LeaderRateLimit:
    def __init__(self, burst: int, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        if burst < 1 or interval <= 0:
            raise ValueError("burst must be at least 1 and interval above 0")
        self.burst = burst
        self.interval = interval
        self._clock = clock
        self._leaders: dict[int, _Allowance] = {}
        self._since_sweep = 0

    @property
    def refill_seconds(self) -> float:
        """From empty to a full burst again: when a flood counts as over."""
        return self.burst * self.interval

    def admit(self, leader: int, *, waiting: bool = True) -> Verdict:
        """`waiting`: the leader still has earlier updates unhandled (only those count)."""
        if not waiting:
            return Verdict.TAKE
        now = self._clock()
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._sweep(now)
        allowance = self._leaders.get(leader)
        if allowance is None:
            allowance = self._leaders[leader] = _Allowance(float(self.burst), now)
        else:
            self._refill(allowance, now)
        if allowance.tokens >= 1.0:
            allowance.tokens -= 1.0
            return Verdict.TAKE
        allowance.dropped += 1
        if allowance.told:
            return Verdict.DROP
        allowance.told = True
        return Verdict.DROP_AND_TELL

    def flooding(self, leader: int) -> bool:
        """Whether this leader's burst is still going (their allowance is not yet full)."""
        allowance = self._leaders.get(leader)
        if allowance is None:
            return False
        self._refill(allowance, self._clock())
        return allowance.tokens < self.burst

    def take_dropped(self, leader: int) -> int:
        """How many were dropped since last asked; the count starts again from zero."""
        allowance = self._leaders.get(leader)
        if allowance is None:
            return 0
        dropped, allowance.dropped = allowance.dropped, 0
        return dropped

    def __len__(self) -> int:
        return len(self._leaders)

    def _refill(self, allowance: _Allowance, now: float) -> None:
        elapsed = now - allowance.updated
        if elapsed > 0:
            allowance.tokens = min(float(self.burst), allowance.tokens + elapsed / self.interval)
            allowance.updated = now
        if allowance.tokens >= self.burst:
            # A full allowance is a new burst: the next flood gets its own notice.
            allowance.told = False

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        for leader, allowance in list(self._leaders.items()):
            self._refill(allowance, now)
            if allowance.tokens >= self.burst and not allowance.dropped:
                del self._leaders[leader]
