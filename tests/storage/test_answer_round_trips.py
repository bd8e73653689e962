"""What one ordinary answer costs the database, and what taking its checkpoints off the
answer's path leaves in the file.

Round trips, not time: speed is the benchmarks' (bench/telegram_load.py); here, that an
answer in the middle of a GROW session still goes through in one locked read and three
writes, and that what it wrote is stored.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from storage.db import Database
from storage.models import AnswerRow, ConversationRow, SeenUpdateRow
from tests.support.checkins import CHANNEL, ONBOARDING, say

FEEDBACK_KEY = b"k" * 32
GOAL = "stop avoiding difficult conversations with my team"


def statements_of(db: Database, work: Any) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(" ".join(sql.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def test_an_answer_mid_session_is_one_locked_read_and_three_writes(database: Database) -> None:
    # With a feedback key, as the SQLite bot runs: no feedback query for a leader's answer.
    service = CoachService(database, CoachEngine(), feedback_key=FEEDBACK_KEY)
    for message in (*ONBOARDING, "UTC", GOAL, "my team tells me issues get raised early", "by March"):
        say(service, 700, message)
    answer = "last week I skipped telling Sam his report was late"

    def reality() -> None:
        handled = service.handle(CHANNEL, "700", Event.message(answer), update_id=9001)
        assert handled.replies and not handled.duplicate

    statements = [s for s in statements_of(database, reality) if not s.startswith("BEGIN")]
    # The leader (locked) and their position in one query; then the update id, the
    # answer and the new position.
    assert [" ".join(s.split()[:3]) for s in statements] == [
        "SELECT users.id, users.name,",
        "INSERT INTO seen_updates",
        "INSERT INTO answers",
        "UPDATE conversations SET",
    ]
    assert "JOIN conversations" in statements[0] and "feedback_responses" not in statements[0]
    with database.session() as session:
        user_id = session.scalar(select(ConversationRow.user_id).order_by(ConversationRow.user_id.desc()))
        stored = session.scalars(select(AnswerRow.text).where(AnswerRow.user_id == user_id)).all()
        seen = session.scalars(select(SeenUpdateRow.update_id).where(SeenUpdateRow.user_id == user_id)).all()
    assert stored[-1] == answer
    assert list(seen) == [9001]
    # The same update again is a duplicate: nothing more is stored.
    again = service.handle(CHANNEL, "700", Event.message(answer), update_id=9001)
    assert again.duplicate and not again.replies


def test_checkpoints_on_their_own_thread_empty_the_write_ahead_log(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    database.checkpoint_in_background(every=0.05)
    service = CoachService(database, CoachEngine())
    for message in (*ONBOARDING, "UTC"):
        say(service, 702, message)
    path = database.url.database
    assert path
    with database.engine.connect() as connection:
        # The commits' own threshold is raised: checkpoints are the thread's job.
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
    deadline = time.monotonic() + 10
    while True:
        # (busy, frames in the log, frames checkpointed): all copied into the file.
        with closing(sqlite3.connect(path)) as reader:
            _, logged, copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if logged == copied or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert logged == copied
    database.dispose()
    # What the leader said is in the database file itself, read without the log.
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as reader:
        assert reader.execute("SELECT count(*) FROM users").fetchone() == (1,)
