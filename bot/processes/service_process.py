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
to try again. A child that hangs (stopped, or stuck on a database that no timeout ended)
is treated alike once it has worked on one call for `[database] call_timeout`: it is
killed, which ends a stopped process too. A bot that dies takes its children with it
(Linux's parent-death signal).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.coaching.contract import Claimed, Handled, InboxedUpdate, StoreUnavailable
from bot.config.loader import Config, ConfigError
from bot.operations.metrics import default_metrics
from bot.processes.wire import frame, read_frame, receive_frame
from flows.events import Event

log = logging.getLogger("grow_coach")

STOP_GRACE = 5.0  # seconds a child gets to finish its call and close the database


@dataclass(frozen=True)
class _Call:
    """What a log line may say about a call: its name and whose it is, never its text."""

    name: str
    sent_at: float  # time.monotonic()
    update_id: int | None = None
    leader: str | None = None

    @classmethod
    def of(cls, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
        leader: object = None
        if name in ("handle", "set_active", "receive_update", "finish_updates") and len(args) > 1:
            leader = args[1]  # the external id, after the channel
        elif args and isinstance(args[0], Claimed):
            leader = f"{args[0].external_id} checkin={args[0].checkin_id}"
        return cls(name, time.monotonic(), kwargs.get("update_id"), None if leader is None else str(leader))

    def describe(self) -> str:
        whose = "" if self.leader is None else f" for user={self.leader}"
        update = "" if self.update_id is None else f" (update {self.update_id})"
        return f"{self.name}{whose}{update}"


class _Child:
    """One service process and the calls waiting on it."""

    def __init__(self, config: Config, *, migrate: bool) -> None:
        self._deadline = config.database.call_timeout.total_seconds()
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
        self._calls: dict[int, _Call] = {}
        self._last_answer = time.monotonic()
        self._watch: asyncio.TimerHandle | None = None
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
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        if not self._waiting:
            self._last_answer = time.monotonic()  # idle until now: nothing was overdue
        self._waiting[call_id] = answer
        self._calls[call_id] = _Call.of(name, args, kwargs)
        self._writer.write(request)
        if self._watch is None:
            self._watch = loop.call_later(self._deadline, self._check_deadline)
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
                self._last_answer = time.monotonic()
                self._calls.pop(call_id, None)
                answer = self._waiting.pop(call_id, None)
                if answer is not None and not answer.done():
                    answer.set_result((ok, value))
        except (EOFError, asyncio.IncompleteReadError, ConnectionError):
            pass  # the child exited or was killed
        except Exception as error:
            log.error("service process answer unreadable (%s): replacing it", type(error).__name__)
        finally:
            self._fail_all()

    def _fail_all(self) -> None:
        self.dead = True
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        # Every call in flight fails alike: what the child had not committed is gone.
        for answer in self._waiting.values():
            if not answer.done():
                answer.set_exception(StoreUnavailable())
        self._waiting.clear()
        self._calls.clear()

    def _check_deadline(self) -> None:
        """Kill the child if it has worked on its current call for longer than the deadline.

        The child answers in order, so its current call is the oldest unanswered one, and it
        started on it when it answered the one before (or when it was sent, if later). Calls
        queued behind it are not counted against: a busy child is not a stuck one.
        """
        self._watch = None
        if self.dead or not self._calls:
            return
        current = next(iter(self._calls.values()))
        started = max(current.sent_at, self._last_answer)
        working = time.monotonic() - started
        if working < self._deadline:
            self._watch = asyncio.get_running_loop().call_later(
                self._deadline - working, self._check_deadline
            )
            return
        log.warning(
            "service process pid=%s stuck: %s unanswered after %.1fs (%d calls held): "
            "killing it; its calls are asked again and a new process starts",
            self.process.pid,
            current.describe(),
            working,
            len(self._calls),
        )
        # SIGKILL, not SIGTERM: a stopped process would never act on anything else.
        self.process.kill()
        self._fail_all()

    def discard(self) -> None:
        """Kill and reap a child that stopped answering (it is usually gone already)."""
        self.process.kill()
        self.process.wait()
        if self._watch is not None:
            self._watch.cancel()
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
    """A `bot.coaching.contract.Coach` whose work runs in `workers` child processes.

    Each call has a deadline (`[database] call_timeout`) for the time its child works on
    it; a child past it is killed and replaced, and every call it held fails with
    `StoreUnavailable`, which the front end turns into "please try again".
    """

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
                default_metrics().service_child_restarts.inc()
        child = min(self._children, key=lambda c: c.load)
        return await child.call(name, args, kwargs)

    async def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> Handled:
        handled: Handled = await self._call("handle", channel, external_id, event, update_id=update_id)
        return handled

    async def set_active(self, channel: str, external_id: str, active: bool) -> None:
        await self._call("set_active", channel, external_id, active)

    async def claim_checkins(
        self, channel: str, now: datetime, worker: str, limit: int, grace: timedelta
    ) -> list[Claimed]:
        claimed: list[Claimed] = await self._call("claim_checkins", channel, now, worker, limit, grace)
        return claimed

    async def deliver_checkin(self, claimed: Claimed, worker: str, now: datetime) -> Handled:
        handled: Handled = await self._call("deliver_checkin", claimed, worker, now)
        return handled

    async def ping(self) -> None:
        await self._call("ping")

    async def confirm_checkin(self, checkin_id: int, worker: str, now: datetime, sent: bool) -> None:
        await self._call("confirm_checkin", checkin_id, worker, now, sent)

    async def receive_update(
        self, channel: str, external_id: str, update_id: int, payload: dict[str, Any], worker: str
    ) -> list[InboxedUpdate]:
        first: list[InboxedUpdate] = await self._call(
            "receive_update", channel, external_id, update_id, payload, worker
        )
        return first

    async def finish_updates(
        self, channel: str, external_id: str, update_ids: list[int], worker: str
    ) -> list[InboxedUpdate]:
        following: list[InboxedUpdate] = await self._call(
            "finish_updates", channel, external_id, update_ids, worker
        )
        return following

    async def take_stale_turns(self, worker: str, limit: int) -> list[tuple[str, str, list[InboxedUpdate]]]:
        taken: list[tuple[str, str, list[InboxedUpdate]]] = await self._call(
            "take_stale_turns", worker, limit
        )
        return taken

    async def take_send_slot(self, interval: timedelta) -> float:
        wait: float = await self._call("take_send_slot", interval)
        return wait

    async def close(self) -> None:
        await asyncio.gather(*(child.close() for child in self._children))
