"""Leaders who talk to the real `grow-coach run` through the Bot API emulator, and a look
into what the bot stored. Starting the bot itself is devtools.bot_process (benchmarks use it too)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.telegram.formatting import PARAGRAPH
from devtools.bot_process import BOT_COMMAND, TOKEN, BotProcess, bot_env
from devtools.telegram_emulator import BotApiEmulator, SentMessage
from storage.db import Database
from storage.models import AnswerRow, CheckinRow, ConversationRow, GoalRow, LeaderRow, ScoreRow

CONSENT = "Yes, let's start"  # the onboarding consent button
# The command menu a leader sees in Telegram, in the order the bot registers it.
MENU = [
    "start",
    "new",
    "status",
    "goals",
    "progress",
    "rescore",
    "log",
    "engagement",
    "feedback",
    "help",
    "cancel",
]
# What the `start_bot` fixture (tests/e2e/conftest.py) hands a test: start a bot with
# this extra environment, get it back running.
Start = Callable[..., Awaitable[BotProcess]]


@asynccontextmanager
async def bot_with_menu(
    database_url: str, data_dir: Path, **env: str
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess]]:
    """`grow-coach run` against an emulator of its own, once it has registered its command
    menu (so it is polling); stopped on the way out. For a bot a whole module shares."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        bot = await BotProcess(bot_env(emulator, database_url, data_dir, **env), data_dir / "bot.log").start()
        try:
            await emulator.wait_for(lambda: emulator.commands, timeout=30)
            yield emulator, bot
        finally:
            await bot.stop()


class Leader:
    """A simulated leader: sends messages and waits for the bot to finish answering."""

    def __init__(
        self, emulator: BotApiEmulator, user_id: int, first_name: str = "Ana", *, settle: float = 0.25
    ) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.first_name = first_name
        # How long the chat must stay quiet before a turn counts as answered.
        self.settle = settle
        self.last_update_id: int | None = None

    @property
    def messages(self) -> list[SentMessage]:
        return self.emulator.bot_messages(self.user_id)

    def last(self) -> SentMessage:
        message = self.emulator.last_bot_message(self.user_id)
        assert message is not None, "the bot has sent nothing to this leader"
        return message

    def question(self) -> SentMessage:
        """The latest message that carries a keyboard, or the latest message."""
        for message in reversed(self.messages):
            if message.reply_markup:
                return message
        return self.last()

    async def send(
        self, text: str, timeout: float = 10.0, settle: float | None = None, *, expect: int | None = None
    ) -> list[SentMessage]:
        if text.startswith("/"):
            return await self.act(
                lambda: self.emulator.send_command(self.user_id, text, first_name=self.first_name),
                timeout,
                settle,
                expect=expect,
            )
        return await self.act(
            lambda: self.emulator.send_text(self.user_id, text, first_name=self.first_name),
            timeout,
            settle,
            expect=expect,
        )

    async def press(
        self,
        label: str,
        timeout: float = 10.0,
        settle: float | None = None,
        *,
        message: SentMessage | None = None,
        expect: int | None = None,
    ) -> list[SentMessage]:
        """Press the button with this label on the latest keyboard (or on `message`)."""
        message = message or self.question()
        data = button_data(message, label)
        return await self.press_data(
            message.message_id, data, strict=True, timeout=timeout, settle=settle, expect=expect
        )

    async def press_data(
        self,
        message_id: int,
        data: str,
        *,
        strict: bool = False,
        timeout: float = 10.0,
        settle: float | None = None,
        expect: int | None = None,
    ) -> list[SentMessage]:
        """A callback query with any data on any message: stale and forged presses included.

        The bot sends the next question before it edits the pressed message and answers
        the tap (issue 15), so the turn also waits for the tap's answer, the last of those.
        """
        replies = await self.act(
            lambda: self.emulator.press_button(
                self.user_id, message_id, data, strict=strict, first_name=self.first_name
            ),
            timeout,
            settle,
            expect=expect,
        )
        query = self.emulator.last_callback_query_id
        try:
            await self.emulator.wait_for(lambda: tap_answered(self.emulator, query), COURTESY_WAIT)
        except TimeoutError:
            pass  # a bot that never answers it (killed, say): the test's own checks tell
        return replies

    async def act(
        self,
        action: Callable[[], object],
        timeout: float = 10.0,
        settle: float | None = None,
        *,
        expect: int | None = None,
    ) -> list[SentMessage]:
        """Do something that makes an update (a sticker, an edit, a redelivery); wait for the replies.

        The emulator's update id for it, when the action returns one, is kept in `last_update_id`.
        """
        before = len(self.messages)
        result = action()
        self.last_update_id = result if isinstance(result, int) else None
        return await self.replies_after(before, timeout, settle, expect=expect)

    async def replies_after(
        self, before: int, timeout: float = 10.0, settle: float | None = None, *, expect: int | None = None
    ) -> list[SentMessage]:
        """The bot's messages after the first `before` ones, once it has answered.

        With `expect` the turn is over when that many messages have arrived, which stays
        exact however slowly the bot sends (its rate limiter spaces messages out when many
        leaders write at once); more messages may still follow and show up in the next turn.
        Without it the turn is over when the chat has been quiet for `settle` seconds.
        """
        await self.emulator.wait_for_bot_messages(self.user_id, before + (expect or 1), timeout=timeout)
        if expect is not None and settle is None:
            return self.messages[before:]
        settle = self.settle if settle is None else settle
        # The bot may send several messages for one answer; wait until it goes quiet.
        count = len(self.messages)
        while True:
            await asyncio.sleep(settle)
            if len(self.messages) == count:
                return self.messages[before:]
            count = len(self.messages)


