"""Who the leaders are: one users row per (channel, external id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from flows.conversation import Profile
from storage.export import export_user
from storage.models import LeaderRow, SeenUpdateRow
from storage.upsert import insert_ignoring
from storage.utc import utcnow

# Telegram keeps an unconfirmed update for 24 hours; a day more covers a bot that was
# down when it would have been redelivered.
SEEN_KEPT = timedelta(hours=48)
PRUNE_EVERY = 128
SEEN = SeenUpdateRow.__table__


class LeaderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_or_create(self, channel: str, external_id: str) -> LeaderRow:
        row = self._find(channel, external_id)
        if row is not None:
            return row
        # Two first messages from a new user may arrive in two processes at once.
        now = utcnow()
        insert_ignoring(
            self.session,
            LeaderRow,
            ["channel", "external_id"],
            channel=channel,
            external_id=external_id,
            active=True,
            paused=False,
            created_at=now,
            updated_at=now,
        )
        row = self._find(channel, external_id)
        assert row is not None
        return row

    def find(self, channel: str, external_id: str, *, lock: bool = False) -> LeaderRow | None:
        """With `lock`, the row stays locked until the transaction ends (see conversations.load)."""
        if not lock:
            return self._find(channel, external_id)
        return self.locked(LeaderRow.channel == channel, LeaderRow.external_id == external_id)

    def locked(self, *where: ColumnElement[bool]) -> LeaderRow | None:
        """The matching user, locked for this transaction and read afresh."""
        return self.session.scalar(
            select(LeaderRow)
            .where(*where)
            .with_for_update()
            # Whatever this session read before waiting for the lock may be stale.
            .execution_options(populate_existing=True)
        )

    def get(self, user_id: int) -> LeaderRow | None:
        return self.session.get(LeaderRow, user_id)

    def set_active(self, user_id: int, active: bool) -> None:
        user = self.session.get(LeaderRow, user_id)
        if user is not None and user.active != active:
            user.active = active

    def seen_update(self, user_id: int, update_id: int, now: datetime | None = None) -> bool:
        """True if this update was handled before; otherwise remember it and say False.

        One INSERT that does nothing on a known (user, update id), so two processes
        handed the same update cannot both see it as new. It belongs to the event's
        transaction: if handling fails and rolls back, the update counts as unseen and
        Telegram's redelivery is handled. Any id not seen lately is new, lower or not:
        Telegram restarts ids at a lower value after a week of silence or with a new token.
        """
        now = now or utcnow()
        if update_id % PRUNE_EVERY == 0:
            # Ids rise by one per update, so this runs once per PRUNE_EVERY updates
            # and the usual answer pays for a single statement.
            self.session.execute(delete(SEEN).where(SEEN.c.seen_at < now - SEEN_KEPT))
        # On the table, not the mapped class: the ORM's bookkeeping is a measurable share
        # of the bot's CPU per answer (bench/README.md, "Figures behind the code").
        return not insert_ignoring(
            self.session,
            SEEN,
            ["user_id", "update_id"],
            user_id=user_id,
            update_id=update_id,
            seen_at=now,
        )

    def profile(self, user: LeaderRow) -> Profile:
        return profile_of(user)

    def export(self, user_id: int) -> dict[str, Any]:
        """Everything kept about the user, JSON-serialisable, for /export."""
        return export_user(self.session, user_id)

    def _find(self, channel: str, external_id: str) -> LeaderRow | None:
        return self.session.scalar(
            select(LeaderRow).where(LeaderRow.channel == channel, LeaderRow.external_id == external_id)
        )


class LeaderFields(Protocol):
    """What handling an event reads of a leader: a `LeaderRow`, or a `LockedLeader`."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def level(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def consented_at(self) -> datetime | None: ...
    @property
    def active(self) -> bool: ...
    @property
    def paused(self) -> bool: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def giving_feedback(self) -> bool: ...


@dataclass(frozen=True)
class LockedLeader:
    """A leader's users row as read under its lock, without the ORM's bookkeeping (about
    0.15 ms of CPU an answer). A record that changes the row loads it through the ORM."""

    id: int
    name: str | None
    level: str | None
    timezone: str | None
    consented_at: datetime | None
    active: bool
    paused: bool
    revoked_at: datetime | None
    giving_feedback: bool


def profile_of(user: LeaderFields) -> Profile:
    return Profile(
        name=user.name,
        level=user.level,
        timezone=user.timezone,
        consented=user.consented_at is not None,
        paused=user.paused,
    )
