"""`grow-coach admin backup FILE [--overwrite]`, ready to be added to the CLI.

Call run_backup before anything opens the database: opening it runs migrations and
creates -wal/-shm files, which a backup taken as another user (root) must not do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_backup_command(admin_commands: argparse._SubParsersAction[Any]) -> None:
    backup = admin_commands.add_parser(
        "backup",
        help="copy the SQLite database while the bot runs (for PostgreSQL use pg_dump)",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where to write the copy (created mode 0600)")
    backup.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")


def run_backup(database_url: str, file: Path, *, overwrite: bool = False) -> int:
    """Exit status 0 with the copy written, 1 with a one-line reason on stderr."""
    from storage.backup import BackupError, backup_sqlite

    try:
        backup_sqlite(database_url, file, overwrite=overwrite)
    except BackupError as error:
        print(f"grow-coach admin backup: {error}", file=sys.stderr)
        return 1
    print(f"Backed up the database to {file}")
    _mention_key_files(database_url)
    return 0


def _mention_key_files(database_url: str) -> None:
    """The keys beside the database are not in the copy, and the copy is unreadable without them."""
    from storage import encryption_keys, feedback_key
    from storage.backup import sqlite_path

    database = sqlite_path(database_url)
    for key in (encryption_keys.key_file_for(database), feedback_key.key_file_for(database)):
        if key.exists():
            print(f"Not in the copy: {key}; keep a copy of it with your backups (the copy needs it)")
