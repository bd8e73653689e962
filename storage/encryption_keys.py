"""Where the encryption key comes from: the configuration, else a key file beside SQLite.

`[privacy] encryption_key` (or GROW_COACH_PRIVACY_ENCRYPTION_KEY) wins. Without it, an
SQLite deployment gets a key file `<database>.key`, created on first start with
owner-only permissions; PostgreSQL has no file of its own to put a key beside, so
there the key must be configured.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import make_url

from storage.encryption import InvalidKey, KeyRing, generate_key, parse_key

KEY_FILE_SUFFIX = ".key"


class MissingKey(InvalidKey):
    pass


def key_file_for(sqlite_path: Path) -> Path:
    return sqlite_path.with_name(sqlite_path.name + KEY_FILE_SUFFIX)


def keyring_for_database(
    url: str,
    configured_key: str | None,
    old_keys: Sequence[str],
    log: logging.Logger,
) -> KeyRing:
    """The key ring for the database at `url`: the configured key, else the key file
    beside an SQLite file, else (in-memory SQLite, gone with the process) a fresh key."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return load_keyring(configured_key, old_keys, None, log)
    path = parsed.database or ""
    if path in ("", ":memory:") or (path.startswith("file:") and "mode=memory" in path):
        if not configured_key:
            return KeyRing(parse_key(generate_key()), [parse_key(key) for key in old_keys])
        return load_keyring(configured_key, old_keys, None, log)
    if path.startswith("file:"):
        path = path[len("file:") :].partition("?")[0]
    database = Path(path).absolute()
    key_file = key_file_for(database)
    if configured_key and key_file.exists():
        # A key configured after the bot ran on its own key file: what that key
        # encrypted stays readable until `grow-coach keys rotate` has moved it over.
        old_keys = [*old_keys, key_file.read_text(encoding="ascii").strip()]
    return load_keyring(configured_key, old_keys, database, log)


def load_keyring(
    configured_key: str | None,
    old_keys: Sequence[str],
    sqlite_path: Path | None,
    log: logging.Logger,
) -> KeyRing:
    """The process's key ring; raises InvalidKey with a one-line message on bad keys.

    sqlite_path is the database file for SQLite, None for PostgreSQL.
    """
    old = [parse_key(text, f"[privacy] old_encryption_keys entry {n}") for n, text in enumerate(old_keys, 1)]
    if configured_key:
        current = parse_key(configured_key, "[privacy] encryption_key")
    elif sqlite_path is not None:
        current = _key_from_file(key_file_for(sqlite_path), log)
    else:
        raise MissingKey(
            "PostgreSQL needs [privacy] encryption_key (or GROW_COACH_PRIVACY_ENCRYPTION_KEY): "
            "the leaders' answers are stored encrypted; create one with `grow-coach keys new` "
            "and keep a copy somewhere safe"
        )
    ring = KeyRing(current, old)
    log.info("encryption key %s in use; %d older key(s) for reading", ring.current.id, len(ring.key_ids) - 1)
    return ring


def _key_from_file(path: Path, log: logging.Logger) -> bytes:
    try:
        return _read_key_file(path, log)
    except FileNotFoundError:
        pass
    if _create_key_file(path):
        log.warning(
            "created a new encryption key at %s; back it up: without it the stored answers cannot be read",
            path,
        )
    return _read_key_file(path, log)


def _read_key_file(path: Path, log: logging.Logger) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the encryption key file %s is readable by others; run: chmod 600 %s", path, path)
    return parse_key(path.read_text(encoding="ascii"), f"the key in {path}")


def _create_key_file(path: Path) -> bool:
    """Write a new key file; False if another process created it first.

    The key is written and synced under a temporary name, then linked into place:
    link fails if the name exists, so of several processes starting at once exactly
    one key wins, and no process ever reads a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (generate_key() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True
