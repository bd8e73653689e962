"""Set-up for the migration tests: a database stopped at an older revision, with a leader
stored the way that revision kept them, part-way through a GROW session.

The rows are written with plain SQL (the models describe the newest schema, not the old
one); the test then runs `Database.upgrade()` and checks the leader carries on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from alembic import command
from sqlalchemy import Connection, text

from bot.coaching.contract import Handled
from bot.coaching.service import CoachService
from flows.events import Event
from storage.db import Database, alembic_config
from tests.support.coach_driver import GROW_PATH

# The goal of the leader seeded mid-session ("ann", a terminal leader, users.id 1).
MID_SESSION_GOAL = "be a better leader — stop avoiding difficult conversations with my team"


def at_revision(db: Database, revision: str) -> None:
    """Bring a new database up to `revision` only, as an older release left it."""
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


@contextmanager
def database_at(database_url: str, revision: str) -> Iterator[Database]:
    """A database at `url` brought up to `revision` only, disposed of on the way out."""
    db = Database(database_url)
    try:
        at_revision(db, revision)
        yield db
    finally:
        db.dispose()


def insert_bare_leader(connection: Connection, external_id: str, stamp: str) -> None:
    """users.id 1, a terminal leader with only the columns every revision has."""
    connection.execute(
        text(
            "INSERT INTO users (id, channel, external_id, active, paused, created_at, updated_at)"
            " VALUES (1, 'terminal', :external_id, :yes, :no, :t, :t)"
        ),
        {"external_id": external_id, "t": stamp, "yes": True, "no": False},
    )


def seed_leader_mid_session(db: Database, now: datetime, *, goal_status: str, goal_version: bool) -> None:
    """Ann, a first-time manager, with her goal sharpened and asked how she would know.

    `goal_status` is what that revision stored for a goal with no action agreed yet;
    `goal_version` whether its goals table has the version column (0002 added it).
    """
    stamp = now.isoformat()
    position = {
        "session_id": "s1",
        "seed": 3,
        "goal_id": "g1",
        "vars": {"goal": MID_SESSION_GOAL},
        "opened": True,
        "answers": {"goal": "be a better leader", "goal_concrete": GROW_PATH[1][1]},
        "options": [],
    }
    version_column, version_value = (", version", ", 1") if goal_version else ("", "")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, channel, external_id, name, level, timezone, consented_at,"
                " active, paused, created_at, updated_at)"
                " VALUES (1, 'terminal', 'ann', 'Ann', 'first_time', 'UTC', :t, :yes, :no, :t, :t)"
            ),
            {"t": stamp, "yes": True, "no": False},
        )
        connection.execute(
            text(
                f"INSERT INTO goals (id, user_id, text, status{version_column}, created_at, updated_at)"
                f" VALUES ('g1', 1, :goal, :status{version_value}, :t, :t)"
            ),
            {"goal": MID_SESSION_GOAL, "status": goal_status, "t": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO coaching_sessions (id, user_id, goal_id, kind, started_at)"
                " VALUES ('s1', 1, 'g1', 'grow', :t)"
            ),
            {"t": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (user_id, flow, state, data, question_seq, updated_at)"
                " VALUES (1, 'grow', 'goal_measure', :data, 8, :t)"
            ),
            {"data": json.dumps(position), "t": stamp},
        )


def finish_session(service: CoachService, now: datetime | None = None) -> Handled:
    """Ann answers the rest of GROW_PATH from where she was, committing 9/10: the recap."""
    at = [state for state, _ in GROW_PATH].index("goal_measure")
    handled = None
    for state, answer in GROW_PATH[at:]:
        handled = service.handle(
            "terminal", "ann", Event.message("9" if state == "will_commitment" else answer, now)
        )
        if state == "will_commitment":
            break
    assert handled is not None
    return handled
