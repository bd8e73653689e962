"""/delete and /export against every table of the schema, through the real service.

The tables are read from `Base.metadata`, not listed here: a table someone adds later is
scanned too, and `test_every_table_is_erased_or_declared_leader_free` fails until
storage.leader_rows knows how it relates to a leader.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Table, select

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event, Reply
from flows.records import SafetyFlagged
from storage.db import Database
from storage.invites import create_invite
from storage.leader_history import LeaderHistory
from storage.leader_rows import LEADER_FREE, leader_columns, leader_tables, rows_about, unaccounted_tables
from storage.models import Base, LeaderRow
from tests.support.coach_driver import path_for

TELEGRAM_ID = "583920174"
NAME = "Marguerite"
OTHER_ID = "771200345"
# Answers as leaders type them, each distinctive enough to be searched for afterwards.
GOAL = "stop rescuing Priya's launch plan every Thursday"
REALITY = "last sprint I rewrote her deck at 11pm without asking"


def _path(goal: str, reality: str) -> list[str]:
    """The GROW path, committed enough (8/10) that check-ins are planned."""
    mine = {"goal": goal, "reality_now": reality, "will_commitment": "8"}
    skipped = ("goal_concrete", "will_raise", "will_low_next")
    # Level 2 below is an experienced manager: the open style's questions.
    return [mine.get(state, answer) for state, answer in path_for("open") if state not in skipped]


def _talk(service: CoachService, who: str, messages: list[str], first_update: int) -> Reply:
    replies: list[Reply] = []
    for number, message in enumerate(messages):
        event = Event.command(message) if message.startswith("/") else Event.message(message)
        replies = service.handle("telegram", who, event, update_id=first_update + number).replies
    return replies[-1]


def _coached_leader(service: CoachService, who: str, name: str, first_update: int) -> int:
    if who == TELEGRAM_ID:
        path = _path(GOAL, REALITY)
    else:
        path = _path("delegate the hiring loop to Omar", "I still sit in every interview")
    _talk(service, who, ["hi", "yes", name, "2", "Europe/Paris", *path], first_update)
    with service.db.session() as session:
        leader = session.scalar(select(LeaderRow).where(LeaderRow.external_id == who))
        assert leader is not None
        LeaderHistory(session, leader.id).apply([SafetyFlagged(category="crisis")], leader.created_at)
        return leader.id


def _erase(service: CoachService, who: str, first_update: int) -> list[Reply]:
    question = service.handle("telegram", who, Event.command("/delete"), update_id=first_update).replies[-1]
    assert question.question is not None and [c.value for c in question.choices] == ["erase", "keep"]
    pick = Event.pick("erase", question.question)
    return service.handle("telegram", who, pick, update_id=first_update + 1).replies


def _all_rows(database: Database) -> dict[str, list[dict[str, Any]]]:
    with database.session() as session:
        return {
            table.name: [dict(row) for row in session.execute(select(table)).mappings()]
            for table in Base.metadata.sorted_tables
        }


def _invited(database: Database, user_id: int) -> None:
    """Mark an invite as redeemed by the leader, as invite mode does on their first /start."""
    with database.session() as session:
        leader = session.get(LeaderRow, user_id)
        assert leader is not None
        invite = create_invite(session, leader.created_at, timedelta(days=7))
        invite.used_by_user_id, invite.used_at = user_id, leader.created_at


def test_every_table_is_erased_or_declared_leader_free() -> None:
    assert unaccounted_tables() == [], (
        "these tables are neither linked to users.id (so /delete and /export reach them) "
        "nor named in storage.leader_rows.LEADER_FREE with the reason they hold nothing "
        "about a leader"
    )
    for name, reason in LEADER_FREE.items():
        table = Base.metadata.tables[name]
        assert reason and not leader_columns(table), f"{name} refers to users: it is not leader-free"
    assert leader_tables()[0].name == "users"


def test_delete_leaves_nothing_that_identifies_the_leader(database: Database) -> None:
    service = CoachService(database, CoachEngine())
    gone = _coached_leader(service, TELEGRAM_ID, NAME, 1000)
    kept = _coached_leader(service, OTHER_ID, "Tobias", 5000)
    _invited(database, gone)
    _invited(database, kept)
    with database.session() as session:
        about_gone = rows_about(session, gone)
        about_kept = rows_about(session, kept)
    # The scan below is only worth something if the leader was really spread over the tables.
    holding = {name for name, rows in about_gone.items() if rows}
    for name in (
        "users",
        "goals",
        "coaching_sessions",
        "answers",
        "scores",
        "checkins",
        "conversations",
        "safety_flags",
        "invites",
    ):
        assert name in holding, name
    before = _all_rows(database)

    replies = _erase(service, TELEGRAM_ID, 1100)

    assert "erased" in replies[0].text.lower()
    after = _all_rows(database)
    words = (TELEGRAM_ID, NAME, GOAL, REALITY, "Priya", "rewrote her deck")
    for table in Base.metadata.sorted_tables:
        for row in after[table.name]:
            for column in leader_columns(table) or ([table.c.id] if table.name == "users" else []):
                assert row[column.name] != gone, f"{table.name} still refers to the erased leader"
            for value in row.values():
                assert not any(word in str(value) for word in words), f"{table.name}: {row}"
        # Everything else is untouched: the other leader, and any table nobody owns.
        expected = [row for row in before[table.name] if not _is_about(table, row, gone)]
        assert after[table.name] == expected, table.name
    with database.session() as session:
        assert rows_about(session, kept) == about_kept


def _is_about(table: Table, row: dict[str, Any], user_id: int) -> bool:
    if table.name == "users":
        return bool(row["id"] == user_id)
    return any(row[column.name] == user_id for column in leader_columns(table))


def test_after_delete_writing_again_starts_afresh(database: Database) -> None:
    service = CoachService(database, CoachEngine())
    gone = _coached_leader(service, TELEGRAM_ID, NAME, 1000)
    erase_question = service.handle("telegram", TELEGRAM_ID, Event.command("/delete"), update_id=1100)
    service.handle(
        "telegram", TELEGRAM_ID, Event.pick("erase", erase_question.replies[-1].question), update_id=1101
    )

    # Telegram redelivering the update that confirmed the erasure stores nothing.
    again = service.handle(
        "telegram", TELEGRAM_ID, Event.pick("erase", erase_question.replies[-1].question), update_id=1101
    )
    assert again.expired and "/start" in again.replies[0].text
    # So does an old button under an earlier message.
    assert service.handle("telegram", TELEGRAM_ID, Event.pick("2", 3), update_id=1102).expired
    assert all(not rows for rows in _all_rows(database).values())

    fresh = service.handle("telegram", TELEGRAM_ID, Event.message("hello again"), update_id=1103)
    assert fresh.replies and fresh.replies[-1].question is not None
    assert [c.value for c in fresh.replies[-1].choices] == ["yes", "no"]  # consent, as for anyone new
    with database.session() as session:
        export = LeaderHistory(session, fresh.user_id).export()
    assert export["profile"]["name"] is None and export["profile"]["consented_at"] is None
    assert export["goals"] == [] and export["safety_flags"] == []
    assert fresh.user_id != gone or export["stored_rows"]["answers"] == []
    # Dedupe still works for the new leader.
    assert service.handle("telegram", TELEGRAM_ID, Event.message("hello again"), update_id=1103).duplicate


def test_export_holds_every_row_about_the_leader(database: Database) -> None:
    service = CoachService(database, CoachEngine())
    ann = _coached_leader(service, TELEGRAM_ID, NAME, 1000)
    _coached_leader(service, OTHER_ID, "Tobias", 5000)
    _invited(database, ann)
    with database.session() as session:
        exported = LeaderHistory(session, ann).export()
    everything = _all_rows(database)
    stored = exported["stored_rows"]
    assert set(stored) == {table.name for table in leader_tables()}
    for table in leader_tables():
        mine = [row for row in everything[table.name] if _is_about(table, row, ann)]
        assert len(stored[table.name]) == len(mine), table.name
        assert [set(row) for row in stored[table.name]] == [set(row) for row in mine], table.name
    assert stored["users"][0]["external_id"] == TELEGRAM_ID
    answers = [row["text"] for row in stored["answers"]]
    assert GOAL in answers and REALITY in answers
    assert "Tobias" not in str(exported)


def test_sqlite_overwrites_what_delete_removes(tmp_path: Any) -> None:
    database = Database(f"sqlite:///{tmp_path}/coach.db")
    database.upgrade()
    service = CoachService(database, CoachEngine())
    _coached_leader(service, TELEGRAM_ID, NAME, 1000)
    _erase(service, TELEGRAM_ID, 1100)
    # The last connection to close checkpoints the write-ahead log into the file.
    database.dispose()
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert GOAL.encode() not in raw and REALITY.encode() not in raw and NAME.encode() not in raw