# How long a press's turn waits for the bot to answer the tap after its replies.
COURTESY_WAIT = 3.0


def ends_with(message: SentMessage | str | None, wanted: Iterable[str]) -> bool:
    """The message is one of `wanted`, or ends with it: the bot joins plain replies to the
    question after them in one message (bot/telegram/formatting.py, `merged`), and the
    question is the message's last paragraph."""
    text = _text(message)
    return any(text == piece or text.endswith(PARAGRAPH + piece) for piece in wanted)


def has_part(message: SentMessage | str | None, wanted: Iterable[str]) -> bool:
    """One of `wanted` is the whole message, or a run of its paragraphs (first, last or between)."""
    text = _text(message)
    return any(
        text == piece
        or text.startswith(piece + PARAGRAPH)
        or text.endswith(PARAGRAPH + piece)
        or PARAGRAPH + piece + PARAGRAPH in text
        for piece in wanted
    )


def _text(message: SentMessage | str | None) -> str:
    return message if isinstance(message, str) else (message.text if message is not None else None) or ""


def tap_answered(emulator: BotApiEmulator, query_id: str | None) -> bool:
    """The bot called answerCallbackQuery for this tap (whatever the API made of it)."""
    return any(
        call.params.get("callback_query_id") == query_id for call in emulator.calls_of("answerCallbackQuery")
    )


def buttons(message: SentMessage) -> list[dict[str, Any]]:
    markup = message.reply_markup or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button_data(message: SentMessage, label: str) -> str:
    for button in buttons(message):
        if button["text"] == label:
            return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {[b['text'] for b in buttons(message)]}")


def free_port() -> int:
    """A loopback port nobody listens on right now (for the webhook server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Store:
    """Read what the bot stored, straight from its database (short transactions)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    @contextmanager
    def session(self) -> Iterator[Session]:
        db = Database(self.url)
        try:
            with db.session() as session:
                yield session
                session.expunge_all()
        finally:
            db.dispose()

    def user(self, external_id: int | str) -> LeaderRow | None:
        with self.session() as session:
            return session.scalars(select(LeaderRow).where(LeaderRow.external_id == str(external_id))).first()

    def external_ids(self) -> set[str]:
        with self.session() as session:
            return set(session.scalars(select(LeaderRow.external_id)))

    def _user_id(self, session: Session, external_id: int | str) -> int | None:
        return session.scalar(select(LeaderRow.id).where(LeaderRow.external_id == str(external_id)))

    def answers(self, external_id: int | str) -> list[tuple[str, str]]:
        """(step, text) of every stored answer, oldest first."""
        with self.session() as session:
            rows = session.execute(
                select(AnswerRow.step, AnswerRow.text)
                .where(AnswerRow.user_id == self._user_id(session, external_id))
                .order_by(AnswerRow.id)
            )
            return [(step, text) for step, text in rows]

    def scores(self, external_id: int | str) -> list[tuple[str, int]]:
        with self.session() as session:
            rows = session.execute(
                select(ScoreRow.kind, ScoreRow.value)
                .where(ScoreRow.user_id == self._user_id(session, external_id))
                .order_by(ScoreRow.id)
            )
            return [(kind, value) for kind, value in rows]

    def goals(self, external_id: int | str) -> list[str]:
        with self.session() as session:
            rows = session.scalars(
                select(GoalRow.text)
                .where(GoalRow.user_id == self._user_id(session, external_id))
                .order_by(GoalRow.created_at)
            )
            return list(rows)

    def conversation(self, external_id: int | str) -> tuple[str, str, int] | None:
        """(flow, state, question_seq), or None before the leader has one."""
        with self.session() as session:
            row = session.get(ConversationRow, self._user_id(session, external_id))
            return (row.flow, row.state, row.question_seq) if row is not None else None

    def checkins(self, external_id: int | str) -> list[tuple[str, str]]:
        """(kind, status) of every planned check-in, in id order."""
        with self.session() as session:
            rows = session.execute(
                select(CheckinRow.kind, CheckinRow.status)
                .where(CheckinRow.user_id == self._user_id(session, external_id))
                .order_by(CheckinRow.id)
            )
            return [(kind, status) for kind, status in rows]


__all__ = [
    "BOT_COMMAND",
    "CONSENT",
    "TOKEN",
    "BotProcess",
    "Leader",
    "Store",
    "bot_env",
    "button_data",
    "buttons",
    "free_port",
]
