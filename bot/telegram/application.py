"""The PTB application: built once with `Application.builder()`, handlers registered here."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.config import Config
from bot.service import CoachService
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.ordering import PerUserUpdateProcessor

MENU = (
    ("start", "Begin, or pick up where you left off"),
    ("new", "Start a new coaching session"),
    ("status", "Where you are, your goal, next check-in"),
    ("rescore", "Revisit a goal scored below 8"),
    ("help", "What I can do"),
    ("cancel", "Leave the current conversation"),
)

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


def build_application(config: Config, service: CoachService) -> Application:  # type: ignore[type-arg]
    telegram = config.telegram
    timeouts = {
        "connect_timeout": telegram.connect_timeout.total_seconds(),
        "read_timeout": telegram.read_timeout.total_seconds(),
        "write_timeout": telegram.read_timeout.total_seconds(),
        "pool_timeout": telegram.connect_timeout.total_seconds(),
    }
    application = (
        Application.builder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .request(HTTPXRequest(connection_pool_size=64, **timeouts))
        .get_updates_request(
            HTTPXRequest(
                connection_pool_size=2,
                **{
                    **timeouts,
                    "read_timeout": timeouts["read_timeout"] + telegram.poll_timeout.total_seconds(),
                },
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=telegram.max_retries))
        .concurrent_updates(PerUserUpdateProcessor(256))
        .post_init(_register_menu)
        .build()
    )
    register_handlers(application, TelegramHandlers(service))
    return application


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
    from telegram.ext import ApplicationHandlerStop, ContextTypes

    async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None or chat.type == chat.PRIVATE:
            return
        if update.effective_message is not None and update.callback_query is None:
            await handlers.on_group(update, context)
        elif update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop

    return gate


async def _register_menu(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in MENU])
