"""`backup_sqlite`: a live database copied while another connection keeps writing."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import backup
from storage.backup import BackupError, backup_sqlite
from storage.db import Database
from storage.models import LeaderRow

# Long enough that the database spans many backup steps.
NAME = "Ana Lúcia, team lead for payments — " * 40


def _add_leaders(db: Database, first: int, count: int) -> None:
    with db.session() as session:
        session.add_all(
            LeaderRow(channel="telegram", external_id=str(n), name=NAME) for n in range(first, first + count)
        )


def _leaders(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT external_id FROM users")}


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture
def live(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'grow-coach.db'}")
    db.upgrade()
    _add_leaders(db, 0, 2000)
    return db


@pytest.mark.parametrize("pages_per_step", [backup.PAGES_PER_STEP, 8], ids=["default-steps", "tiny-steps"])
def test_a_live_database_is_copied_while_another_connection_writes(
    live: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pages_per_step: int
) -> None:
    # Tiny steps make the writer's commits land between them, which restarts the
    # copy until backup_sqlite falls back to one step.
    monkeypatch.setattr(backup, "PAGES_PER_STEP", pages_per_step)
    source = tmp_path / "grow-coach.db"
    target = tmp_path / "backups" / "grow-coach-backup.db"
    target.parent.mkdir()
    stop = threading.Event()
    written = [2000]

    def writer() -> None:
        while not stop.is_set():
            _add_leaders(live, written[0], 5)
            written[0] += 5

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 2100:  # the writer is under way before the copy starts
            stop.wait(0.01)
        before = written[0]
        backup_sqlite(f"sqlite:///{source}", target)
    finally:
        stop.set()
        thread.join()

    assert _integrity(target) == "ok"
    copied = _leaders(target)
    assert {str(n) for n in range(before)} <= copied  # everything committed before the copy began
    assert copied <= {str(n) for n in range(written[0])}
    assert len(copied) % 5 == 0  # whole transactions only
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind
    # A self-contained file: readable without a -wal file beside it.
    with sqlite3.connect(target) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    # And the bot's own code opens it.
    restored = Database(f"sqlite:///{target}")
    with restored.session() as session:
        assert session.scalar(select(func.count()).select_from(LeaderRow)) == len(copied)
    restored.dispose()
    # The source is still in use and intact.
    _add_leaders(live, written[0], 1)
    assert _integrity(source) == "ok"


def test_an_existing_backup_is_kept_unless_overwrite_is_asked(live: Database, tmp_path: Path) -> None:
    target = tmp_path / "yesterday.db"
    target.write_bytes(b"yesterday's backup")
    with pytest.raises(BackupError, match="already exists"):
        backup_sqlite(tmp_path / "grow-coach.db", target)
    assert target.read_bytes() == b"yesterday's backup"

    backup_sqlite(tmp_path / "grow-coach.db", target, overwrite=True)
    assert len(_leaders(target)) == 2000
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_postgresql_urls_are_pointed_to_pg_dump(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="pg_dump") as raised:
        backup_sqlite("postgresql+psycopg://coach:s3cret@db:5432/grow", tmp_path / "x.db")
    assert "s3cret" not in str(raised.value)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("source", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db"])
def test_sources_without_a_sqlite_file_are_refused(source: str, tmp_path: Path) -> None:
    with pytest.raises(BackupError):
        backup_sqlite(source, tmp_path / "x.db")
    assert list(tmp_path.iterdir()) == []


def test_a_mistyped_source_is_reported_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "grow-coch.db"
    with pytest.raises(BackupError, match="no SQLite database"):
        backup_sqlite(f"sqlite:///{missing}", tmp_path / "x.db")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database_fails_cleanly(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, just notes from a one-to-one\n" * 100)
    with pytest.raises(BackupError, match="failed"):
        backup_sqlite(notes, tmp_path / "x.db")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
