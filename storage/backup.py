"""`grow-coach admin backup FILE`: a consistent copy of a live SQLite database.

SQLite's online backup API copies the database page by page while the bot keeps
running: between steps other connections read and write as usual, and the copy
is one consistent snapshot. PostgreSQL has its own tool for this, pg_dump.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

# 1024 pages of 4 KiB: 4 MiB a step, then other connections get a turn.
PAGES_PER_STEP = 1024
SLEEP_BETWEEN_STEPS = 0.005
# A write by another connection between steps restarts the copy from the first
# page; past this many restarts the rest is copied in one step, during which the
# bot's writers still go ahead in WAL mode (the copy reads a snapshot).
MAX_RESTARTS = 3

PG_DUMP_HINT = (
    "backup copies SQLite databases only; for PostgreSQL use pg_dump, e.g. "
    "pg_dump --format=custom --file=grow-coach.dump 'postgresql://user@host:5432/dbname' "
    "(restore with pg_restore)"
)


class BackupError(Exception):
    """A backup that cannot be made, described in one line for the command line."""


class _TooManyRestarts(Exception):
    pass


def sqlite_path(source: str | Path) -> Path:
    """The file behind a SQLite URL or plain path; BackupError for anything else."""
    if isinstance(source, Path) or "://" not in source:
        return Path(source)
    try:
        url = make_url(source)
    except ArgumentError:
        raise BackupError(f"not a database URL or file path: {source.split('://', 1)[0]}://...") from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise BackupError(PG_DUMP_HINT)
    if backend != "sqlite":
        raise BackupError(f"backup copies SQLite databases only, not {backend}")
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError("backup needs a SQLite database file, not an in-memory or URI database")
    return Path(database)


def backup_sqlite(source: str | Path, target: Path, *, overwrite: bool = False) -> Path:
    """Copy the SQLite database at `source` (URL or path) to `target`, created mode 0600.

    The copy is written next to `target` under a temporary name and renamed into
    place when complete, so `target` is never a half-written database. An existing
    `target` is kept (BackupError) unless `overwrite` is true.
    """
    source_path = sqlite_path(source)
    if not source_path.is_file():
        raise BackupError(f"no SQLite database at {source_path}")
    target = Path(target)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} already exists; choose another name or pass --overwrite")
    if target.resolve() == source_path.resolve():
        raise BackupError("the backup cannot replace the database it copies")
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent} to write the backup into")

    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    # O_EXCL and 0600 from the start: leaders' answers are never readable by others,
    # not even while the copy is being written.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        _copy(source_path, partial)
        _move_into_place(partial, target, overwrite=overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return target


def _copy(source_path: Path, target_path: Path) -> None:
    # Read-only, so a mistyped path never creates an empty database.
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.execute("PRAGMA busy_timeout=5000")
        try:
            source.backup(
                target, pages=PAGES_PER_STEP, progress=_restart_counter(), sleep=SLEEP_BETWEEN_STEPS
            )
        except _TooManyRestarts:
            source.backup(target, pages=-1)
        check = target.execute("PRAGMA integrity_check").fetchone()
        if check != ("ok",):
            raise BackupError(f"the copy failed SQLite's integrity check: {check[0] if check else '?'}")
        # A self-contained file: no -wal beside it is needed to read it.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"backup of {source_path} failed: {error}") from None
    finally:
        target.close()
        source.close()


def _restart_counter() -> Callable[[int, int, int], None]:
    last_remaining: int | None = None
    restarts = 0

    def progress(_status: int, remaining: int, _total: int) -> None:
        nonlocal last_remaining, restarts
        if last_remaining is not None and remaining > last_remaining:
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise _TooManyRestarts
        last_remaining = remaining

    return progress


def _move_into_place(partial: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(partial, target)
        return
    try:
        # Unlike rename, link fails if target appeared meanwhile.
        os.link(partial, target)
    except FileExistsError:
        raise BackupError(f"{target} already exists; choose another name or pass --overwrite") from None
    except OSError:
        # A file system without hard links: the check at the start has to do.
        os.replace(partial, target)
