"""`grow-coach run` with a Telegram token: long polling or a webhook."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application

from bot.coaching.contract import Coach
from bot.config.database_url import parse_database_url
from bot.config.loader import Config, ConfigError
from bot.operations.metrics import default_metrics
from bot.operations.server import OpsServer, parse_listen, start_ops_server
from bot.processes.gc_tuning import spare_long_lived_objects_from_gc
from bot.telegram.application import build_application
from bot.telegram.backlog import BacklogQueue
from bot.telegram.checkins import schedule_checkin_delivery
from bot.telegram.shared_inbox import check_shared

log = logging.getLogger("grow_coach")


def run_telegram(config: Config) -> int:
    """Runs until stopped; a database that cannot be opened, or a token Telegram refuses,
    raises ConfigError (one line on stderr, exit code 2)."""
    check_shared(config)
    coach = start_coach(config)
    try:
        with _quiet_invalid_token_reports():
            return _run(config, coach)
    except InvalidToken:
        # Never the exception's text: PTB puts the token itself in it.
        raise ConfigError(
            "telegram.token: Telegram rejected the bot token (401/404 at start-up); "
            "check [telegram] token or GROW_COACH_TELEGRAM_TOKEN"
        ) from None


def _run(config: Config, coach: Coach) -> int:
    application = build_application(config, coach)
    schedule_checkin_delivery(application, config, coach)
    serve_operations(application, config, coach)
    spare_long_lived_objects_from_gc()
    telegram = config.telegram
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
    return 0


def serve_operations(application: Application, config: Config, coach: Coach) -> None:  # type: ignore[type-arg]
    """/healthz and /metrics on `[metrics] listen`, on the application's own event loop:
    started after PTB's start-up hook, closed before the coach is."""
    address = parse_listen(config.metrics.listen)
    metrics = default_metrics()
    queue = application.update_queue
    if isinstance(queue, BacklogQueue):
        metrics.update_queue_depth.set_function(lambda: queue.unhandled)
    if address is None:
        return
    host, port = address
    started_hook, stopped_hook = application.post_init, application.post_shutdown
    servers: list[OpsServer] = []

    async def database_answers() -> bool:
        await coach.ping()
        return True

    async def start(app: Application) -> None:  # type: ignore[type-arg]
        if started_hook is not None:
            await started_hook(app)
        try:
            servers.append(await start_ops_server(host, port, database_answers, metrics=metrics))
        except OSError as error:
            raise ConfigError(
                f'metrics.listen: cannot serve /healthz and /metrics on "{config.metrics.listen}": '
                f"{error.strerror or type(error).__name__}"
            ) from None

    async def stop(app: Application) -> None:  # type: ignore[type-arg]
        for server in servers:
            await server.close()
        if stopped_hook is not None:
            await stopped_hook(app)

    application.post_init = start
    application.post_shutdown = stop


class _DropInvalidTokenReports(logging.Filter):
    """PTB logs a rejected token with a traceback before raising it; the one line
    `run_telegram` turns it into says all there is to say."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, InvalidToken)


@contextmanager
def _quiet_invalid_token_reports() -> Iterator[None]:
    quiet = _DropInvalidTokenReports()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def start_coach(config: Config) -> Coach:
    """The coach in service processes, or in this process (which then loads the database
    layer, the engine and the content itself)."""
    url = config.database_url()
    dialect = parse_database_url(url).drivername.partition("+")[0]
    workers = service_processes(config.database.processes, dialect)
    if workers:
        from bot.processes.service_process import ServiceProcess

        return ServiceProcess(config, workers)
    from bot.coaching.local_coach import LocalCoach
    from bot.coaching.wiring import build_service, open_database

    # No deadline per call here: a hung PostgreSQL call ends at statement_timeout or
    # lock_timeout (README, "Reliability"); SQLite's work runs on the event loop.
    return LocalCoach(build_service(config, open_database(config)))


def service_processes(configured: int | None, dialect: str) -> int:
    """How many service processes do the database work (0: this process does it).

    "auto" is one on SQLite: Telegram I/O and the database work then use two cores, and
    the bot itself never loads the database layer. PostgreSQL gets two, so that one
    leader's commit can wait on the network while another's runs. SQLite never gets more
    than one: a second would only wait for the write lock.
    """
    if configured is None:
        return 1 if dialect == "sqlite" else 2
    return min(configured, 1) if dialect == "sqlite" else configured
