"""How a reply with a chart goes out on Telegram: sendPhoto, the summary as its caption
when it fits in 1024 characters, else the photo and then the summary as a message."""

from __future__ import annotations

from typing import Any

from bot.telegram.handlers import CAPTION_LIMIT, send_reply
from flows.events import Attachment, Choice, Reply

PNG = Attachment("progress-goal-2026-12-01.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100))


class RecordingBot:
    """Stands in for telegram.Bot: keeps the calls a reply makes, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_photo(self, chat_id: int, photo: Any, **kwargs: Any) -> None:
        self.calls.append(("send_photo", {"photo": photo, **kwargs}))

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self.calls.append(("send_message", {"text": text, **kwargs}))

    async def send_document(self, chat_id: int, document: Any, **kwargs: Any) -> None:
        self.calls.append(("send_document", {"document": document, **kwargs}))


class NoCoach:
    async def set_active(self, channel: str, external_id: str, active: bool) -> None:
        raise AssertionError("nothing refused the message")


async def test_a_chart_with_a_short_summary_is_one_photo_with_a_caption() -> None:
    bot = RecordingBot()
    summary = 'Progress on "delegate the report"\nSelf-rating: 3 at the start (1 Sep), 7 now (24 Sep): +4'
    assert await send_reply(bot, 1, Reply(summary, attachment=PNG), NoCoach())  # type: ignore[arg-type]
    [(method, call)] = bot.calls
    assert method == "send_photo"
    assert call["photo"].input_file_content == PNG.content
    assert call["photo"].filename == PNG.filename and call["photo"].mimetype == "image/png"
    assert call["caption"] == summary
    assert call["parse_mode"] == "HTML"


async def test_a_chart_with_a_long_summary_is_a_photo_then_the_summary() -> None:
    bot = RecordingBot()
    summary = "Every rating, oldest first: " + ", ".join(["7"] * 400)
    assert len(summary) > CAPTION_LIMIT
    reply = Reply(summary, choices=(Choice("New session", "cmd:new"),), attachment=PNG)
    assert await send_reply(bot, 1, reply, NoCoach())  # type: ignore[arg-type]
    assert [method for method, _ in bot.calls] == ["send_photo", "send_message"]
    photo, message = bot.calls[0][1], bot.calls[1][1]
    assert photo["caption"] is None and photo["reply_markup"] is None
    assert message["text"] == summary
    # The buttons go under the last message.
    assert message["reply_markup"] is not None


async def test_a_file_that_is_not_a_picture_goes_as_a_document() -> None:
    bot = RecordingBot()
    export = Attachment("grow-coach-export.json", "application/json", b"{}")
    assert await send_reply(bot, 1, Reply("Your data", attachment=export), NoCoach())  # type: ignore[arg-type]
    assert [method for method, _ in bot.calls] == ["send_document"]
