"""Claiming due check-ins so that each one is delivered once, by one process.

The database is the truth: a check-in moves pending → claimed → sent. A claim is a short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several bot processes never take
the same row). The move to `sent` happens in the same transaction that puts the leader's
conversation into the check-in, so it can never be sent twice. A process that dies
holding claims leaves them `claimed`; once the lease runs out another process takes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.coaching.contract import Claimed
from storage.models import CheckinRow, ConversationRow, LeaderRow

CLAIM_LEASE = timedelta(minutes=2)
# A check-in in one of these was (or is being) put to the leader: an older one of the
# same goal that is still waiting has been overtaken by it.
REACHED_STATUSES = ("pending", "claimed", "sent", "answered")


def _waiting(row: type[CheckinRow], now: datetime) -> ColumnElement[bool]:
    """Still to be delivered: pending, or claimed by a process whose lease ran out."""
    return or_(
        row.status == "pending",
        and_(row.status == "claimed", row.claimed_at < now - CLAIM_LEASE),
    )


def expire_stale(session: Session, now: datetime, grace: timedelta) -> int:
    """Due check-ins a leader should never see: past the grace period, or superseded.

    After downtime a goal may have several overdue check-ins; only its latest is kept,
    so nobody comes back to a burst of stale nudges.
    """
    newer = aliased(CheckinRow)
    superseded = exists().where(
        newer.goal_id == CheckinRow.goal_id,
        newer.id != CheckinRow.id,
        # Overtaken by a later one still to come or already put to the leader: after
        # downtime the latest is sent; once it is out, the older ones are moot too.
        newer.status.in_(REACHED_STATUSES),
        newer.due_at <= now,
        or_(
            newer.due_at > CheckinRow.due_at,
            # Two due at the same instant: the later-planned one stands for both.
            and_(newer.due_at == CheckinRow.due_at, newer.id > CheckinRow.id),
        ),
    )
    result = session.execute(
        update(CheckinRow)
        .where(
            # A claim left by a process that died counts too: taking it over after a
            # long outage must not send a stale nudge.
            _waiting(CheckinRow, now),
            CheckinRow.due_at <= now,
            (CheckinRow.due_at < now - grace) | superseded,
        )
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(
    session: Session,
    now: datetime,
    worker: str,
    limit: int,
    *,
    leader: tuple[str, str] | None = None,
) -> list[Claimed]:
    """Take up to `limit` due check-ins of active, unpaused, idle leaders, one per leader.

    A leader in the middle of another flow is left alone: their check-in keeps its due
    time and is put into the conversation when that flow ends (`due_for_leader`), rather
    than being claimed, found busy and pushed back over and over.

    `leader` (channel, external id) takes only that leader's: the terminal chat shows
    its own leader's check-ins and must not take anyone else's from a shared database.
    """
    query = (
        select(CheckinRow, LeaderRow)
        .join(LeaderRow, LeaderRow.id == CheckinRow.user_id)
        .outerjoin(ConversationRow, ConversationRow.user_id == CheckinRow.user_id)
        .where(
            CheckinRow.due_at <= now,
            _waiting(CheckinRow, now),
            LeaderRow.active.is_(True),
            LeaderRow.paused.is_(False),
            or_(ConversationRow.flow == "idle", ConversationRow.user_id.is_(None)),
        )
        .order_by(CheckinRow.due_at)
        .limit(limit)
        .with_for_update(of=CheckinRow, skip_locked=True)
    )
    if leader is not None:
        query = query.where(LeaderRow.channel == leader[0], LeaderRow.external_id == leader[1])
    claimed: list[Claimed] = []
    users: set[int] = set()
    for checkin, user in session.execute(query).all():
        if user.id in users:
            # One at a time per leader: the first puts them into a check-in, so a second
            # would only be found busy and pushed back. Left pending with its due time,
            # it follows when this one ends (`due_for_leader`).
            continue
        users.add(user.id)
        checkin.status = "claimed"
        checkin.claimed_at = now
        checkin.claimed_by = worker
        checkin.attempts += 1
        claimed.append(
            Claimed(checkin.id, user.id, user.external_id, user.channel, user.timezone, checkin.due_at)
        )
    return claimed


def due_for_leader(session: Session, user_id: int, now: datetime) -> int | None:
    """The due check-in a leader who just finished a flow should get next, if any."""
    row = session.execute(
        select(CheckinRow.id)
        .where(CheckinRow.user_id == user_id, CheckinRow.status == "pending", CheckinRow.due_at <= now)
        .order_by(CheckinRow.due_at.desc())
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    return row


def mark_sent(session: Session, checkin_id: int, now: datetime, worker: str | None) -> bool:
    """Sent, if this worker still holds the claim (or, with no worker, if still pending)."""
    condition = (
        and_(CheckinRow.status == "claimed", CheckinRow.claimed_by == worker)
        if worker is not None
        else CheckinRow.status == "pending"
    )
    result = session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, condition)
        .values(status="sent", sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, checkin_id: int, due_at: datetime) -> None:
    """Back to pending, for later: the leader is busy in another flow or in quiet hours.

    Only a row still claimed: one another worker took over and sent meanwhile must not
    become pending (and be sent) again.
    """
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.status == "claimed")
        .values(status="pending", due_at=due_at, claimed_at=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )


def cancel_pending(session: Session, user_id: int) -> int:
    result = session.execute(
        update(CheckinRow)
        .where(CheckinRow.user_id == user_id, CheckinRow.status.in_(("pending", "claimed")))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def cancel_one(session: Session, checkin_id: int) -> None:
    """A check-in that can no longer be delivered (the goal or leader is gone)."""
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.status.in_(("pending", "claimed")))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )


def count_by_status(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(CheckinRow.status, func.count()).group_by(CheckinRow.status)).all()
    return {status: int(count) for status, count in rows}
