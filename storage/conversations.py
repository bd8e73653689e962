"""Where each leader is in the conversation, saved between events."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from flows.conversation import Conversation
from storage.leaders import LeaderRepository, profile_of
from storage.models import ConversationRow, LeaderRow
from storage.utc import utcnow

# Plain table statements rather than the ORM's unit of work: this row is read and
# written on every message, and the ORM's bookkeeping around it was a large share of the
# bot's CPU per answer (figures: bench/README.md, "Figures behind the code").
CONVERSATIONS = ConversationRow.__table__


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, user_id: int, locked_leader: LeaderRow | None = None) -> Conversation:
        """The leader's position, locking the leader until this transaction ends.

        Locking the leader's row (not the conversation row, which a new leader lacks)
        makes two processes handling the same leader take turns on PostgreSQL; on
        SQLite every transaction already holds the write lock (see storage.db). A
        caller that already holds that lock passes the row and saves a query.
        """
        leader = locked_leader or LeaderRepository(self.session).locked(LeaderRow.id == user_id)
        if leader is None:
            raise LookupError(f"no leader {user_id}")
        row = self.session.execute(
            select(
                CONVERSATIONS.c.flow,
                CONVERSATIONS.c.state,
                CONVERSATIONS.c.data,
                CONVERSATIONS.c.question_seq,
            ).where(CONVERSATIONS.c.user_id == user_id)
        ).first()
        conversation = Conversation(profile=profile_of(leader))
        if row is not None:
            # `data` is decoded from JSON afresh, so the engine may change it in place.
            conversation.flow, conversation.state, conversation.data, conversation.question_seq = row
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
        changed = self.session.execute(
            update(CONVERSATIONS).where(CONVERSATIONS.c.user_id == user_id).values(**values)
        )
        # A new leader has no row yet, and /delete removed the old one.
        if not getattr(changed, "rowcount", 0):
            self.session.execute(insert(CONVERSATIONS).values(user_id=user_id, **values))
