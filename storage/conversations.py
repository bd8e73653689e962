"""Where each leader is in the conversation, saved between events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.orm import Session

from flows.conversation import Conversation
from storage.leaders import LeaderFields, LeaderRepository, LockedLeader, profile_of
from storage.models import ConversationRow, LeaderRow
from storage.utc import utcnow

# Plain table statements rather than the ORM's unit of work: this row is read and
# written on every message, and the ORM's bookkeeping around it was a large share of the
# bot's CPU per answer (figures: bench/README.md, "Figures behind the code").
CONVERSATIONS = ConversationRow.__table__
# Where a leader stands, as stored: (flow, state, data, question_seq).
POSITION = (CONVERSATIONS.c.flow, CONVERSATIONS.c.state, CONVERSATIONS.c.data, CONVERSATIONS.c.question_seq)
Position = tuple[str, str, dict[str, Any], int]


@dataclass(frozen=True)
class Found:
    """A leader found by chat, locked, with what handling their next event needs first."""

    leader: LockedLeader
    position: Position | None  # None: no conversation row yet


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_locked(self, channel: str, external_id: str) -> Found | None:
        """The leader, locked as `LeaderRepository.find(lock=True)` does, and their
        position: one query where an answer used to take two."""
        row = self.session.execute(_FIND_LOCKED, {"channel": channel, "external_id": external_id}).first()
        if row is None:
            return None
        *fields, flow, state, data, question_seq = row
        position = None if flow is None else (flow, state, data, question_seq)
        return Found(LockedLeader(*fields), position)

    def load(
        self, user_id: int, locked_leader: LeaderFields | None = None, *, found: Found | None = None
    ) -> Conversation:
        """The leader's position, locking the leader until this transaction ends.

        Locking the leader's row (not the conversation row, which a new leader lacks)
        makes two processes handling the same leader take turns on PostgreSQL; on
        SQLite every transaction already holds the write lock (see storage.db). A
        caller that already holds that lock passes the row and saves a query; one that
        read the position with it (`find_locked`) passes what it found and saves both.
        """
        if found is not None:
            leader: LeaderFields | None = found.leader
            position = found.position
        else:
            leader = locked_leader or LeaderRepository(self.session).locked(LeaderRow.id == user_id)
            row = self.session.execute(select(*POSITION).where(CONVERSATIONS.c.user_id == user_id)).first()
            position = None if row is None else tuple(row)  # type: ignore[assignment]
        if leader is None:
            raise LookupError(f"no leader {user_id}")
        conversation = Conversation(profile=profile_of(leader))
        if position is not None:
            # `data` is decoded from JSON afresh, so the engine may change it in place.
            conversation.flow, conversation.state, conversation.data, conversation.question_seq = position
        return conversation

    def save(self, user_id: int, conversation: Conversation) -> None:
        """Store the position; the profile is not written here (ProfileUpdated is)."""
        values = {
            "flow": conversation.flow,
            "state": conversation.state,
            "data": conversation.data,
            "question_seq": conversation.question_seq,
            "updated_at": utcnow(),
        }
        changed = self.session.execute(_UPDATE, {"leader": user_id, **values})
        # A new leader has no row yet, and /delete removed the old one.
        if not getattr(changed, "rowcount", 0):
            self.session.execute(insert(CONVERSATIONS).values(user_id=user_id, **values))


# The statements every answer runs are built once: building one cost about as much CPU
# as SQLite took to run it (bench/README.md, "Figures behind the code").
_UPDATE = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.user_id == bindparam("leader"))
    .values(
        {
            column: bindparam(column, type_=CONVERSATIONS.c[column].type)
            for column in ("flow", "state", "data", "question_seq", "updated_at")
        }
    )
)


def _find_locked() -> Select[Any]:
    leaders = LeaderRow.__table__
    # Columns, not the mapped class: the ORM's loading was a sixth of an answer's CPU.
    fields = (leaders.c[name] for name in LockedLeader.__dataclass_fields__)
    return (
        select(*fields, *POSITION)
        .outerjoin(CONVERSATIONS, CONVERSATIONS.c.user_id == leaders.c.id)
        .where(leaders.c.channel == bindparam("channel"), leaders.c.external_id == bindparam("external_id"))
        .with_for_update(of=leaders)
    )


_FIND_LOCKED = _find_locked()
