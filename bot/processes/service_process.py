"""The coaching service in child processes, so Telegram I/O and database work use two cores.

The bot keeps PTB: it parses updates, orders them per leader and sends replies. A child
(`bot.processes.service_child`) owns the database: for each event it loads the leader, runs the
engine, commits and hands back the replies, so "committed before the bot replies" holds
as before. On one core that database work was a large part of the bot's CPU per answer
(bench/README.md, "Figures behind the code"); on a second core it no longer waits
behind the sends.

The bot never imports SQLAlchemy, the engine or the content in this mode: the child
migrates the database and holds all of that, and the two talk over a socket pair,
calls pipelined, answers matched by id. A child that dies (killed, out of memory) is
replaced on the next call; the events it held rolled back with it, and their leaders are asked
to try again. A bot that dies takes its children with it (Linux's parent-death signal).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

from bot.coaching.contract import Claimed, Handled, StoreUnavailable
from bot.config.loader import Config, ConfigError
from bot.processes.wire import frame, read_frame, receive_frame
from flows.events import Event

log = logging.getLogger("grow_coach")

STOP_GRACE = 5.0  # seconds a child gets to finish its call and close the database


class _Child:
    """One service process and the calls waiting on it."""

    def __init__(self, config: Config, *, migrate: bool) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.processes.service_child", str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
            )
        self._socket = ours
        self._socket.sendall(frame((config, migrate)))
        self._ready = False
        self._connecting: asyncio.Future[None] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._answers: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self.dead = False

    @property
    def load(self) -> int:
        return len(self._waiting)

    def wait_ready(self) -> None:
        """Blocks until the child has built its service; start-up errors are the config's."""
        # Unbuffered: nothing past the handshake may be read here, the event loop reads on.
        with self._socket.makefile("rb", buffering=0) as stream:
            try:
                status, message = read_frame(stream)
            except EOFError:
                self.dead = True
                raise ConfigError("the service process stopped while starting") from None
        self._check(status, message)

    def _check(self, status: str, message: str | None) -> None:
        if status != "ready":
            self.dead = True
            raise ConfigError(message or "the service process did not start")
        self._ready = True

    async def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._writer is None:
            if self._connecting is None:
                self._connecting = asyncio.ensure_future(self._connect())
            await asyncio.shield(self._connecting)
        if self.dead or self._writer is None:
            raise StoreUnavailable
        call_id = next(self._ids)
        request = frame((call_id, name, args, kwargs))
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = answer
        self._writer.write(request)
        ok, value = await answer
        if not ok:
            raise value
        return value

    async def _connect(self) -> None:
        try:
            self._socket.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=self._socket)
            if not self._ready:
                self._check(*await receive_frame(reader))
        except Exception as error:
            log.error("a new service process did not start (%s)", type(error).__name__)
            self.dead = True
            return
        self._writer = writer
        self._answers = asyncio.get_running_loop().create_task(self._read_answers(reader))

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                call_id, ok, value = await receive_frame(reader)
                answer = self._waiting.pop(call_id)
                if not answer.done():
                    answer.set_result((ok, value))
        except (EOFError, asyncio.IncompleteReadError, ConnectionError):
            pass  # the child exited or was killed
        except Exception as error:
            log.error("service process answer unreadable (%s): replacing it", type(error).__name__)
        finally:
            self.dead = True
            # Every call in flight fails alike: what the child had not committed is gone.
            for answer in self._waiting.values():
                if not answer.done():
                    answer.set_exception(StoreUnavailable())
            self._waiting.clear()

    def discard(self) -> None:
        """Kill and reap a child that stopped answering (it is usually gone already)."""
        self.process.kill()
        self.process.wait()
        if self._writer is not None:
            self._writer.close()
        self._socket.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        else:
            self._socket.close()
        try:
            await asyncio.to_thread(self.process.wait, STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)


class ServiceProcess:
    """A `bot.coaching.contract.Coach` whose work runs in `workers` child processes."""

    def __init__(self, config: Config, workers: int = 1) -> None:
        self._config = config
        # The first child migrates the database; the others start once it is done.
        self._children = [_Child(config, migrate=True)]
        try:
            self._children[0].wait_ready()
            self._children += [_Child(config, migrate=False) for _ in range(workers - 1)]
            for child in self._children[1:]:
                child.wait_ready()
        except BaseException:
            for child in self._children:
                child.discard()
            raise

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        for index, child in enumerate(self._children):
            if child.dead:
                log.warning("service process died: starting a new one")
                child.discard()
                self._children[index] = _Child(self._config, migrate=False)
        child = min(self._children, key=lambda c: c.load)
        return await child.call(name, args, kwargs)

    async def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        handled: Handled = await self._call("handle", channel, external_id, event, update_id=update_id)
        return handled

    async def set_active(self, channel: str, external_id: str, active: bool) -> None:
        await self._call("set_active", channel, external_id, active)

    async def claim_checkins(self, now: datetime, worker: str, limit: int, grace: timedelta) -> list[Claimed]:
        claimed: list[Claimed] = await self._call("claim_checkins", now, worker, limit, grace)
        return claimed

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        handled: Handled = await self._call("deliver_checkin", claimed, worker, now)
        return handled

    async def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        await self._call("confirm_checkin", checkin_id, worker, now, sent)

    async def close(self) -> None:
        await asyncio.gather(*(child.close() for child in self._children))

