"""The database handle: engine setup per dialect, migrations, and unit-of-work sessions."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.encryption import KeyRing, installed_keyring, set_keyring
from storage.encryption_keys import key_file_for, keyring_for_database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number works; it only has to be the same in every process.
UPGRADE_LOCK_KEY = 0x67726F77  # "grow"

# TCP keepalives on every PostgreSQL connection: a server (or a NAT box) that vanished
# without closing the connection is noticed after about IDLE + INTERVAL * COUNT seconds,
# also while a query waits for its result, instead of never.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 30, 10, 3

# A serving process copies SQLite's write-ahead log into the database file on a thread
# of its own this often (see Database.checkpoint_in_background). Its commits then only
# checkpoint themselves past this many pages (4 KB each), should that thread fall behind.
CHECKPOINT_EVERY = 0.5
CHECKPOINT_FALLBACK_PAGES = 10_000

# SQLSTATEs of the waits PostgreSQL gave up on (lock_timeout, statement_timeout).
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"


@dataclass(frozen=True)
class Timeouts:
    """PostgreSQL's limits for each connection (0: no limit); the defaults are the config's."""

    connect: timedelta
    lock: timedelta
    statement: timedelta


log = logging.getLogger("grow_coach")

KEY_VARIABLE = "GROW_COACH_PRIVACY_ENCRYPTION_KEY"


class Database:
    """The one way into the database; opening it installs the process's encryption keys.

    A process has one key ring (the column types read it at every query). `keyring`
    is what the configuration says: bot.coaching.wiring.open_database passes it, and
    every process of the product opens its database there. Tools and tests may leave
    it out: see `unconfigured_keyring`.
    """

    def __init__(self, url: str, timeouts: Timeouts | None = None, *, keyring: KeyRing | None = None) -> None:
        if keyring is None:
            keyring = unconfigured_keyring(url)
        set_keyring(keyring)
        self.keyring: KeyRing = keyring
        self.url: URL = make_url(url)
        self._checkpointer: _Checkpointer | None = None
        self._sqlite_pragmas: dict[str, int] = {}
        self.engine: Engine = _create_engine(self.url, timeouts, self._sqlite_pragmas)
        # Rows stay readable after commit: the caller replies after committing.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Bring the schema to the newest migration; a no-op when it is already there."""
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                # Several processes may start at once; the second waits here and then
                # finds nothing to do. The lock ends with this transaction.
                # A migration may rewrite a big table, and waiting for another process's
                # migration is expected: neither is the hang the timeouts are for.
                connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
            # Imported here: a process that only reads and writes (the bot's service
            # process) is spared Alembic's memory.
            from alembic import command

            command.upgrade(alembic_config(connection), "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def checkpoint_in_background(self, every: float = CHECKPOINT_EVERY) -> None:
        """SQLite: checkpoints (copying the write-ahead log into the database file, and
        syncing it) run on a thread of their own rather than in whichever commit crossed
        SQLite's threshold of 1,000 pages. That commit used to take 10-25 ms longer on the
        development machine, more on a slow disk, and every leader queued behind it in the
        service process waited too. No-op on PostgreSQL and for in-memory databases."""
        path = self.url.database
        if self.dialect != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
            return
        if self._checkpointer is not None:
            return
        self._sqlite_pragmas["wal_autocheckpoint"] = CHECKPOINT_FALLBACK_PAGES
        self.engine.dispose()  # pooled connections were opened with SQLite's own threshold
        self._checkpointer = _Checkpointer(path, every)
        self._checkpointer.start()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()


class _Checkpointer(threading.Thread):
    """PASSIVE checkpoints on a connection of its own: they take no lock that a commit
    waits for, and the sqlite3 module lets go of the GIL while SQLite copies and syncs."""

    def __init__(self, path: str, every: float) -> None:
        super().__init__(name="sqlite-checkpoints", daemon=True)
        self._path = path
        self._every = every
        self._stopping = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping.wait(self._every):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    # Commits still checkpoint themselves past the fallback threshold.
                    log.warning("SQLite checkpoint failed: %s", type(error).__name__)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)


