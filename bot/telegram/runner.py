"""`grow-coach run` with a Telegram token: long polling or a webhook."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import Update

from bot.app import build_service
from bot.config import Config
from bot.telegram.application import build_application
from storage.db import Database

log = logging.getLogger("grow_coach")


def run_telegram(config: Config, db: Database) -> int:
    service = build_service(config, db)
    application = build_application(config, service)
    telegram = config.telegram
    from bot.telegram.checkins import install_dispatcher

    install_dispatcher(application, config, service)
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
    db.dispose()
    return 0
