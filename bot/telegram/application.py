"""The PTB application: built once with `Application.builder()`, handlers registered here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.coach import Coach
from bot.config import Config
from bot.telegram.coachbot import CoachBot, keep_leaders_words_out_of_logs
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.http import AiohttpRequest
from bot.telegram.ordering import PerUserUpdateProcessor

MENU = (
    ("start", "Begin, or pick up where you left off"),
    ("new", "Start a new coaching session"),
    ("status", "Where you are, your goal, next check-in"),
    ("goals", "Your active goals; close one"),
    ("rescore", "Revisit a goal scored below 8"),
    ("help", "What I can do"),
    ("cancel", "Leave the current conversation"),
)

log = logging.getLogger("grow_coach.telegram")

# Retries of the command menu after a failed registration: 1 s, 2 s, 4 s … at most 5 min.
MENU_RETRY_FIRST = 1.0
MENU_RETRY_MAX = 300.0

# Updates handled at once (different leaders; one leader's are serialised anyway). More
# than the HTTP pool only makes them wait for a connection.
CONCURRENT_UPDATES = 16

PRIVATE = filters.ChatType.PRIVATE
NOT_TEXT = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Document.ALL
    | filters.LOCATION
    | filters.VENUE
    | filters.CONTACT
    | filters.ANIMATION
    | filters.POLL
    | filters.Dice.ALL
)


def build_application(config: Config, coach: Coach) -> Application:  # type: ignore[type-arg]
    telegram = config.telegram
    timeouts = {
        "connect_timeout": telegram.connect_timeout.total_seconds(),
        "read_timeout": telegram.read_timeout.total_seconds(),
        "write_timeout": telegram.read_timeout.total_seconds(),
        "pool_timeout": telegram.connect_timeout.total_seconds(),
    }
    bot = CoachBot(
        telegram.token,
        base_url=telegram.base_url,
        base_file_url=telegram.base_file_url,
        request=AiohttpRequest(CONCURRENT_UPDATES, **timeouts),
        get_updates_request=AiohttpRequest(
            connection_pool_size=2,
            **{
                **timeouts,
                "read_timeout": timeouts["read_timeout"] + telegram.poll_timeout.total_seconds(),
            },
        ),
        # Replies answer a leader's own message and are not capped at the ~30/s Telegram
        # allows for broadcasts (that cap would queue 200 leaders' replies for seconds);
        # proactive check-ins are paced by the dispatcher instead. Group limits and 429
        # handling (waited out, max_retries times) stay on.
        rate_limiter=AIORateLimiter(overall_max_rate=0, max_retries=telegram.max_retries),
    )
    keep_leaders_words_out_of_logs()
    application = (
        Application.builder()
        .bot(bot)
        .concurrent_updates(PerUserUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(_register_menu)
        .post_shutdown(_closing(coach))
        .build()
    )
    register_handlers(application, TelegramHandlers(coach))
    return application


def _closing(coach: Coach) -> Callable[[Application], Awaitable[None]]:  # type: ignore[type-arg]
    async def close_coach(application: Application) -> None:  # type: ignore[type-arg]
        await coach.close()

    return close_coach


def register_handlers(application: Application, handlers: TelegramHandlers) -> None:  # type: ignore[type-arg]
    """Every update the bot reacts to, in the order PTB tries them."""
    application.add_handler(TypeHandler(Update, _ignore_non_private_chats(handlers)), group=-1)
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, handlers.on_edited))
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, handlers.on_command))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT, handlers.on_text))
    application.add_handler(MessageHandler(PRIVATE & NOT_TEXT, handlers.on_unsupported))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(MessageHandler(PRIVATE & filters.ALL, handlers.on_unsupported))
    application.add_error_handler(handlers.on_error)


def _ignore_non_private_chats(handlers: TelegramHandlers):  # type: ignore[no-untyped-def]
    """Groups and channels get one line and nothing else; nothing of theirs is stored."""

    async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None or chat.type == chat.PRIVATE:
            return
        if update.effective_message is not None and update.callback_query is None:
            await handlers.on_group(update, context)
        elif update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as error:  # a courtesy: too old or gone is fine
                log.debug("group callback answer failed: %s", type(error).__name__)
        raise ApplicationHandlerStop

    return gate


async def _register_menu(application: Application) -> None:  # type: ignore[type-arg]
    """The menu is a convenience: a Telegram hiccup at start-up must not keep coaching down
    (PTB stops the whole application when post_init raises), so it is tried again later."""
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in MENU])
    except TelegramError as error:
        log.warning("command menu not registered (%s): trying again", type(error).__name__)
        _retry_menu(application, MENU_RETRY_FIRST)


def _retry_menu(application: Application, delay: float) -> None:  # type: ignore[type-arg]
    async def again(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await context.bot.set_my_commands([BotCommand(name, text) for name, text in MENU])
        except TelegramError as error:
            log.warning("command menu not registered (%s): trying again", type(error).__name__)
            _retry_menu(application, min(delay * 2, MENU_RETRY_MAX))
        else:
            log.info("command menu registered")

    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_once(again, delay, name="command-menu")