def unconfigured_keyring(url: str) -> KeyRing:
    """Keys for a Database opened without configuration (benchmarks, tests, scripts),
    found as the bot would find them: an SQLite file's own key file if it has one, else
    the ring this process already uses, else $GROW_COACH_PRIVACY_ENCRYPTION_KEY (the
    variable the configuration reads), else a new key file beside the SQLite file;
    PostgreSQL without any of them raises MissingKey."""
    parsed = make_url(url)
    path = parsed.database or ""
    on_disk = path not in ("", ":memory:") and not path.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and on_disk and key_file_for(Path(path).absolute()).exists():
        return keyring_for_database(url, None, (), log)
    installed = installed_keyring()
    if installed is not None:
        return installed
    return keyring_for_database(url, os.environ.get(KEY_VARIABLE) or None, (), log)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic settings built in code, so an installed package needs no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def why_unavailable(error: OperationalError) -> str:
    """What the database gave up on, in words fit for a log line.

    Otherwise the driver's own first line ("attempt to write a readonly database",
    "database or disk is full", "could not extend file ...: No space left on device"):
    an OperationalError is about the connection, the file or the server, and the
    statement's values are not in it (hide_parameters; psycopg keeps DETAIL and the
    offending values of data and constraint errors, other classes, on later lines).
    """
    code = getattr(error.orig, "sqlstate", None)
    if code == LOCK_NOT_AVAILABLE:
        return "waited past lock_timeout for a lock another transaction holds"
    if code == QUERY_CANCELED:
        return "a statement ran past statement_timeout"
    if "database is locked" in str(error.orig):
        return "waited past SQLite's busy timeout for the write lock"
    driver_error = error.orig or error
    words = str(driver_error.args[0]).strip() if driver_error.args else ""
    name = type(driver_error).__name__
    return f"{name}: {words.splitlines()[0]}" if words else name


def _create_engine(url: URL, timeouts: Timeouts | None, sqlite_pragmas: dict[str, int]) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_pragmas)
    # hide_parameters: an error message must never carry a leader's answer into the logs.
    return create_engine(
        url, pool_pre_ping=True, hide_parameters=True, connect_args=_postgresql_connect_args(url, timeouts)
    )


def _postgresql_connect_args(url: URL, timeouts: Timeouts | None) -> dict[str, Any]:
    """libpq settings so that no call waits on PostgreSQL forever."""
    args: dict[str, Any] = {
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE,
        "keepalives_interval": KEEPALIVE_INTERVAL,
        "keepalives_count": KEEPALIVE_COUNT,
    }
    if timeouts is None:
        return args
    # libpq takes whole seconds, and treats anything under 2 as 2.
    args["connect_timeout"] = max(2, round(timeouts.connect.total_seconds()))
    ours = (
        f"-c lock_timeout={_milliseconds(timeouts.lock)} "
        f"-c statement_timeout={_milliseconds(timeouts.statement)}"
    )
    # Options written in the URL come after ours, so a URL's own setting wins.
    given = url.query.get("options")
    args["options"] = f"{ours} {given}" if isinstance(given, str) and given else ours
    return args


def _milliseconds(duration: timedelta) -> int:
    return round(duration.total_seconds() * 1000)


def _create_private_file(path: Path) -> None:
    """A new database file is readable by its owner only; SQLite gives its -wal and -shm
    files the same mode. An existing file keeps the mode its owner chose."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _sqlite_engine(url: URL, pragmas: dict[str, int]) -> Engine:
    """`pragmas`: more settings for each new connection, read when it opens."""
    path = url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        _create_private_file(Path(path))
    engine = create_engine(url, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so that switching to WAL below waits for a concurrent opener too.
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        # Deleted rows are overwritten, not left in free pages: /delete must not leave a
        # leader's words readable in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        # In WAL mode NORMAL syncs at checkpoints rather than every commit: a killed
        # process still loses nothing committed; only a power cut could drop the last
        # few commits, and the commit no longer waits on the disk.
        cursor.execute("PRAGMA synchronous=NORMAL")
        for name, value in pragmas.items():
            cursor.execute(f"PRAGMA {name}={int(value)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with
        # SQLITE_BUSY when another process wrote in between; taking the write lock up
        # front makes concurrent events for a user wait their turn instead, which is
        # what SELECT ... FOR UPDATE gives on PostgreSQL.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
