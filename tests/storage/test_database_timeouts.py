"""The database's own limits (storage/db.py `Timeouts`): a wait for a lock ends, and says so."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from bot.coaching.contract import StoreUnavailable
from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from flows.settings import CoachSettings
from storage.db import Database, Timeouts, why_unavailable
from storage.models import LeaderRow

SHORT = Timeouts(connect=timedelta(seconds=3), lock=timedelta(seconds=1), statement=timedelta(seconds=2))


@pytest.fixture
def timed(database_url: str) -> Iterator[Database]:
    db = Database(database_url, SHORT)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()


def test_postgresql_connections_carry_the_timeouts_and_keep_the_urls_options(timed: Database) -> None:
    if timed.dialect != "postgresql":
        pytest.skip("SQLite has its own busy timeout")
    with timed.session() as session:
        shown = {
            name: session.execute(text(f"SHOW {name}")).scalar_one()
            for name in ("lock_timeout", "statement_timeout", "search_path")
        }
        # The client's own settings (libpq's), which the server cannot show.
        client = session.connection().connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
    assert (shown["lock_timeout"], shown["statement_timeout"]) == ("1s", "2s")
    # The test URL's own options (its schema) still apply: theirs are added to ours.
    assert shown["search_path"].startswith("test_")
    assert (client["keepalives"], client["keepalives_idle"], client["connect_timeout"]) == ("1", "30", "3")


def test_a_leader_whose_row_is_locked_elsewhere_is_told_to_try_again(
    timed: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = CoachService(timed, CoachEngine(CoachSettings(quiet_hours=None)))
    service.handle("telegram", "901", Event.command("start"))
    holder = Database(database_url)
    try:
        with holder.session() as session:
            if holder.dialect == "sqlite":
                session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock
            else:
                session.scalar(select(LeaderRow).where(LeaderRow.external_id == "901").with_for_update())
            with pytest.raises(StoreUnavailable):
                service.handle("telegram", "901", Event.message("yes"), update_id=7)
    finally:
        holder.dispose()
    warning = caplog.records[-1]
    assert warning.levelname == "WARNING"
    assert warning.getMessage().startswith("user=901 (update 7) database unavailable: waited past ")
    # The lock gone, the same answer goes through.
    assert service.handle("telegram", "901", Event.message("yes")).replies


def test_why_unavailable_names_the_wait_or_the_drivers_reason_never_the_statement() -> None:
    locked = sqlite3.OperationalError("database is locked")
    error = OperationalError("UPDATE users SET name = 'my secret'", {}, locked)
    assert why_unavailable(error) == "waited past SQLite's busy timeout for the write lock"
    readonly = sqlite3.OperationalError("attempt to write a readonly database")
    other = OperationalError("UPDATE users SET name = ?", {"name": "my secret"}, readonly)
    assert why_unavailable(other) == "OperationalError: attempt to write a readonly database"
