"""Claiming due check-ins so that each one reaches its leader, sent by one process at a time.

The database is the truth: a check-in moves pending → claimed → delivering → sent. A claim
is a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several bot processes
never take the same row). `delivering` is committed together with the leader's
conversation moving into the check-in, before the message goes out; only Telegram's
confirmation makes it `sent`. A process that dies in between leaves it `delivering`, and
once its lease (`retry_at`) runs out the question is sent again: at least once, so a
rare duplicate rather than a lost nudge. A send that keeps failing is retried with
growing pauses, then given up as `failed`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.claims import Claimed
from storage.models import CheckinRow, ConversationRow, LeaderRow

CLAIM_LEASE = timedelta(minutes=2)
# A check-in in one of these was (or is being) put to the leader: an older one of the
# same goal that is still waiting has been overtaken by it.
REACHED_STATUSES = ("pending", "claimed", "delivering", "sent", "answered")
# Not yet in front of the leader: what cancelling a leader's or a goal's check-ins stops.
UNSENT_STATUSES = ("pending", "claimed", "delivering")
# Pauses before sending an unconfirmed check-in again after a failed send; one more
# failure after the last and it is given up (`failed`).
RETRY_PAUSES = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


def _waiting(row: type[CheckinRow], now: datetime) -> ColumnElement[bool]:
    """Still to be delivered: pending, or claimed by a process whose lease ran out."""
    return or_(
        row.status == "pending",
        and_(row.status == "claimed", row.claimed_at < now - CLAIM_LEASE),
    )


def _unconfirmed(row: type[CheckinRow], now: datetime) -> ColumnElement[bool]:
    """In the leader's conversation, but Telegram never confirmed it: time to send it again."""
    return and_(row.status == "delivering", row.retry_at <= now)


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
    channel: str | None = None,
    leader: tuple[str, str] | None = None,
    silence: timedelta | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> list[Claimed]:
    """Take up to `limit` due check-ins of active, unpaused, idle leaders, one per leader.

    A leader in the middle of another flow is left alone: their check-in keeps its due
    time and is put into the conversation when that flow ends (`due_for_leader`), rather
    than being claimed, found busy and pushed back over and over. One exception: a
    check-in the leader left unanswered for longer than `silence` does not hold the next
    one back; that claim is marked `takes_over`.

    A check-in still `delivering` whose lease ran out is claimed again to be re-sent;
    it keeps its status, and the lease starts anew so nobody else sends it meanwhile.

    `channel` takes only the leaders of that front end ("telegram"): a Telegram bot and
    a terminal chat may share a database, and each sends only to its own leaders.
    `leader` (channel, external id) takes only that leader's: the terminal chat shows
    its own leader's check-ins and must not take anyone else's from a shared database.
    """
    stale_checkin = (
        and_(ConversationRow.flow == "checkin", ConversationRow.updated_at < now - silence)
        if silence is not None
        else false()
    )
    query = (
        select(CheckinRow, LeaderRow, stale_checkin)
        .join(LeaderRow, LeaderRow.id == CheckinRow.user_id)
        .outerjoin(ConversationRow, ConversationRow.user_id == CheckinRow.user_id)
        .where(
            CheckinRow.due_at <= now,
            LeaderRow.active.is_(True),
            LeaderRow.paused.is_(False),
            LeaderRow.revoked_at.is_(None),
            or_(
                and_(
                    _waiting(CheckinRow, now),
                    or_(ConversationRow.flow == "idle", ConversationRow.user_id.is_(None), stale_checkin),
                ),
                # Already in the conversation: wherever the leader is now, the service
                # decides whether the question is still worth sending.
                _unconfirmed(CheckinRow, now),
            ),
        )
        .order_by(CheckinRow.due_at)
        .limit(limit)
        .with_for_update(of=CheckinRow, skip_locked=True)
    )
    if channel is not None:
        query = query.where(LeaderRow.channel == channel)
    if leader is not None:
        query = query.where(LeaderRow.channel == leader[0], LeaderRow.external_id == leader[1])
    claimed: list[Claimed] = []
    users: set[int] = set()
    for checkin, user, takes_over in session.execute(query).all():
        if user.id in users:
            # One at a time per leader: the first puts them into a check-in, so a second
            # would only be found busy and pushed back. Left pending with its due time,
            # it follows when this one ends (`due_for_leader`).
            continue
        users.add(user.id)
        resend = checkin.status == "delivering"
        if resend:
            checkin.retry_at = now + lease
        else:
            checkin.status = "claimed"
        checkin.claimed_at = now
        checkin.claimed_by = worker
        checkin.attempts += 1
        claimed.append(
            Claimed(
                checkin.id,
                user.id,
                user.external_id,
                user.channel,
                user.timezone,
                checkin.due_at,
                resend=resend,
                takes_over=bool(takes_over) and not resend,
            )
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


def mark_delivering(session: Session, checkin_id: int, now: datetime, worker: str, lease: timedelta) -> bool:
    """In the leader's conversation, about to be sent: if unconfirmed by `now + lease`, sent again.

    False if this worker no longer holds the claim (its lease ran out, another took over).
    """
    result = session.execute(
        update(CheckinRow)
        .where(
            CheckinRow.id == checkin_id,
            CheckinRow.status.in_(("claimed", "delivering")),
            CheckinRow.claimed_by == worker,
        )
        .values(status="delivering", retry_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def confirm(session: Session, checkin_id: int, now: datetime) -> bool:
    """Telegram took the message (or the leader answered it): `sent`, never to be sent again."""
    result = session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.status == "delivering")
        .values(status="sent", sent_at=now, retry_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def send_failed(session: Session, checkin_id: int, now: datetime, worker: str) -> str | None:
    """A send that failed after its retries: try again after a pause, or give up.

    Returns the new status (`delivering` or `failed`), or None if the row was not this
    worker's to change (confirmed, cancelled, or taken over meanwhile).
    """
    row = session.execute(
        select(CheckinRow)
        .where(
            CheckinRow.id == checkin_id,
            CheckinRow.status == "delivering",
            CheckinRow.claimed_by == worker,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.attempts > len(RETRY_PAUSES):
        row.status = "failed"
        row.retry_at = None
    else:
        row.retry_at = now + RETRY_PAUSES[max(row.attempts, 1) - 1]
    row.claimed_by = None
    return row.status


def lapse(session: Session, checkin_id: int) -> None:
    """A check-in another one took over from before it was answered: never sent again."""
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.status.in_(UNSENT_STATUSES))
        .values(status="expired", retry_at=None)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, checkin_id: int, due_at: datetime) -> None:
    """Back to pending, for later: the leader is busy in another flow or in quiet hours.

    Only a row still claimed or delivering: one another worker took over and sent
    meanwhile must not become pending (and be sent) again.
    """
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.status.in_(("claimed", "delivering")))
        .values(status="pending", due_at=due_at, claimed_at=None, claimed_by=None, retry_at=None)
        .execution_options(synchronize_session=False)
    )


def cancel_pending(session: Session, user_id: int) -> int:
    result = session.execute(
        update(CheckinRow)
        .where(CheckinRow.user_id == user_id, CheckinRow.status.in_(UNSENT_STATUSES))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def cancel_one(session: Session, checkin_id: int) -> None:
    """A check-in that can no longer be delivered (the goal or leader is gone)."""
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.status.in_(UNSENT_STATUSES))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )


def count_by_status(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(CheckinRow.status, func.count()).group_by(CheckinRow.status)).all()
    return {status: int(count) for status, count in rows}
