"""One handler per thing a leader can do in Telegram.

Handlers turn an update into an engine event, let the service commit it, and only then
send the replies. Logs carry update and user ids, never what the leader wrote.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.coaching.contract import Coach, Handled, StoreUnavailable
from bot.frontend_texts import FrontendTexts
from bot.operations.metrics import default_metrics
from bot.telegram.formatting import (
    MESSAGE_LIMIT,
    answered,
    as_html,
    keyboard,
    merged,
    parse_callback,
    split_text,
)
from flows.events import Event, Reply

log = logging.getLogger("grow_coach.telegram")

CHANNEL = "telegram"
CAPTION_LIMIT = 1024
PHOTO_TYPES = ("image/png", "image/jpeg")
MAX_GROUPS_REMEMBERED = 10_000


class TelegramHandlers:
    def __init__(self, coach: Coach, texts: FrontendTexts) -> None:
        self.coach = coach
        self.texts = texts
        self._told_groups: dict[int, None] = {}
        # Per leader, the courtesy calls of their last press still on their way.
        self._courtesies: dict[int, asyncio.Task[None]] = {}

    # what the leader does

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        words = message.text.split()
        name = words[0].lstrip("/").split("@")[0] if words else ""
        await self._handle(update, context, Event.command(name, text=message.text))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        await self._handle(update, context, Event.message(message.text or ""))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with default_metrics().handling_update("choice"):
            await self._on_button(update, context)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        parsed = parse_callback(query.data)
        question, value = parsed if parsed is not None else (-1, "")
        event = Event.pick(value, question)
        handled = await self._run(update, event)
        if handled is None:
            await _quietly(query.answer())
            return
        message = query.message if isinstance(query.message, Message) else None
        # The tap is answered last (see _after); the edit that shows the choice goes first.
        courtesies: list[Awaitable[object]] = []
        if handled.refused:
            # Someone access control turns away: nothing was taken, so nothing is marked.
            courtesies.append(query.answer())
        elif handled.expired or handled.duplicate:
            if message is not None and message.reply_markup is not None:
                courtesies.append(message.edit_reply_markup(reply_markup=None))
            courtesies.append(query.answer(self.texts.expired))
        else:
            if message is not None:
                label = _label_of(message, query.data or "") or value
                text = (message.text or "")[: MESSAGE_LIMIT - len(label) - 4]
                courtesies.append(message.edit_text(answered(text, label), parse_mode=ParseMode.HTML))
            courtesies.append(query.answer())
        # The next question first: each Bot API call is a network round trip, and the
        # leader waits for the question, not for the tick on the pressed button.
        try:
            await self._send(update, context, handled)
        finally:
            self._after(update, courtesies)

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        location = message.location if message is not None else None
        if location is None:
            await self.on_unsupported(update, context)
            return
        await self._handle(update, context, Event.location(location.latitude, location.longitude))

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle(update, context, Event.unsupported())

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        log.info("update=%s user=%s edited message ignored", update.update_id, _user_id(update))
        await self._tell(context.bot, chat.id, self.texts.edited, update.update_id)

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None or chat.id in self._told_groups:
            return
        if len(self._told_groups) >= MAX_GROUPS_REMEMBERED:
            self._told_groups.pop(next(iter(self._told_groups)))
        self._told_groups[chat.id] = None
        log.info("update=%s group=%s told coaching is private", update.update_id, chat.id)
        await self._tell(context.bot, chat.id, self.texts.groups_are_private, update.update_id)

    async def on_over_rate(self, update: Update, tell: bool) -> None:
        """An update over the leader's message rate, not handled: the first of a burst is
        answered with the too-fast notice; a tapped button always gets its callback answered."""
        if update.callback_query is not None:
            await _quietly(update.callback_query.answer(self.texts.too_fast_tap))
            return
        chat = update.effective_chat
        if tell and chat is not None and chat.type == chat.PRIVATE:
            await self._tell(update.get_bot(), chat.id, self.texts.too_fast, update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        log.error(
            "update=%s user=%s handler failed: %s",
            update_id,
            _user_id(update) if isinstance(update, Update) else None,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(update, Update) and chat is not None and chat.type == chat.PRIVATE:
            # The handler may have failed after the answer was committed (e.g. Telegram
            # refused the reply), so asking for the same answer again could store it as the
            # next question's: /start repeats whichever question is current, right in both cases.
            await self._tell(context.bot, chat.id, self.texts.something_wrong, update_id)

    # plumbing

    async def _handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
        with default_metrics().handling_update(event.kind):
            handled = await self._run(update, event)
            if handled is not None:
                await self._send(update, context, handled)

    def _after(self, update: Update, calls: list[Awaitable[object]]) -> None:
        """Edit and answer a press once its replies are out, without holding its slot.

        One after the other, the tap answered last: its spinner stops once the choice is
        shown. The leader's next update waits for them (see _run), so they never land
        out of turn."""
        user = update.effective_user
        key = user.id if user is not None else 0

        async def courtesies() -> None:
            for call in calls:
                await _quietly(call)

        task = asyncio.create_task(courtesies(), name=f"courtesies-{update.update_id}")
        self._courtesies[key] = task
        task.add_done_callback(partial(self._courtesies_done, key, update.update_id))

    def _courtesies_done(self, key: int, update_id: int, task: asyncio.Task[None]) -> None:
        if self._courtesies.get(key) is task:
            del self._courtesies[key]
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("update=%s courtesy calls failed: %s", update_id, type(error).__name__)

    async def _courtesies_of(self, user_id: int) -> None:
        task = self._courtesies.get(user_id)
        if task is not None:
            await asyncio.wait([task])

    async def _run(self, update: Update, event: Event) -> Handled | None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return None
        await self._courtesies_of(user.id)
        try:
            # Committed before this returns, in this process or a service process.
            handled = await self.coach.handle(CHANNEL, str(user.id), event, update_id=update.update_id)
        except StoreUnavailable:
            # Nothing of this message was stored (the transaction never began): ask for it again.
            log.warning("update=%s user=%s database unavailable", update.update_id, user.id)
            await self._tell(update.get_bot(), chat.id, self.texts.try_again, update.update_id)
            return None
        log.info(
            "update=%s user=%s event=%s%s",
            update.update_id,
            user.id,
            event.kind,
            " duplicate" if handled.duplicate else "",
        )
        return handled

    async def _send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, handled: Handled) -> None:
        chat = update.effective_chat
        assert chat is not None
        await send_replies(
            context.bot, chat.id, handled.replies, self.coach, update.update_id, leader=not handled.refused
        )

    async def _tell(self, bot: Bot, chat_id: int, text: str, update_id: int | None) -> None:
        """One line outside the coaching conversation (a notice, an apology).

        Whoever gets it may be no stored leader (a group, an edit, a failed update), so a
        403 must not create or change a leader; and if Telegram itself is failing, the
        log line is all there is to do.
        """
        try:
            await send_reply(bot, chat_id, Reply(text), self.coach, update_id, leader=False)
        except TelegramError as error:
            log.warning("update=%s chat=%s could not be told: %s", update_id, chat_id, type(error).__name__)


async def send_replies(
    bot: Bot,
    chat_id: int,
    replies: Iterable[Reply],
    coach: Coach,
    update_id: int | None = None,
    *,
    leader: bool = True,
) -> bool:
    """Send an answer's replies in order, as few messages as they fit in (`merged`).

    False when the chat refuses the bot (403): the rest is not sent."""
    for reply in as_messages(bot, replies):
        if not await send_reply(bot, chat_id, reply, coach, update_id, leader=leader):
            return False
    return True


def as_messages(bot: Bot, replies: Iterable[Reply]) -> list[Reply]:
    """The replies as the messages they go out as: links made, plain texts joined."""
    return merged(_linked(bot, reply) for reply in replies)


def _linked(bot: Bot, reply: Reply) -> Reply:
    if reply.start_param is None:
        return reply
    # Only the front end knows the bot's address (getMe), so the link is made here.
    linked = reply.with_link(f"https://t.me/{bot.username}?start={reply.start_param}")
    return dataclasses.replace(linked, start_param=None)


async def send_reply(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    coach: Coach,
    update_id: int | None = None,
    *,
    leader: bool = True,
) -> bool:
    """Send one reply; False when the chat refuses the bot (403) and nothing more should go.

    Only a stored leader is marked inactive: a group, or someone access control turned
    away, must not get a users row just because our one line to them bounced.
    """
    reply = _linked(bot, reply)
    sends = _sends(bot, chat_id, reply)
    for send in sends:
        try:
            await _send_with_retries(send, chat_id, update_id)
        except Forbidden:
            if not leader:
                log.info("update=%s chat=%s refuses messages", update_id, chat_id)
                return False
            log.info("update=%s chat=%s blocked the bot: marked inactive", update_id, chat_id)
            await coach.set_active(CHANNEL, str(chat_id), False)
            return False
    return True


# Four tries after the first, 7.5 s in all: fewer still lost replies in the fault test
# (tests/e2e/test_reliability_telegram_faults.py; bench/README.md, "Figures behind the code").
SEND_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


Send = Callable[[], Awaitable[None]]


def _sends(bot: Bot, chat_id: int, reply: Reply) -> list[Send]:
    """The API calls one reply takes, in order; the buttons go on the last one."""
    attachment = reply.attachment
    if attachment is not None and attachment.media_type in PHOTO_TYPES:
        # A chart: shown in the chat, with its summary as the caption when that fits
        # (1024 characters); a longer summary follows the picture as a message.
        if len(reply.text) <= CAPTION_LIMIT:
            return [partial(_send_photo, bot, chat_id, reply, reply.text, keyboard(reply))]
        photo = partial(_send_photo, bot, chat_id, reply, "", None)
        return [photo, *_text_sends(bot, chat_id, reply)]
    if attachment is not None:
        return [partial(_send_document, bot, chat_id, reply)]
    return _text_sends(bot, chat_id, reply)


def _text_sends(bot: Bot, chat_id: int, reply: Reply) -> list[Send]:
    pieces = split_text(reply.text)
    markups = [None] * (len(pieces) - 1) + [keyboard(reply)]
    return [
        partial(_send_text, bot, chat_id, as_html(piece), markup)
        for piece, markup in zip(pieces, markups, strict=True)
    ]


async def _send_text(bot: Bot, chat_id: int, html_text: str, markup: InlineKeyboardMarkup | None) -> None:
    await bot.send_message(chat_id, html_text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _send_photo(
    bot: Bot, chat_id: int, reply: Reply, caption: str, markup: InlineKeyboardMarkup | None
) -> None:
    attachment = reply.attachment
    assert attachment is not None
    await bot.send_photo(
        chat_id,
        InputFile(attachment.content, filename=attachment.filename),
        caption=as_html(caption) if caption else None,
        parse_mode=ParseMode.HTML if caption else None,
        reply_markup=markup,
    )


async def _send_document(bot: Bot, chat_id: int, reply: Reply) -> None:
    attachment = reply.attachment
    assert attachment is not None
    await bot.send_document(
        chat_id,
        InputFile(attachment.content, filename=attachment.filename),
        caption=as_html(reply.text[:CAPTION_LIMIT]) if reply.text else None,
        parse_mode=ParseMode.HTML,
        # Telegram would guess the type from the content; the name says what it is.
        disable_content_type_detection=True,
    )


async def _send_with_retries(send: Send, chat_id: int, update_id: int | None) -> None:
    """A 5xx or a timeout must not cost the leader their next question: try again.

    The answer is already committed, so the only risk of retrying is a message the API
    delivered even though its response never reached us: then it shows twice, which is
    better than a leader left waiting for a question that never comes.
    """
    for delay in (*SEND_RETRY_DELAYS, None):
        try:
            await send()
            return
        except BadRequest:
            raise  # a subclass of NetworkError in PTB, but retrying cannot fix it
        except NetworkError as error:
            if delay is None:
                raise
            log.warning(
                "update=%s chat=%s send failed (%s): retrying in %.1fs",
                update_id,
                chat_id,
                type(error).__name__,
                delay,
            )
            await asyncio.sleep(delay)


def _label_of(message: Message, data: str) -> str | None:
    markup = message.reply_markup
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


async def _quietly(call: object) -> None:
    """Edits and callback answers are courtesies: a stale one, or Telegram failing one
    (a 5xx, retries used up), must not stop the reply; the answer is already stored."""
    try:
        await call  # type: ignore[misc]
    except BadRequest as error:
        log.debug("courtesy call failed: %s", type(error).__name__)
    except TelegramError as error:
        log.warning("courtesy call failed: %s", type(error).__name__)
