"""Per-chat order and exactly-once across several webhook workers, decided by PostgreSQL.

With `[telegram] workers = "shared"`, N `grow-coach run` processes sit behind one load
balancer. Telegram posts a chat's next update only once the previous one was answered
2xx, so whichever worker got it, the order updates are *committed here* is the chat's
order. A worker therefore commits each update to `update_inbox` before it answers, and
in the same transaction tries to take the chat's turn (`leader_turns`). Whoever holds
the turn handles that chat's rows one at a time, lowest update id first (handed out in
batches of up to `BATCH`), and deletes them once handled; each answer commits with its
update id in `seen_updates` (storage.leaders), so a row handled twice (after a
takeover) is applied once.

The turn is a lease, renewed with every batch: a worker killed mid-way loses it after
`TURN_LEASE`, and another takes the chat over (`take_stale`). Giving the turn back and
taking it both lock the turn row first, so an update committed while the holder is
finishing is either seen by the holder or finds the turn free: none is left behind.

PostgreSQL only (the time is the database's `clock_timestamp()`, the same for every
worker); SQLite has one process and keeps the in-process order of bot/telegram/ordering.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from storage.models import LeaderTurnRow, UpdateInboxRow

INBOX = UpdateInboxRow.__table__
TURNS = LeaderTurnRow.__table__

# Long enough for one batch's handling and replies (with their retries); short enough
# that a killed worker's leaders wait only seconds for another to take over.
TURN_LEASE = timedelta(seconds=10)
# Rows handed out at once: a leader with a backlog costs one `finish` per batch, not per
# update, and the lease is renewed with each batch.
BATCH = 8


class Pending(NamedTuple):
    update_id: int
    payload: dict[str, Any]


def _now() -> Any:
    return func.clock_timestamp()


def _chat(table: Any, channel: str, external_id: str) -> tuple[Any, Any]:
    return table.c.channel == channel, table.c.external_id == external_id


def receive(
    session: Session,
    channel: str,
    external_id: str,
    update_id: int,
    payload: dict[str, Any],
    worker: str,
    lease: timedelta = TURN_LEASE,
) -> list[Pending]:
    """Store the update; if `worker` now holds the chat's turn, the chat's first pending rows.

    Empty: someone else holds the turn and will come to this row in order. An update
    received twice (Telegram redelivering) is stored once.
    """
    session.execute(
        insert(INBOX)
        .values(
            update_id=update_id,
            channel=channel,
            external_id=external_id,
            payload=payload,
            received_at=_now(),
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    if not take_turn(session, channel, external_id, worker, lease):
        return []
    return _pending_or_release(session, channel, external_id)


def take_turn(
    session: Session, channel: str, external_id: str, worker: str, lease: timedelta = TURN_LEASE
) -> bool:
    """True if `worker` took the chat's turn: nobody held it, or the holder's lease ran out.

    False also when `worker` holds it already: its drain is under way and comes to
    every row committed before it gives the turn back.
    """
    for _ in range(2):
        held = session.execute(
            select(TURNS.c.owner, (TURNS.c.until < _now()).label("stale"))
            .where(*_chat(TURNS, channel, external_id))
            .with_for_update()
        ).first()
        if held is not None:
            if not held.stale:
                return False
            session.execute(
                update(TURNS)
                .where(*_chat(TURNS, channel, external_id))
                .values(owner=worker, until=_now() + lease)
            )
            return True
        inserted = session.execute(
            insert(TURNS)
            .values(channel=channel, external_id=external_id, owner=worker, until=_now() + lease)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(TURNS.c.owner)
        ).first()
        if inserted is not None:
            return True
        # Another worker inserted the turn meanwhile: look at it (locked) once more.
    return False


def finish(
    session: Session,
    channel: str,
    external_id: str,
    update_ids: Sequence[int],
    worker: str,
    lease: timedelta = TURN_LEASE,
) -> list[Pending]:
    """`update_ids` are handled: delete them; the chat's next rows, or none once the turn is
    given back.

    None too when `worker` lost the turn (its lease ran out and another took over): the
    new holder goes on from the first pending row.
    """
    owner = session.scalar(select(TURNS.c.owner).where(*_chat(TURNS, channel, external_id)).with_for_update())
    session.execute(
        delete(INBOX).where(INBOX.c.update_id.in_(list(update_ids)), *_chat(INBOX, channel, external_id))
    )
    if owner != worker:
        return []
    following = _pending_or_release(session, channel, external_id)
    if following:
        session.execute(update(TURNS).where(*_chat(TURNS, channel, external_id)).values(until=_now() + lease))
    return following


def take_stale(
    session: Session, worker: str, limit: int, lease: timedelta = TURN_LEASE
) -> list[tuple[str, str, list[Pending]]]:
    """Chats whose turn-holder stopped (lease over), taken over by `worker`, with their first rows.

    Also chats with rows and no turn at all, which only a bug or a hand-edited database
    leaves, once their oldest row is two leases old. SKIP LOCKED: two workers sweeping at
    once share the stale chats instead of queueing on each other.
    """
    stale = session.execute(
        select(TURNS.c.channel, TURNS.c.external_id)
        .where(TURNS.c.until < _now())
        .order_by(TURNS.c.until)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    taken: list[tuple[str, str, list[Pending]]] = []
    for channel, external_id in stale:
        session.execute(
            update(TURNS)
            .where(*_chat(TURNS, channel, external_id))
            .values(owner=worker, until=_now() + lease)
        )
        rows = _pending_or_release(session, channel, external_id)
        if rows:
            taken.append((channel, external_id, rows))
    orphans = session.execute(
        select(INBOX.c.channel, INBOX.c.external_id)
        .where(
            INBOX.c.received_at < _now() - 2 * lease,
            ~select(TURNS.c.owner).where(*_chat(TURNS, INBOX.c.channel, INBOX.c.external_id)).exists(),
        )
        .group_by(INBOX.c.channel, INBOX.c.external_id)
        .limit(max(0, limit - len(taken)))
    ).all()
    for channel, external_id in orphans:
        if take_turn(session, channel, external_id, worker, lease):
            rows = _pending_or_release(session, channel, external_id)
            if rows:
                taken.append((channel, external_id, rows))
    return taken


def _pending_or_release(session: Session, channel: str, external_id: str) -> list[Pending]:
    """The chat's lowest pending rows; with none, the turn row goes (no chat id outlives its updates)."""
    rows = session.execute(
        select(INBOX.c.update_id, INBOX.c.payload)
        .where(*_chat(INBOX, channel, external_id))
        .order_by(INBOX.c.update_id)
        .limit(BATCH)
    ).all()
    if not rows:
        session.execute(delete(TURNS).where(*_chat(TURNS, channel, external_id)))
    return [Pending(int(row.update_id), row.payload) for row in rows]
