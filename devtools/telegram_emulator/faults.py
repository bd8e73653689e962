"""Fault injection: random (seeded) and one-shot errors and slow responses."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

from .errors import ApiError, too_many_requests

# Faulting these by default would only break bootstrapping or polling itself, which tests
# of the bot's delivery logic do not want; one-shot faults still apply to them.
DEFAULT_EXEMPT_METHODS = frozenset(
    {"getme", "getupdates", "setwebhook", "deletewebhook", "getwebhookinfo", "close", "logout"}
)

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(slots=True, frozen=True)
class Delay:
    seconds: float
    deliver: bool


@dataclass(slots=True)
class _OneShot:
    error: ApiError | None
    delay: Delay | None
    remaining: int


def error_for_status(status: int, retry_after: int | None = None, description: str | None = None) -> ApiError:
    if status == 429:
        error = too_many_requests(retry_after or 1)
        if description:
            error.description = description
        return error
    if status == 502 and description is None:
        return ApiError(502, "Bad Gateway", html_body=BAD_GATEWAY_HTML)
    if description is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        description = {400: "Bad Request", 403: "Forbidden"}.get(status, phrase)
    return ApiError(status, description, retry_after=retry_after)


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.fault_rate = 0.0
        self.fault_statuses: tuple[int, ...] = (500, 502)
        self.fault_methods: frozenset[str] | None = None
        self.slow_rate = 0.0
        self.slow_seconds = 0.0
        self.deliver_delayed = True
        self._one_shots: dict[str, deque[_OneShot]] = {}

    def configure(
        self,
        *,
        fault_rate: float,
        fault_statuses: Iterable[int],
        fault_methods: Iterable[str] | None,
        slow_rate: float,
        slow_seconds: float,
        deliver_delayed: bool,
    ) -> None:
        self.fault_rate = fault_rate
        self.fault_statuses = tuple(fault_statuses)
        self.fault_methods = None if fault_methods is None else frozenset(m.lower() for m in fault_methods)
        self.slow_rate = slow_rate
        self.slow_seconds = slow_seconds
        self.deliver_delayed = deliver_delayed

    def fail_next(self, method: str, error: ApiError, times: int) -> None:
        self._one_shots.setdefault(method.lower(), deque()).append(_OneShot(error, None, times))

    def delay_next(self, method: str, delay: Delay, times: int) -> None:
        self._one_shots.setdefault(method.lower(), deque()).append(_OneShot(None, delay, times))

    def clear(self) -> None:
        self._one_shots.clear()

    def _applies(self, method: str) -> bool:
        if self.fault_methods is None:
            return method not in DEFAULT_EXEMPT_METHODS
        return method in self.fault_methods

    def decide(self, method: str) -> ApiError | Delay | None:
        """Pick the fault for one request of ``method`` (lower-case), if any."""
        queue = self._one_shots.get(method)
        if queue:
            shot = queue[0]
            shot.remaining -= 1
            if shot.remaining <= 0:
                queue.popleft()
            return shot.error if shot.error is not None else shot.delay
        if not self._applies(method):
            return None
        if self.fault_rate > 0 and self.fault_statuses and self.rng.random() < self.fault_rate:
            return error_for_status(self.rng.choice(self.fault_statuses))
        if self.slow_rate > 0 and self.rng.random() < self.slow_rate:
            return Delay(self.slow_seconds, self.deliver_delayed)
        return None
