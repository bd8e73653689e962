"""A check-in claimed for delivery, as handed between processes (no SQLAlchemy here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Claimed:
    checkin_id: int
    user_id: int
    external_id: str
    channel: str
    timezone: str | None
    due_at: datetime  # when it fell due: a delivery put off for a busy leader keeps it
