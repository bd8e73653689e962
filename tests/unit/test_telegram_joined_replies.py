"""Replies as Telegram messages: plain texts join the reply after them (issue 15).

Each message is a Bot API round trip, and a later one may only leave once the earlier one
is confirmed, so a line read back before the next question would delay the question by a
round trip; joined, they are one send and cannot arrive out of order.
"""

from __future__ import annotations

from typing import Any

from bot.telegram.formatting import MESSAGE_LIMIT, PARAGRAPH, merged
from bot.telegram.handlers import send_replies
from flows.events import Attachment, Choice, Reply

YES_NO = (Choice("Yes", "yes"), Choice("No", "no"))
PNG = Attachment("progress.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100))


class RecordingBot:
    """Stands in for telegram.Bot: keeps the calls the replies make, in order."""

    username = "grow_coach_bot"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self.calls.append(("send_message", {"text": text, **kwargs}))

    async def send_photo(self, chat_id: int, photo: Any, **kwargs: Any) -> None:
        self.calls.append(("send_photo", kwargs))


class NoCoach:
    async def set_active(self, channel: str, external_id: str, active: bool) -> None:
        raise AssertionError("nothing refused the message")


def test_a_line_read_back_and_the_next_question_are_one_message_with_its_buttons() -> None:
    replies = [Reply("Noted: Fri 4 Dec."), Reply("Who could support you?", YES_NO, question=7)]
    [message] = merged(replies)
    assert message.text == "Noted: Fri 4 Dec.\n\nWho could support you?"
    assert (message.choices, message.question) == (YES_NO, 7)


def test_buttons_end_a_message_and_what_follows_them_starts_the_next() -> None:
    replies = [Reply("Pick one", YES_NO, question=3), Reply("A note"), Reply("And the next question")]
    assert [m.text for m in merged(replies)] == ["Pick one", f"A note{PARAGRAPH}And the next question"]


def test_texts_that_would_pass_the_limit_together_stay_apart() -> None:
    long = "a" * (MESSAGE_LIMIT - 10)
    assert [len(m.text) for m in merged([Reply(long), Reply("b" * 9)])] == [MESSAGE_LIMIT - 10, 9]
    fits = merged([Reply("a" * (MESSAGE_LIMIT - 10)), Reply("b" * 8)])
    assert [len(m.text) for m in fits] == [MESSAGE_LIMIT]


def test_files_and_charts_are_never_joined() -> None:
    replies = [Reply("Before the chart"), Reply("Your progress", attachment=PNG), Reply("After it")]
    assert [m.text for m in merged(replies)] == ["Before the chart", "Your progress", "After it"]


async def test_the_leader_gets_one_send_with_the_link_made_before_joining() -> None:
    bot = RecordingBot()
    replies = [Reply("Share this: {start_link}", start_param="fb_abc"), Reply("Anything else?", YES_NO)]
    assert await send_replies(bot, 42, replies, NoCoach())  # type: ignore[arg-type]
    [(method, call)] = bot.calls
    assert method == "send_message"
    assert call["text"] == "Share this: https://t.me/grow_coach_bot?start=fb_abc\n\nAnything else?"
    assert [b.text for row in call["reply_markup"].inline_keyboard for b in row] == ["Yes", "No"]
