"""What a claim on a due check-in hands over: plain data, no database and no front end.

Kept here, below both layers: `storage.checkin_delivery` makes these and the front ends
receive them through `bot.coaching.contract`, which re-exports them. Importing this
module loads neither SQLAlchemy nor anything of `bot`, so the Telegram process (which
must stay free of the database code) can import it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Claimed:
    """A check-in claimed for delivery by one worker (`storage.checkin_delivery.claim_due`)."""

    checkin_id: int
    user_id: int
    external_id: str
    channel: str
    timezone: str | None
    due_at: datetime  # when it fell due: a delivery put off for a busy leader keeps it
    # Already in the leader's conversation, never confirmed sent: ask its question again.
    resend: bool = False
    # The leader left an earlier check-in unanswered for long: this one replaces it.
    takes_over: bool = False
