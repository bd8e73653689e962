"""`Coach.ping`, the health check's question to the database."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.coaching.contract import StoreUnavailable
from bot.coaching.local_coach import LocalCoach
from storage.db import Database
from tests.support.checkins import new_service


def test_ping_answers_on_a_working_database(database: Database) -> None:
    coach = LocalCoach(new_service(database))
    try:
        assert asyncio.run(coach.ping()) is None
    finally:
        asyncio.run(coach.close())


def test_ping_says_unavailable_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    gone = Database(f"sqlite:///{tmp_path / 'data' / 'grow-coach.db'}")
    # The directory removed before the first connection: SQLite cannot open the file.
    shutil.rmtree(tmp_path / "data")
    try:
        with pytest.raises(StoreUnavailable):
            new_service(gone).ping()
    finally:
        gone.dispose()
