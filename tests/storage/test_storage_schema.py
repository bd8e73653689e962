"""Migrations against the models, and what concurrent processes see of the database."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.conversations import ConversationRepository
from storage.db import Database, alembic_config
from storage.leaders import LeaderRepository
from storage.models import Base

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UPGRADE_SCRIPT = "import sys; from storage.db import Database; Database(sys.argv[1]).upgrade()"


def run_in_threads(count: int, target: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            target(index)
        except BaseException as error:  # reported to the test thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_migrations_have_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_migrations_create_what_the_models_describe(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_back(database: Database) -> None:
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    with database.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    database.upgrade()
    with database.session() as session:
        assert LeaderRepository(session).get_or_create("terminal", "me").id


def test_upgrade_keeps_each_leaders_last_update_and_their_answers(database: Database) -> None:
    """0003 moves users.last_update_id into seen_updates without touching anything else."""
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    if database.dialect == "sqlite":
        now = now.replace(tzinfo=None)
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
        connection.execute(
            text(
                "INSERT INTO users (id, channel, external_id, active, paused, last_update_id,"
                " created_at, updated_at) VALUES (1, 'telegram', '42', TRUE, FALSE, 9000, :now, :now),"
                " (2, 'telegram', '43', TRUE, FALSE, NULL, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO goals (id, user_id, text, status, created_at, updated_at)"
                " VALUES ('g1', 1, 'delegate the weekly report', 'open', :now, :now)"
            ),
            {"now": now},
        )
    database.upgrade()
    with database.session() as session:
        leaders = LeaderRepository(session)
        assert leaders.seen_update(1, 9000) is True
        assert leaders.seen_update(1, 12) is False
        assert leaders.seen_update(2, 9000) is False
        goal = session.scalar(text("SELECT text FROM goals WHERE user_id = 1"))
        assert goal == "delegate the weekly report"


def test_concurrent_first_upgrades_do_not_crash(database_url: str) -> None:
    # Separate processes, as at a real deployment: Alembic keeps per-run state in
    # module globals, so threads would test Alembic rather than the upgrade lock.
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE_SCRIPT, database_url],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = []
    for process in processes:
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise
        outputs.append((process.returncode, output.decode()))
    assert [code for code, _ in outputs] == [0, 0, 0], outputs
    db = Database(database_url)
    try:
        with db.engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
    finally:
        db.dispose()


def test_loading_a_conversation_makes_other_processes_wait(database_url: str) -> None:
    """Two events for one user, in two processes: the second must see the first's save."""
    first, second = Database(database_url), Database(database_url)
    first.upgrade()
    loaded = threading.Event()
    try:
        with first.session() as session:
            user_id = LeaderRepository(session).get_or_create("telegram", "7").id

        def handle(index: int) -> None:
            db = first if index == 0 else second
            if index == 1:
                loaded.wait(10)
            with db.session() as session:
                conversations = ConversationRepository(session)
                conversation = conversations.load(user_id)
                if index == 0:
                    loaded.set()
                    time.sleep(0.3)  # the other event arrives while this one runs
                conversation.question_seq += 1
                conversations.save(user_id, conversation)

        assert run_in_threads(2, handle) == []
        with first.session() as session:
            assert ConversationRepository(session).load(user_id).question_seq == 2
    finally:
        first.dispose()
        second.dispose()
