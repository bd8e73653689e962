"""Check-ins in the terminal chat: shown when it opens and while it is open.

The same service calls as Telegram's delivery (`bot.checkin_delivery`): claim what is
due, put it into the conversation and mark it sent in one commit. Only this chat's own
leader's check-ins are claimed, so a terminal chat on a database a Telegram bot also
uses never takes that bot's leaders' check-ins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.checkin_delivery import worker_name
from bot.coaching.contract import StoreUnavailable
from bot.coaching.service import CoachService
from flows.events import Reply

log = logging.getLogger("grow_coach.terminal")


def deliver_due(
    service: CoachService,
    leader: tuple[str, str],
    worker: str,
    grace: timedelta,
    now: datetime | None = None,
) -> list[Reply]:
    """The due check-in of one leader put into their conversation: what to show them.

    Nothing while they are mid-flow (it waits for the flow to end, as on Telegram), in
    quiet hours, or when the database cannot be reached (the next round tries again).
    """
    now = now or datetime.now(UTC)
    try:
        replies: list[Reply] = []
        for claimed in service.claim_leader_checkins(leader, now, worker, grace):
            replies += service.deliver_checkin(claimed, worker, now).replies
        return replies
    except StoreUnavailable:
        return []


class CheckinPoller:
    """Looks for due check-ins every `every` on a thread of its own, until stopped."""

    def __init__(self, deliver: Callable[[str], None], every: timedelta) -> None:
        self._deliver = deliver
        self._every = max(every.total_seconds(), 0.1)
        self._worker = worker_name()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="terminal-checkins", daemon=True)

    def deliver_now(self) -> None:
        self._deliver(self._worker)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._deliver(self._worker)
            except Exception:
                # One failed round must not end check-ins for the rest of the chat.
                log.exception("terminal check-in delivery failed")
