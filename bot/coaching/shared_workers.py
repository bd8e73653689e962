"""The service's side of several webhook workers on one PostgreSQL: the shared inbox and
the shared send pace (`[telegram] workers = "shared"`; README, "Scaling")."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.coaching.contract import InboxedUpdate, StoreUnavailable
from storage import send_pace, update_inbox
from storage.db import Database, why_unavailable

log = logging.getLogger(__name__)


def _inboxed(pending: list[update_inbox.Pending]) -> list[InboxedUpdate]:
    return [InboxedUpdate(row.update_id, row.payload) for row in pending]


class SharedWorkers:
    """Mixed into `CoachService`; each call is one transaction, committed before it returns."""

    db: Database

    def receive_update(
        self, channel: str, external_id: str, update_id: int, payload: dict[str, Any], worker: str
    ) -> list[InboxedUpdate]:
        try:
            with self.db.session() as session:
                pending = update_inbox.receive(session, channel, external_id, update_id, payload, worker)
                return _inboxed(pending)
        except OperationalError as error:
            log.warning("update %s not taken in: database unavailable: %s", update_id, why_unavailable(error))
            raise StoreUnavailable from error

    def finish_updates(
        self, channel: str, external_id: str, update_ids: list[int], worker: str
    ) -> list[InboxedUpdate]:
        try:
            with self.db.session() as session:
                return _inboxed(update_inbox.finish(session, channel, external_id, update_ids, worker))
        except OperationalError as error:
            log.warning(
                "updates %s not finished: database unavailable: %s", update_ids, why_unavailable(error)
            )
            raise StoreUnavailable from error

    def take_stale_turns(self, worker: str, limit: int) -> list[tuple[str, str, list[InboxedUpdate]]]:
        try:
            with self.db.session() as session:
                return [
                    (channel, external_id, _inboxed(rows))
                    for channel, external_id, rows in update_inbox.take_stale(session, worker, limit)
                ]
        except OperationalError as error:
            raise StoreUnavailable from error

    def take_send_slot(self, interval: timedelta) -> float:
        try:
            with self.db.session() as session:
                return send_pace.take_slot(session, interval)
        except OperationalError as error:
            raise StoreUnavailable from error
