"""A check-in planned by /rescore, end to end through storage: the engine's records stored
by the real service, then the check-in timer read back from the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.leader_history import LeaderHistory
from storage.models import CheckinRow
from tests.support.coach_driver import path_for


def test_a_check_in_planned_by_rescore_names_the_action(database: Database) -> None:
    service = CoachService(database, CoachEngine())
    # Level 2 is "experienced": the open style's steps.
    path = [answer for state, answer in path_for("open") if state != "goal_concrete"]
    path[0] = "stop avoiding difficult conversations with my team"
    handled = None
    for message in ["hi", "yes", "Ann", "2", "UTC", *path, "/rescore", "1", "9"]:
        event = Event.command(message) if message.startswith("/") else Event.message(message)
        handled = service.handle("terminal", "ann", event)
    assert handled is not None
    assert "9/10" in handled.replies[-1].text
    with database.session() as session:
        checkin_id = session.scalars(select(CheckinRow.id).order_by(CheckinRow.due_at)).first()
        assert checkin_id is not None
        conversation = ConversationRepository(session).load(handled.user_id)
        outcome = service.engine.handle(
            conversation, Event.timer("checkin", checkin_id), LeaderHistory(session, handled.user_id)
        )
    assert outcome.delivered
    assert "talk to Sam about deadlines" in outcome.replies[-1].text
