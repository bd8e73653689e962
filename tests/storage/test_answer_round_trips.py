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
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.feedback import responder_id, start_draft
from storage.models import AnswerRow, ConversationRow, FeedbackRoundRow, SeenUpdateRow
from storage.utc import utcnow
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
    # With a feedback key, as the SQLite bot runs: the chat could also be a stakeholder's.
    service = CoachService(database, CoachEngine(), feedback_key=FEEDBACK_KEY)
    for message in (*ONBOARDING, "UTC", GOAL, "my team tells me issues get raised early", "by March"):
        say(service, 700, message)
    answer = "last week I skipped telling Sam his report was late"

    def reality() -> None:
        handled = service.handle(CHANNEL, "700", Event.message(answer), update_id=9001)
        assert handled.replies and not handled.duplicate

    statements = [s for s in statements_of(database, reality) if not s.startswith("BEGIN")]
    # The leader (locked), their position and whether the chat has feedback half given
    # in one query; then the update id, the answer and the new position.
    assert [" ".join(s.split()[:3]) for s in statements] == [
        "SELECT users.id, users.name,",
        "INSERT INTO seen_updates",
        "INSERT INTO answers",
        "UPDATE conversations SET",
    ]
    assert "JOIN conversations" in statements[0] and "feedback_responses" in statements[0]
    with database.session() as session:
        user_id = session.scalar(select(ConversationRow.user_id).order_by(ConversationRow.user_id.desc()))
        stored = session.scalars(select(AnswerRow.text).where(AnswerRow.user_id == user_id)).all()
        seen = session.scalars(select(SeenUpdateRow.update_id).where(SeenUpdateRow.user_id == user_id)).all()
    assert stored[-1] == answer
    assert list(seen) == [9001]
    # The same update again is a duplicate: nothing more is stored.
    again = service.handle(CHANNEL, "700", Event.message(answer), update_id=9001)
    assert again.duplicate and not again.replies


def test_the_one_query_sees_a_feedback_draft_of_the_same_chat(database: Database) -> None:
    # The one-query path must not swallow an answer meant for a feedback draft: covered
    # end to end in test_stakeholder_feedback; here, that a draft is seen by the query.
    service = CoachService(database, CoachEngine(), feedback_key=FEEDBACK_KEY)
    for message in (*ONBOARDING, "UTC"):
        say(service, 701, message)
    responder = responder_id(FEEDBACK_KEY, CHANNEL, "701")
    with database.session() as session:
        before = ConversationRepository(session).find_locked(CHANNEL, "701", responder)
        assert before is not None and before.feedback_draft is False
        user_id = session.scalar(select(ConversationRow.user_id).order_by(ConversationRow.user_id.desc()))
        assert user_id is not None
    with database.session() as session:
        round_row = FeedbackRoundRow(
            user_id=user_id,
            number=1,
            behaviour="listening",
            code_hash="x" * 64,
            expires_at=utcnow() + timedelta(days=7),
        )
        session.add(round_row)
        session.flush()
        start_draft(session, round_row.id, responder, "rating")
    with database.session() as session:
        found = ConversationRepository(session).find_locked(CHANNEL, "701", responder)
        assert found is not None and found.feedback_draft is True
        assert found.position is not None and found.position[:2] == ("grow", "goal")


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
