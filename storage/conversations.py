"""Where each leader is in the conversation, saved between events."""

from __future__ import annotations

import copy

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.conversation import Conversation
from storage.models import ConversationRow, UserRow
from storage.users import profile_of
from storage.utc import utcnow


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, user_id: int, locked_user: UserRow | None = None) -> Conversation:
        """The user's position, locking the user until this transaction ends.

        Locking the users row (not the conversation row, which a new user lacks)
        makes two processes handling the same user take turns on PostgreSQL; on
        SQLite every transaction already holds the write lock (see storage.db). A
        caller that already holds that lock passes the row and saves a query.
        """
        user = locked_user or self.session.scalar(
            select(UserRow)
            .where(UserRow.id == user_id)
            .with_for_update()
            # Whatever this session read before waiting for the lock may be stale.
            .execution_options(populate_existing=True)
        )
        if user is None:
            raise LookupError(f"no user {user_id}")
        row = self.session.get(ConversationRow, user_id, populate_existing=True)
        conversation = Conversation(profile=profile_of(user))
        if row is not None:
            conversation.flow = row.flow
            conversation.state = row.state
            # A copy: the engine mutates `data` in place, and mutating the row's own
            # dict would hide the change from SQLAlchemy when it is saved back.
            conversation.data = copy.deepcopy(row.data)
            conversation.question_seq = row.question_seq
        return conversation

    def save(self, user_id: int, conversation: Conversation) -> None:
        """Store the position; the profile is not written here (ProfileUpdated is)."""
        now = utcnow()
        # `load` handed the engine a copy, so this dict is already distinct from the one
        # SQLAlchemy last stored and assigning it is seen as a change.
        data = conversation.data
        row = self.session.get(ConversationRow, user_id)
        if row is None:
            self.session.add(
                ConversationRow(
                    user_id=user_id,
                    flow=conversation.flow,
                    state=conversation.state,
                    data=data,
                    question_seq=conversation.question_seq,
                    updated_at=now,
                )
            )
            return
        row.flow = conversation.flow
        row.state = conversation.state
        row.data = data
        row.question_seq = conversation.question_seq
        row.updated_at = now
