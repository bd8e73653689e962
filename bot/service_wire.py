"""Frames between the bot and its service processes: a 4-byte length, then a pickle.

Pickle is safe here: both ends are this program, and the socket pair exists only
between a parent and the child it started.
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

HEADER = struct.Struct("!I")


def frame(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def portable(error: BaseException) -> BaseException:
    """`error` if it survives the trip to the parent, else a RuntimeError naming its type
    (never its message: it may quote what a leader wrote)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__} in the service process")
    return error
