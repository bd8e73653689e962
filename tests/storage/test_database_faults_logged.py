"""A failing database or engine, as the logs tell it: the driver's reason, never a leader's words.

Also the SQLite file itself: created readable by its owner only, with deleted rows
overwritten (an erased leader's answers are not left in free pages).
"""

from __future__ import annotations

import io
import logging
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.coaching.contract import StoreUnavailable
from bot.coaching.service import CoachService
from bot.coaching.wiring import build_service
from bot.config.loader import load_config
from bot.logs import setup_logging
from bot.processes.service_child import serve
from bot.processes.wire import frame, read_frame
from flows.events import Event
from storage.db import Database

WORDS = "Persephone on my team keeps missing the Halvorsen deadline"


@pytest.fixture
def logs() -> Iterator[Callable[[], str]]:
    """The bot's logging set-up, writing to a buffer; what it wrote so far."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    setup_logging("INFO")
    buffer = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer.getvalue
    root.handlers[:], level, sys.excepthook, threading.excepthook = saved
    root.setLevel(level)


def service_on(url: str) -> CoachService:
    return build_service(load_config(environ={"GROW_COACH_DATABASE_URL": url}), Database(url))


def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "grow-coach.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


def test_a_readonly_database_is_named_in_the_log(tmp_path: Path, logs: Callable[[], str]) -> None:
    path = sqlite_path(tmp_path)
    # The file as a read-only mount would show it (a chmod means nothing to root).
    service = service_on(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreUnavailable):
        service.handle("telegram", "42", Event.message(WORDS), update_id=1)
    log = logs()
    assert "database unavailable: " in log and "readonly database" in log
    assert "Persephone" not in log


def test_an_engine_failure_quoting_the_leader_is_logged_by_type(
    tmp_path: Path, logs: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service process's own report of a failed call, as it runs in `grow-coach run`."""
    service = service_on(f"sqlite:///{sqlite_path(tmp_path)}")

    def confused(conversation: object, event: Event, history: object) -> None:
        raise ValueError(f"no transition for answer {event.text!r}")

    monkeypatch.setattr(service.engine, "handle", confused)
    bot_end, child_end = socket.socketpair()
    with bot_end, child_end, child_end.makefile("rb") as stream, bot_end.makefile("rb") as answers:
        bot_end.sendall(frame((1, "handle", ("telegram", "42", Event.message(WORDS)), {"update_id": 9})))
        bot_end.shutdown(socket.SHUT_WR)
        with pytest.raises(EOFError):
            serve(child_end, stream, service)
        call_id, ok, error = read_frame(answers)
    assert (call_id, ok, type(error)) == (1, False, ValueError)
    log = logs()
    assert "service call handle failed" in log
    assert "\nValueError" in log and "in confused" in log
    assert "Persephone" not in log and "Halvorsen" not in log


def test_a_new_sqlite_file_is_private_and_erases_for_real(tmp_path: Path) -> None:
    path = tmp_path / "data" / "grow-coach.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1
            # While connected, SQLite's -wal and -shm files exist: same mode as the database.
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert {file.name: stat.S_IMODE(file.stat().st_mode) for file in files} == {
                file.name: 0o600 for file in files
            }
    finally:
        db.dispose()
