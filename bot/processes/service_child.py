"""A service process: `python -m bot.processes.service_child FD PARENT_PID`, started by the bot.

It reads the config from the socket `FD`, builds the coaching service (migrating the
database first if asked), says it is ready, then answers calls one at a time until the
bot closes the socket. It runs in a fresh interpreter rather than a fork: forking a
process that runs an event loop and holds database connections would copy both.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING, BinaryIO

from bot.coaching.contract import REMOTE_CALLS, StoreUnavailable
from bot.config.loader import Config, ConfigError
from bot.logs import setup_logging
from bot.processes.gc_tuning import spare_long_lived_objects_from_gc
from bot.processes.wire import frame, portable, read_frame

if TYPE_CHECKING:
    from bot.coaching.service import CoachService

log = logging.getLogger("grow_coach")

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """A crashed bot must not leave a process holding the database."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was armed


def main(argv: list[str]) -> int:
    fd, parent = int(argv[1]), int(argv[2])
    die_with_parent(parent)
    # Ctrl+C reaches the whole process group, and a service manager may send SIGTERM to
    # every process of the service: the bot decides when this one stops (it closes the
    # socket once its last call is answered), so no leader's answer is cut off mid-commit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with socket.socket(fileno=fd) as sock, sock.makefile("rb") as stream:
        try:
            service = start(sock, stream)
            if service is None:
                return 2
            try:
                serve(sock, stream, service)
            finally:
                service.db.dispose()
        except (EOFError, ConnectionError):
            # The bot closed the socket, or died: a killed process's files close just
            # before the kernel sends its children the parent-death signal. What this
            # process committed stays committed; there is nobody left to answer.
            pass
    return 0


def start(sock: socket.socket, stream: BinaryIO) -> CoachService | None:
    """The service, built as the config read from the bot says; None if it cannot be."""
    config, migrate = read_frame(stream)
    assert isinstance(config, Config)
    setup_logging(
        config.logging.level,
        config.logging.format,
        secrets=config.secrets(),
    )
    from bot.coaching.wiring import build_service, open_database

    try:
        db = open_database(config, migrate=migrate)
    except ConfigError as error:
        sock.sendall(frame(("failed", str(error))))
        return None
    except Exception as error:
        log.exception("service process could not start")
        sock.sendall(frame(("failed", f"the service process could not start: {type(error).__name__}")))
        return None
    service = build_service(config, db)
    # Checkpoints off the calls' path: one in a commit held every call queued behind it.
    db.checkpoint_in_background()
    spare_long_lived_objects_from_gc()
    sock.sendall(frame(("ready", None)))
    return service


def serve(sock: socket.socket, stream: BinaryIO, service: CoachService) -> None:
    """Answers calls in the order they come until the bot closes the socket (EOFError)."""
    while True:
        call_id, name, args, kwargs = read_frame(stream)
        if name not in REMOTE_CALLS:
            sock.sendall(frame((call_id, False, TypeError(f"no such call: {name}"))))
            continue
        try:
            result = (call_id, True, getattr(service, name)(*args, **kwargs))
        except Exception as error:
            if not isinstance(error, StoreUnavailable):
                log.exception("service call %s failed", name)
            result = (call_id, False, portable(error))
        sock.sendall(frame(result))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
