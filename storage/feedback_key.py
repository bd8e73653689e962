"""The key stakeholders' ids are hashed with: the configuration, else a file beside SQLite.

It must live outside the database: Telegram ids are few enough to try them all, so a
hash anyone holding the database could recompute would hide nothing. PostgreSQL has no
file of its own to put a key beside; there `[feedback] hash_key` must be set, or the
stakeholder pulse stays switched off.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.encryption import parse_key
from storage.encryption_keys import _create_key_file, _read_key_file

KEY_FILE_SUFFIX = ".feedback-key"


def key_file_for(sqlite_path: Path) -> Path:
    return sqlite_path.with_name(sqlite_path.name + KEY_FILE_SUFFIX)


def sqlite_file(url: str | URL) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def load_feedback_key(configured: str, database_url: str | URL, log: logging.Logger) -> bytes | None:
    """The hashing key, or None when there is none (feedback is then switched off)."""
    if configured:
        return parse_key(configured, "[feedback] hash_key")
    path = sqlite_file(database_url)
    if path is None:
        return None
    key_file = key_file_for(path)
    if not key_file.exists() and _create_key_file(key_file):
        log.info("created the stakeholder feedback key file beside the database; back it up with it")
    return _read_key_file(key_file, log)
