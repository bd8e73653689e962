"""The one path every front end takes: load the leader, run the engine, commit, then reply.

The transaction commits before `handle` returns, so a reply is only ever sent for an
answer that is already stored; a crash in between loses nothing the leader typed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from flows.engine import CoachEngine
from flows.events import Event, Reply
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.leader import LeaderRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The database could not be reached; nothing was written."""


@dataclass(frozen=True)
class Handled:
    replies: list[Reply]
    user_id: int
    duplicate: bool = False
    deferred: bool = False
    delivered: bool = False


class CoachService:
    def __init__(self, db: Database, engine: CoachEngine) -> None:
        self.db = db
        self.engine = engine

    def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        try:
            with self.db.session() as session:
                users = UserRepository(session)
                user = users.get_or_create(channel, external_id)
                if update_id is not None and users.seen_update(user.id, update_id):
                    return Handled([], user.id, duplicate=True)
                if not user.active:
                    # Writing again after blocking the bot means they want it back.
                    users.set_active(user.id, True)
                return self._run(session, user.id, event)
        except OperationalError as error:
            log.warning("database unavailable: %s", type(error).__name__)
            raise StoreUnavailable from error

    def handle_timer(self, user_id: int, event: Event) -> Handled:
        """A check-in falling due for a known leader; the caller marks the row afterwards."""
        try:
            with self.db.session() as session:
                return self._run(session, user_id, event)
        except SQLAlchemyError as error:
            raise StoreUnavailable from error

    def _run(self, session: Session, user_id: int, event: Event) -> Handled:
        conversations = ConversationRepository(session)
        conversation = conversations.load(user_id)
        leader = LeaderRepository(session, user_id)
        outcome = self.engine.handle(conversation, event, leader)
        leader.apply(outcome.records, event.now)
        conversations.save(user_id, conversation)
        return Handled(
            outcome.replies, user_id, deferred=outcome.deferred, delivered=outcome.delivered
        )

    def set_active(self, channel: str, external_id: str, active: bool) -> None:
        with self.db.session() as session:
            users = UserRepository(session)
            user = users.get_or_create(channel, external_id)
            users.set_active(user.id, active)
