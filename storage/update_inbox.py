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

from sqlalchemy import Interval, bindparam, delete, func, select, update
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


def _chat(table: Any, channel: Any, external_id: Any) -> tuple[Any, Any]:
    return table.c.channel == channel, table.c.external_id == external_id


# The statements every update runs are built once, with the chat as parameters: building
# one costs about as much CPU as running it (bench/README.md, "Figures behind the code").
_CHANNEL, _EXTERNAL_ID, _WORKER = bindparam("p_channel"), bindparam("p_external_id"), bindparam("p_worker")
_UNTIL = func.clock_timestamp() + bindparam("p_lease", type_=Interval())
_STORE = (
    insert(INBOX)
    .values(
        update_id=bindparam("p_update_id"),
        channel=_CHANNEL,
        external_id=_EXTERNAL_ID,
        payload=bindparam("p_payload", type_=INBOX.c.payload.type),
        received_at=func.clock_timestamp(),
    )
    .on_conflict_do_nothing(index_elements=["update_id"])
)
_HELD = (
    select(TURNS.c.owner, (TURNS.c.until < func.clock_timestamp()).label("stale"))
    .where(*_chat(TURNS, _CHANNEL, _EXTERNAL_ID))
    .with_for_update()
)
_OWNER = select(TURNS.c.owner).where(*_chat(TURNS, _CHANNEL, _EXTERNAL_ID)).with_for_update()
_TAKE = update(TURNS).where(*_chat(TURNS, _CHANNEL, _EXTERNAL_ID)).values(owner=_WORKER, until=_UNTIL)
_RENEW = update(TURNS).where(*_chat(TURNS, _CHANNEL, _EXTERNAL_ID)).values(until=_UNTIL)
_NEW_TURN = (
    insert(TURNS)
    .values(channel=_CHANNEL, external_id=_EXTERNAL_ID, owner=_WORKER, until=_UNTIL)
    .on_conflict_do_nothing(index_elements=["channel", "external_id"])
    .returning(TURNS.c.owner)
)
_RELEASE = delete(TURNS).where(*_chat(TURNS, _CHANNEL, _EXTERNAL_ID))
_HANDLED = delete(INBOX).where(
    INBOX.c.update_id.in_(bindparam("p_update_ids", expanding=True)), *_chat(INBOX, _CHANNEL, _EXTERNAL_ID)
)
_PENDING = (
    select(INBOX.c.update_id, INBOX.c.payload)
    .where(*_chat(INBOX, _CHANNEL, _EXTERNAL_ID))
    .order_by(INBOX.c.update_id)
    .limit(BATCH)
)


def _params(channel: str, external_id: str, **more: Any) -> dict[str, Any]:
    return {"p_channel": channel, "p_external_id": external_id, **{f"p_{k}": v for k, v in more.items()}}


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
    session.execute(_STORE, _params(channel, external_id, update_id=update_id, payload=payload))
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
    chat = _params(channel, external_id)
    taking = _params(channel, external_id, worker=worker, lease=lease)
    for _ in range(2):
        held = session.execute(_HELD, chat).first()
        if held is not None:
            if not held.stale:
                return False
            session.execute(_TAKE, taking)
            return True
        inserted = session.execute(_NEW_TURN, taking).first()
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
    owner = session.scalar(_OWNER, _params(channel, external_id))
    session.execute(_HANDLED, _params(channel, external_id, update_ids=list(update_ids)))
    if owner != worker:
        return []
    following = _pending_or_release(session, channel, external_id)
    if following:
        session.execute(_RENEW, _params(channel, external_id, lease=lease))
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
        session.execute(_TAKE, _params(channel, external_id, worker=worker, lease=lease))
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
    chat = _params(channel, external_id)
    rows = session.execute(_PENDING, chat).all()
    if not rows:
        session.execute(_RELEASE, chat)
    return [Pending(int(row.update_id), row.payload) for row in rows]
