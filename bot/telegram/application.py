"""The PTB application: built once with `Application.builder()`, handlers registered here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.checkin_delivery import worker_name
from bot.coaching.contract import Coach
from bot.config.loader import Config
from bot.frontend_texts import frontend_texts
from bot.telegram.backlog import BacklogQueue
from bot.telegram.coachbot import CoachBot, keep_leaders_words_out_of_logs
from bot.telegram.flood import LeaderRateLimit
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.http import AiohttpRequest
from bot.telegram.ordering import PerUserUpdateProcessor
from bot.telegram.pacing import PerChatRateLimiter
from bot.telegram.shared_inbox import InboxQueue, register_shared_inbox, shared

log = logging.getLogger("grow_coach.telegram")

Menu = tuple[tuple[str, str], ...]

# Retries of the command menu after a failed registration: 1 s, 2 s, 4 s … at most 5 min.
MENU_RETRY_FIRST = 1.0
MENU_RETRY_MAX = 300.0

# Updates handled at once, each of a different leader (a leader's own wait their turn
# without a slot). More than the HTTP pool only makes them wait for a connection.
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
        # A 429 holds back only the chat it was for; see bot/telegram/pacing.py.
        rate_limiter=PerChatRateLimiter(max_retries=telegram.max_retries),
    )
    keep_leaders_words_out_of_logs()
    texts = frontend_texts(config.coaching.language)
    handlers = TelegramHandlers(coach, texts)
    rate_limit = LeaderRateLimit(telegram.leader_burst, telegram.leader_interval.total_seconds())
    processor = PerUserUpdateProcessor(CONCURRENT_UPDATES, rate_limit, handlers.on_over_rate)
    worker = worker_name()
    cap = telegram.max_backlog
    queue = InboxQueue(cap, coach, worker) if shared(config) else BacklogQueue(cap)
    application = (
        Application.builder()
        .bot(bot)
        .update_queue(queue)
        .concurrent_updates(processor)
        .post_init(_menu_registration(texts.menu))
        .post_shutdown(_closing(coach))
        .build()
    )
    register_handlers(application, handlers)
    if shared(config):
        register_shared_inbox(application, coach, worker, rate_limit, handlers.on_over_rate)
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
    # A shared location sets the time zone (read in the service process: timezonefinder
    # is too big for this one); a venue carries a location too.
    application.add_handler(MessageHandler(PRIVATE & filters.LOCATION, handlers.on_location))
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


def _menu_registration(menu: Menu) -> Callable[[Application], Awaitable[None]]:  # type: ignore[type-arg]
    async def register_menu(application: Application) -> None:  # type: ignore[type-arg]
        """The menu is a convenience: a Telegram hiccup at start-up must not keep coaching
        down (PTB stops the whole application when post_init raises), so it is tried again later."""
        try:
            await application.bot.set_my_commands(_commands(menu))
        except TelegramError as error:
            log.warning("command menu not registered (%s): trying again", type(error).__name__)
            _retry_menu(application, menu, MENU_RETRY_FIRST)

    return register_menu


def _retry_menu(application: Application, menu: Menu, delay: float) -> None:  # type: ignore[type-arg]
    async def again(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await context.bot.set_my_commands(_commands(menu))
        except TelegramError as error:
            log.warning("command menu not registered (%s): trying again", type(error).__name__)
            _retry_menu(application, menu, min(delay * 2, MENU_RETRY_MAX))
        else:
            log.info("command menu registered")

    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_once(again, delay, name="command-menu")


def _commands(menu: Menu) -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in menu]
