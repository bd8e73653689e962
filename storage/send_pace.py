"""One pace for proactive messages (check-ins) across every worker, kept in PostgreSQL.

Telegram allows a bot about 30 messages a second that nobody asked for, whatever number
of processes send them. Each worker asks here before each such message: the row holds
the earliest moment the next one may go (a generic cell rate algorithm: one message
every `interval`, and a sender that comes back a little late may use the slot it
missed, at most one interval of them). The row is locked for the few microseconds of
the decision, so two workers never get the same slot. The time is the database's.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from storage.models import SendPaceRow
from storage.upsert import insert_ignoring

PACE = SendPaceRow.__table__
CHECKINS = "checkins"

# Built once: every check-in a shared worker sends takes a slot, and building a statement
# costs about as much CPU as running it (bench/README.md, "Figures behind the code").
_SLOT = (
    select(PACE.c.next_at, func.clock_timestamp().label("now"))
    .where(PACE.c.name == bindparam("p_name"))
    .with_for_update()
)
_NEXT = (
    update(PACE)
    .where(PACE.c.name == bindparam("p_name"))
    .values(next_at=bindparam("p_next_at", type_=PACE.c.next_at.type))
)


def take_slot(session: Session, interval: timedelta, name: str = CHECKINS) -> float:
    """0.0 when a message may go now (its slot is taken); else the seconds to wait first."""
    for _ in range(2):
        row = session.execute(_SLOT, {"p_name": name}).first()
        if row is not None:
            break
        insert_ignoring(session, PACE, ["name"], name=name, next_at=func.clock_timestamp())
    else:
        raise AssertionError("send_pace row neither found nor inserted")
    next_at, now = row.next_at, row.now
    if next_at > now:
        return (next_at - now).total_seconds()
    session.execute(_NEXT, {"p_name": name, "p_next_at": max(next_at, now - interval) + interval})
    return 0.0
