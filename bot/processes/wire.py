"""Frames between the bot and its service processes: a 4-byte length, then a pickle.

Both ends read frames here: the child and the bot's start-up handshake from a blocking
stream (`read_frame`), the bot's event loop from an asyncio stream (`receive_frame`).

Pickle is safe here: both ends are this program, and the socket pair exists only
between a parent and the child it started.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct("!I")


def frame(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def read_frame(stream: BinaryIO) -> Any:
    """The next message from a blocking stream; EOFError if the other end closed first."""
    header = _read_exactly(stream, HEADER.size)
    return pickle.loads(_read_exactly(stream, _body_size(header)))


async def receive_frame(reader: asyncio.StreamReader) -> Any:
    """The next message from an asyncio stream; IncompleteReadError if the other end closed."""
    header = await reader.readexactly(HEADER.size)
    return pickle.loads(await reader.readexactly(_body_size(header)))


def _body_size(header: bytes) -> int:
    size: int = HEADER.unpack(header)[0]
    return size


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def portable(error: BaseException) -> BaseException:
    """`error` if it survives the trip to the parent, else a RuntimeError naming its type
    (never its message: it may quote what a leader wrote)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__} in the service process")
    return error
