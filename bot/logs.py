"""Logging set-up: one line per event, never the bot token, never a leader's words.

An exception's message may quote whatever it was handed — an answer, a name, the
token (PTB's `InvalidToken` carries it) — so every exception that reaches a log, or
an uncaught one that reaches stderr, is shown by its type and traceback frames only.
The few messages that are known to hold no input are kept, because they make a fault
diagnosable: an OS error's reason ("No space left on device", never the file name)
and a database driver's connection-level error ("attempt to write a readonly
database"; SQLAlchemy's `hide_parameters` keeps the statement's values out).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from types import TracebackType
from typing import TextIO

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# Loggers whose first message line is theirs and the rest is data: asyncio appends the
# failed task's repr, and with it the exception's message.
_FIRST_LINE_ONLY = ("asyncio",)
# Errors of a database driver that describe the connection or the file, not a value:
# IntegrityError or DataError would quote the offending value, so they stay nameless.
_DRIVER_ERRORS = ("OperationalError", "InterfaceError")
_DRIVER_MODULES = ("sqlite3", "psycopg", "psycopg2", "sqlalchemy")
_MAX_CHAIN = 8

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def describe_exception(error: BaseException) -> str:
    """The type, and the reason only where it cannot hold input: "OSError: [Errno 28] ...",
    "OperationalError: database or disk is full", else just "ValueError"."""
    name = _qualified_name(type(error))
    reason = _safe_reason(error)
    return f"{name}: {reason}" if reason else name


def format_exception(exc_info: ExcInfo) -> str:
    """A traceback as Python prints it, every message in the chain replaced by `describe_exception`."""
    lines: list[str] = []
    _format_chain(exc_info[1], lines, set(), 0)
    return "".join(lines).rstrip("\n")


def _format_chain(error: BaseException, lines: list[str], seen: set[int], depth: int) -> None:
    seen.add(id(error))
    if depth < _MAX_CHAIN:
        cause, context = error.__cause__, error.__context__
        if cause is not None and id(cause) not in seen:
            _format_chain(cause, lines, seen, depth + 1)
            lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif context is not None and not error.__suppress_context__ and id(context) not in seen:
            _format_chain(context, lines, seen, depth + 1)
            lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if error.__traceback__ is not None:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(error.__traceback__))
    lines.append(describe_exception(error) + "\n")


def _qualified_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"


def _safe_reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        # Never str(error): it would add the file name.
        return f"[Errno {error.errno}] {error.strerror}" if error.errno is not None else error.strerror
    if any(
        kind.__name__ in _DRIVER_ERRORS and kind.__module__.split(".")[0] in _DRIVER_MODULES
        for kind in type(error).__mro__
    ):
        driver_error = getattr(error, "orig", None) or error
        if isinstance(driver_error, BaseException):
            # The first line: psycopg puts DETAIL and the statement's context below it.
            text = str(driver_error.args[0] if driver_error.args else "").strip()
            return text.splitlines()[0] if text else ""
    return ""


class Redactor:
    """Replaces anything shaped like a bot token, and the configured secrets."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return _TOKEN.sub("<token>", text)


class RedactToken(logging.Filter):
    """Scrubs the token from messages, whichever library logged them, and keeps only the
    first line of loggers that append data (asyncio's task reprs)."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.name.split(".")[0] in _FIRST_LINE_ONLY:
            cleaned = cleaned.split("\n", 1)[0]
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class SafeFormatter(logging.Formatter):
    """The usual one-line format; exceptions by type and frames (see the module docstring)."""

    def __init__(self, fmt: str | None = None, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self.redact = Redactor(secrets)

    def formatException(self, ei: object) -> str:
        return self.redact(format_exception(ei))  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:
        return self.redact(stack_info)

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the formatted exception on the record, for every handler: a
        # cache filled by another formatter would bring the message back.
        record.exc_text = None
        return super().format(record)


class JsonFormatter(SafeFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactToken(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter(secrets=secrets))
    else:
        handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_excepthooks(secrets)
    # httpx logs every request URL, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Routine chatter (every state change, every scheduler tick) would drown the one
    # line per event that matters.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def install_excepthooks(secrets: tuple[str, ...] = ()) -> None:
    """Uncaught exceptions, in the main thread or any other, are printed as the logs show them."""
    redact = Redactor(secrets)

    def report(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        _write(sys.stderr, redact(format_exception((kind, error, tb))))

    def report_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        text = format_exception((args.exc_type, args.exc_value, args.exc_traceback))
        _write(sys.stderr, f"exception in thread {name}:\n" + redact(text))

    sys.excepthook = report
    threading.excepthook = report_thread


def _write(stream: TextIO | None, text: str) -> None:
    if stream is not None:
        stream.write(text + "\n")
        stream.flush()
