"""`grow-coach run` with a Telegram token: long polling or a webhook."""

from __future__ import annotations

import gc
import logging
from urllib.parse import urlparse

from telegram import Update

from bot.app import build_service
from bot.config import Config
from bot.service_process import ServiceProcess
from bot.telegram.application import build_application
from storage.db import Database

log = logging.getLogger("grow_coach")


def run_telegram(config: Config, db: Database) -> int:
    service = build_service(config, db)
    workers = service_processes(config.database.processes, db.dialect)
    process = ServiceProcess(config, workers) if workers else None
    if process is not None:
        service.use_process(process)
    application = build_application(config, service)
    telegram = config.telegram
    from bot.telegram.checkins import install_dispatcher

    install_dispatcher(application, config, service)
    _spare_long_lived_objects_from_gc()
    if telegram.mode == "webhook":
        path = urlparse(telegram.webhook_url).path.lstrip("/")
        log.info("starting webhook on %s:%s", telegram.listen, telegram.port)
        application.run_webhook(
            listen=telegram.listen,
            port=telegram.port,
            url_path=path,
            webhook_url=telegram.webhook_url,
            secret_token=telegram.secret_token,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("starting long polling")
        application.run_polling(
            allowed_updates=Update.ALL_TYPES,
            timeout=int(telegram.poll_timeout.total_seconds()),
            poll_interval=0.0,
        )
    if process is not None:
        process.close()
    db.dispose()
    return 0


# Young-generation collections every 20,000 allocations instead of 700: each answer
# allocates thousands of short-lived objects (PTB's parsed updates, ORM rows, HTTP
# frames), and collections were a tenth of the bot's CPU under load.
GC_YOUNG_THRESHOLD = 20_000


def service_processes(configured: int | None, dialect: str) -> int:
    """How many service processes do the database work (0: this process does it).

    "auto" is none on SQLite: its work is light, it takes one writer at a time, and a
    second interpreter would add its memory to a small bot's. PostgreSQL gets two, which
    also keeps its threads' GIL hand-offs out of the event loop's process. SQLite never
    gets more than one: a second would only wait for the write lock.
    """
    if configured is None:
        return 0 if dialect == "sqlite" else 2
    return min(configured, 1) if dialect == "sqlite" else configured


def _spare_long_lived_objects_from_gc() -> None:
    """What start-up built (content, mappers, PTB's handlers) lives as long as the process;
    frozen, the collector stops walking it on every full collection, which was the bot's
    longest pause (and its reply latency p99) under load."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
