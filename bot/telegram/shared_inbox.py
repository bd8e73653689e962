"""Several `grow-coach run` webhook workers on one PostgreSQL: the database decides the order.

With `[telegram] workers = "shared"` no update is handled where it happens to arrive.
PTB's webhook server awaits `update_queue.put` before it answers Telegram, so `put`
here first commits the update to its chat's inbox (storage/update_inbox.py): Telegram
gets its 200 only for an update that is stored, and a worker killed after that loses
nothing. The same transaction tries to take the chat's turn. The worker that gets it
queues a `Drain`, which handles the chat's stored updates one by one, lowest update id
first (fetched in small batches), through PTB's own handlers (`Application.process_update`), whichever worker
received them, and gives the turn back when the inbox is empty. A worker that did not
get the turn has nothing more to do: the holder comes to its update in order.

A worker killed while holding turns loses them after the lease
(storage.update_inbox.TURN_LEASE); every worker sweeps for such chats every
`SWEEP_EVERY` and drains them. An update handled twice after such a takeover is applied
once: its answer commits with its id in `seen_updates`.

If the database cannot take the update, `put` raises: PTB answers 500 and Telegram
(or the load balancer) posts it again, to this worker or another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.coaching.contract import Coach, InboxedUpdate, StoreUnavailable
from bot.config.database_url import parse_database_url
from bot.config.loader import Config, ConfigError
from bot.telegram.backlog import BacklogQueue
from bot.telegram.flood import LeaderRateLimit, Verdict
from bot.telegram.handlers import CHANNEL
from bot.telegram.ordering import OnDropped, sender

log = logging.getLogger("grow_coach.telegram")

# How often each worker looks for chats a stopped worker left mid-way.
SWEEP_EVERY = 1.0
SWEEP_LIMIT = 100


def shared(config: Config) -> bool:
    return config.telegram.workers == "shared"


def check_shared(config: Config) -> None:
    """Shared workers need one database they all reach: PostgreSQL."""
    if not shared(config):
        return
    dialect = parse_database_url(config.database_url()).drivername.partition("+")[0]
    if dialect != "postgresql":
        raise ConfigError(
            'telegram.workers: "shared" needs a PostgreSQL database.url '
            "(workers share the database; a SQLite file is one process's)"
        )


@dataclass(frozen=True)
class Drain:
    """This worker holds the chat's turn: handle its stored updates from `rows` on."""

    channel: str
    external_id: str
    rows: tuple[InboxedUpdate, ...]


class InboxQueue(BacklogQueue):
    """PTB's update queue, with each leader's update committed to the shared inbox first."""

    def __init__(self, cap: int, coach: Coach, worker: str) -> None:
        super().__init__(cap)
        self.coach = coach
        self.worker = worker

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            key = sender(item)
            if key is not None:
                # The chat's key, as the handlers name the leader (their Telegram user id).
                chat = str(key)
                # Raises StoreUnavailable when nothing was stored: PTB answers 500.
                rows = await self.coach.receive_update(
                    CHANNEL, chat, item.update_id, item.to_dict(), self.worker
                )
                if not rows:
                    return
                item = Drain(CHANNEL, chat, tuple(rows))
        await super().put(item)


def register_shared_inbox(
    application: Application,  # type: ignore[type-arg]
    coach: Coach,
    worker: str,
    rate_limit: LeaderRateLimit | None = None,
    on_over_rate: OnDropped | None = None,
) -> None:
    """The drain handler and the sweep for stopped workers' chats.

    The leader's message rate (bot/telegram/flood.py) is applied here, by the one worker
    draining the chat, which sees all of its updates in order: the first of a drain
    found the leader waiting for nothing; each one after it was sent while the bot was
    still at work on the earlier ones, and counts.
    """

    async def handle(
        job: Drain, row: InboxedUpdate, waiting: bool, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        update = Update.de_json(row.payload, context.bot)
        verdict = Verdict.TAKE
        if rate_limit is not None and job.external_id.lstrip("-").isdigit():
            verdict = rate_limit.admit(int(job.external_id), waiting=waiting)
        if verdict is Verdict.TAKE:
            await context.application.process_update(update)
            return
        tell = verdict is Verdict.DROP_AND_TELL
        if tell:
            log.info("user=%s sends faster than the message rate limit: extra dropped", job.external_id)
        if on_over_rate is not None:
            await on_over_rate(update, tell)

    async def drain(job: Drain, context: ContextTypes.DEFAULT_TYPE) -> None:
        rows = list(job.rows)
        waiting = False
        while rows:
            for row in rows:
                try:
                    await handle(job, row, waiting, context)
                except Exception as error:
                    # Handler failures already went to the error handler inside
                    # process_update; the row is finished either way, so one bad update
                    # cannot hold up the leader's later ones.
                    log.error("update=%s not handled: %s", row.update_id, type(error).__name__)
                waiting = True
            done = [row.update_id for row in rows]
            try:
                rows = await coach.finish_updates(job.channel, job.external_id, done, worker)
            except StoreUnavailable:
                # The turn's lease runs out and a sweep (maybe ours) takes the chat up
                # again; the updates just handled are then recognised by their ids.
                log.warning("user=%s updates %s not finished: database unavailable", job.external_id, done)
                return

    async def sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            taken = await coach.take_stale_turns(worker, SWEEP_LIMIT)
        except StoreUnavailable:
            return
        if taken:
            log.info("took over %d chats with updates a stopped worker left", len(taken))
        for channel, external_id, rows in taken:
            await application.update_queue.put(Drain(channel, external_id, tuple(rows)))

    application.add_handler(TypeHandler(Drain, drain), group=-2)
    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_repeating(
        sweep,
        interval=SWEEP_EVERY,
        first=SWEEP_EVERY,
        name="shared-inbox-sweep",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
