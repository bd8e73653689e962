"""Tests of the Telegram Bot API emulator, driven through an unmodified python-telegram-bot."""

from __future__ import annotations

import asyncio
import socket
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from devtools.telegram_emulator import BotApiEmulator

# PTB itself warns when it builds RetryAfter with an int (its v22.2 timedelta transition).
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

TOKEN = "123456:TEST-TOKEN"
UID = 1001


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="grow_coach_bot") as emulator:
        yield emulator


def build_app(emu: BotApiEmulator) -> Application:
    return Application.builder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    """An initialized PTB bot; UID has talked to it so its private chat exists."""
    app = build_app(emu)
    emu.add_user(UID, first_name="Ana")
    async with app:
        yield app.bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"b{i}", callback_data=d)] for i, d in enumerate(data)]
    )


def retry_seconds(error: RetryAfter) -> float:
    # PTB 22 deprecates the int form of retry_after; accept both forms quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value if isinstance(value, int) else value.total_seconds()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# end-to-end with a real Application


@pytest.mark.asyncio
async def test_polling_echo_and_button_roundtrip(emu: BotApiEmulator) -> None:
    app = build_app(emu)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(f"echo: {update.message.text}", reply_markup=keyboard("yes"))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer(f"got {query.data}")
        await query.edit_message_text("answered")

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(on_button))
    async with asyncio.timeout(15):
        async with app:
            assert app.bot.username == "grow_coach_bot"
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)

            emu.send_text(UID, "hello", first_name="Ana")
            [reply] = await emu.wait_for_bot_messages(UID, 1, timeout=5)
            assert reply.text == "echo: hello"
            assert reply.callback_data() == ["yes"]

            emu.press_button(UID, reply.message_id, "yes")
            await emu.wait_for(lambda: emu.callback_answers and reply.edits, timeout=5)
            assert emu.callback_answers[0]["text"] == "got yes"
            assert emu.callback_answers[0]["show_alert"] is False
            assert reply.text == "answered" and reply.reply_markup is None
            assert [v.text for v in reply.edits] == ["answered"]

            await app.updater.stop()
            await app.stop()
    assert emu.call_count("getMe") == 1
    assert emu.call_count("deleteWebhook") == 1
    polls = emu.calls_of("getUpdates")
    assert polls[0].params["timeout"] == 1
    await emu.wait_for_updates_consumed(timeout=2)


@pytest.mark.asyncio
async def test_simulated_update_kinds_reach_ptb(emu: BotApiEmulator) -> None:
    app = build_app(emu)
    seen: list[Update] = []

    async def collect(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    app.add_handler(TypeHandler(Update, collect))
    async with asyncio.timeout(15), app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        first = emu.send_command(UID, "/start coach")
        emu.send_sticker(UID)
        emu.send_photo(UID, caption="me")
        emu.send_voice(UID)
        emu.send_document(UID)
        emu.send_location(UID)
        emu.send_text(UID, "hi all", chat_id=-100123, chat_type="supergroup", chat_title="Team")
        emu.edit_user_message(UID, 1, "/start edited")
        emu.inject_update({"totally_unknown": {"x": 1}})
        await emu.wait_for(lambda: len(seen) >= 9, timeout=5)
        emu.redeliver(first)
        await emu.wait_for(lambda: len(seen) >= 10, timeout=5)
        await app.updater.stop()
        await app.stop()

    start = seen[0].message
    assert start is not None and start.text == "/start coach"
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    assert seen[1].message is not None and seen[1].message.sticker is not None
    assert seen[2].message is not None and seen[2].message.photo and seen[2].message.caption == "me"
    assert seen[3].message is not None and seen[3].message.voice is not None
    assert seen[4].message is not None and seen[4].message.document is not None
    assert seen[5].message is not None and seen[5].message.location is not None
    group = seen[6].message
    assert group is not None and group.chat.type == "supergroup" and group.chat.id == -100123
    assert seen[7].edited_message is not None and seen[7].edited_message.text == "/start edited"
    assert seen[8].update_id == first + 8 and seen[8].effective_message is None
    assert seen[9].update_id == first  # the duplicate keeps its update_id


# limits, through PTB's Bot


@pytest.mark.asyncio
async def test_get_me_and_chat(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.first_name == "GROW Coach" and me.username == "grow_coach_bot"
    assert me.can_join_groups is True and me.can_read_all_group_messages is False
    chat = await bot.get_chat(UID)
    assert chat.type == "private" and chat.first_name == "Ana"


@pytest.mark.asyncio
async def test_message_length_limits(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(UID, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)^message is too long$"):
        await bot.send_message(UID, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)^message text is empty$"):
        await bot.send_message(UID, "   ")
    # The limit applies after tags are removed and entities decoded.
    await bot.send_message(UID, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(UID, "<b>" + "&amp;" * 4097 + "</b>", parse_mode="HTML")
    sent = emu.bot_messages(UID)
    assert len(sent) == 2 and sent[1].text == "&" * 4096


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("a < b", 'unsupported start tag "" at byte offset 2'),
        ("<b>x", 'can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("é<b", "unclosed start tag at byte offset 2"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("fish & chips", 'unescaped "&" at byte offset 5'),
        ("a &nbsp; b", 'unescaped "&" at byte offset 2'),
        ("a > b", 'unescaped ">" at byte offset 2'),
    ],
)
@pytest.mark.asyncio
async def test_bad_html_is_rejected(emu: BotApiEmulator, bot: Bot, html: str, error: str) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(UID, html, parse_mode="HTML")
    assert info.value.message.lower().startswith("can't parse entities: ")
    assert error.lower() in info.value.message.lower()
    assert emu.bot_messages(UID) == []


@pytest.mark.asyncio
async def test_valid_html_gives_plain_text_and_entities(emu: BotApiEmulator, bot: Bot) -> None:
    html = (
        '<b>Goal</b> &lt;3 &#128512; <a href="https://example.org/?a=1&amp;b=2">link</a>\n'
        '<pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote><i><u>iu</u></i>&quot;"
    )
    message = await bot.send_message(UID, html, parse_mode="HTML")
    assert message.text == 'Goal <3 😀 link\nx = 1stqiu"'
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    assert ("bold", 0, 4) in kinds
    assert ("text_link", 11, 4) in kinds  # the emoji counts as two UTF-16 units
    assert ("pre", 16, 5) in kinds
    assert ("spoiler", 21, 1) in kinds and ("spoiler", 22, 1) in kinds
    assert ("expandable_blockquote", 23, 1) in kinds
    assert ("italic", 24, 2) in kinds and ("underline", 24, 2) in kinds
    link = next(e for e in message.entities if e.type == "text_link")
    assert link.url == "https://example.org/?a=1&b=2"
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "python"
    [stored] = emu.bot_messages(UID)
    assert stored.raw_text == html and stored.text == message.text and stored.parse_mode == "HTML"


@pytest.mark.asyncio
async def test_lenient_html_mode_keeps_bare_ampersand(emu: BotApiEmulator, bot: Bot) -> None:
    emu.configure(strict_html=False)
    message = await bot.send_message(UID, "fish & chips &amp &nbsp; > x", parse_mode="HTML")
    assert message.text == "fish & chips & &nbsp; > x"


@pytest.mark.asyncio
async def test_inline_keyboard_limits(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(UID, "ok", reply_markup=keyboard("x" * 64))
    with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
        await bot.send_message(UID, "bad", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
        await bot.send_message(UID, "bad", reply_markup=keyboard("é" * 33))  # 66 bytes
    with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
        await bot.send_message(UID, "bad", reply_markup=keyboard(""))
    empty_text = InlineKeyboardMarkup([[InlineKeyboardButton("", callback_data="a")]])
    with pytest.raises(BadRequest, match=r"(?i)button_text_invalid"):
        await bot.send_message(UID, "bad", reply_markup=empty_text)
    too_many = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(r * 8, r * 8 + 8)]
            for r in range(13)
        ]
    )
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(UID, "bad", reply_markup=too_many)
    assert [m.text for m in emu.bot_messages(UID)] == ["ok"]


@pytest.mark.asyncio
async def test_edit_rules(emu: BotApiEmulator, bot: Bot) -> None:
    sent = await bot.send_message(UID, "v1", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)^message to edit not found$"):
        await bot.edit_message_text("x", chat_id=UID, message_id=999)
    with pytest.raises(BadRequest, match=r"(?i)^message is not modified: specified new message content"):
        await bot.edit_message_text("v1", chat_id=UID, message_id=sent.message_id, reply_markup=keyboard("a"))
    edited = await bot.edit_message_text(
        "<b>v2</b>", chat_id=UID, message_id=sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
    )
    assert not isinstance(edited, bool) and edited.text == "v2"
    await bot.edit_message_reply_markup(chat_id=UID, message_id=sent.message_id, reply_markup=keyboard("b"))
    with pytest.raises(BadRequest, match=r"(?i)^message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=UID, message_id=sent.message_id, reply_markup=keyboard("b")
        )
    stored = emu.bot_message(UID, sent.message_id)
    assert stored is not None
    assert stored.text == "v2" and stored.raw_text == "<b>v2</b>" and stored.callback_data() == ["b"]
    assert [v.raw_text for v in stored.edits] == ["<b>v2</b>", "<b>v2</b>"]

    emu.send_text(UID, "user says")
    user_message_id = sent.message_id + 1  # message ids are shared per chat
    assert emu.user_message(UID, user_message_id) is not None
    with pytest.raises(BadRequest, match=r"(?i)^message can't be edited$"):
        await bot.edit_message_text("x", chat_id=UID, message_id=user_message_id)

    assert await bot.delete_message(UID, sent.message_id) is True
    assert stored.deleted
    with pytest.raises(BadRequest, match=r"(?i)^message to edit not found$"):
        await bot.edit_message_text("v3", chat_id=UID, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)^message to delete not found$"):
        await bot.delete_message(UID, sent.message_id)


@pytest.mark.asyncio
async def test_callback_query_answers(emu: BotApiEmulator, bot: Bot) -> None:
    sent = await bot.send_message(UID, "pick", reply_markup=keyboard("a"))
    with pytest.raises(LookupError):
        emu.press_button(UID, sent.message_id, "not-on-the-message")
    emu.press_button(UID, sent.message_id, "a")
    query_id = emu.last_callback_query_id
    assert query_id is not None
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="ok", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)^query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)^query is too old"):
        await bot.answer_callback_query("12345")
    assert emu.callback_answers == [
        {
            "callback_query_id": query_id,
            "text": "ok",
            "show_alert": True,
            "url": None,
            "cache_time": None,
            "update_id": emu.callback_answers[0]["update_id"],
        }
    ]


@pytest.mark.asyncio
async def test_chat_not_found_and_blocked_user(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await bot.send_message(4242, "hi")
    emu.block(UID)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(UID, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(UID, "typing")
    emu.unblock(UID)
    await bot.send_message(UID, "hi again")
    assert await bot.send_chat_action(UID, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(UID, "dancing")
    assert [m.text for m in emu.bot_messages(UID)] == ["hi again"]


def png_header(width: int, height: int, size: int = 1000) -> bytes:
    """The start of a PNG: signature and IHDR, which is all the emulator reads."""
    header = b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + b"IHDR"
    header += width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return header + bytes(size - len(header))


@pytest.mark.asyncio
async def test_photo_and_document_uploads(emu: BotApiEmulator, bot: Bot) -> None:
    photo = await bot.send_photo(UID, photo=png_header(800, 600), caption="<i>me</i>", parse_mode="HTML")
    assert photo.caption == "me" and photo.photo[-1].file_size == 1000
    again = await bot.send_photo(UID, photo=photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    await bot.send_photo(UID, photo="https://example.org/cat.jpg")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/http url specified"):
        await bot.send_photo(UID, photo="no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(UID, photo=png_header(800, 600), caption="c" * 1025)
    # Telegram turns away what is not an image, and sides out of its bounds.
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(UID, photo=b"123")
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(UID, photo=png_header(9000, 1200))
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(UID, photo=png_header(2100, 100))
    doc = await bot.send_document(UID, document=b"report", filename="r.txt")
    assert doc.document is not None and doc.document.file_size == 6
    assert doc.document.file_name == "r.txt"
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(UID, document=b"", filename="empty.txt")
    stored = emu.bot_messages(UID)
    assert [m.photo for m in stored] == [True, True, True, False]
    assert stored[0].text == "me" and stored[0].file_size == 1000 and stored[3].document
    file = await bot.get_file(doc.document.file_id)
    # What was uploaded comes back, so a test can read the files the bot sends.
    assert await file.download_as_bytearray() == bytearray(b"report")


@pytest.mark.asyncio
async def test_commands(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start a session"), ("goal", "Set a goal")])
    assert emu.commands == [
        {"command": "start", "description": "Start a session"},
        {"command": "goal", "description": "Set a goal"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "goal"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Bad-Command", "x")])
    await bot.delete_my_commands()
    assert emu.commands == [] and await bot.get_my_commands() == ()


# flood control and faults


@pytest.mark.asyncio
async def test_per_chat_rate_limit(emu: BotApiEmulator, bot: Bot) -> None:
    emu.configure(per_chat_rate=1.0, per_chat_burst=2)
    await bot.send_message(UID, "1")
    await bot.send_message(UID, "2")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(UID, "3")
    assert retry_seconds(info.value) >= 1
    assert emu.rate_limited_count == 1
    assert [m.text for m in emu.bot_messages(UID)] == ["1", "2"]
    call = emu.calls[-1]
    assert (call.method, call.status) == ("sendMessage", 429)


@pytest.mark.asyncio
async def test_global_rate_limit(emu: BotApiEmulator, bot: Bot) -> None:
    emu.configure(global_rate=5)
    for uid in range(2000, 2006):
        emu.add_user(uid)
    for uid in range(2000, 2005):
        await bot.send_message(uid, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(2005, "hi")
    assert emu.rate_limited_count == 1 and emu.bot_messages(2005) == []


@pytest.mark.asyncio
async def test_one_shot_faults_do_not_deliver(emu: BotApiEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(UID, "a")
    assert retry_seconds(info.value) == 3
    emu.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(UID, "b")
    emu.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(UID, "c")
    await bot.send_message(UID, "d")
    assert [m.text for m in emu.bot_messages(UID)] == ["d"]
    assert emu.rate_limited_count == 1
    assert [c.status for c in emu.calls_of("sendMessage")] == [429, 502, 500, 200]


@pytest.mark.asyncio
async def test_random_faults_are_seeded_and_exactly_once(emu: BotApiEmulator, bot: Bot) -> None:
    async def run() -> list[bool]:
        outcomes = []
        for i in range(30):
            try:
                await bot.send_message(UID, str(i))
                outcomes.append(True)
            except NetworkError:
                outcomes.append(False)
        return outcomes

    emu.configure(fault_rate=0.3, seed=7)
    first = await run()
    emu.configure(seed=7)
    second = await run()
    assert first == second and 0 < first.count(False) < 30
    assert len(emu.bot_messages(UID)) == first.count(True) * 2


@pytest.mark.asyncio
async def test_slow_responses_deliver_or_drop(emu: BotApiEmulator, bot: Bot) -> None:
    emu.delay_next("sendMessage", 0.5, deliver=True)
    with pytest.raises(TimedOut):
        await bot.send_message(UID, "late but delivered", read_timeout=0.1)
    assert [m.text for m in emu.bot_messages(UID)] == ["late but delivered"]

    emu.delay_next("sendMessage", 0.5, deliver=False)
    with pytest.raises(TimedOut):
        await bot.send_message(UID, "dropped", read_timeout=0.1)
    await emu.wait_for(lambda: emu.calls_of("sendMessage")[-1].status == 499, timeout=3)
    assert [m.text for m in emu.bot_messages(UID)] == ["late but delivered"]

    emu.configure(slow_rate=1.0, slow_seconds=0.05)
    await bot.send_message(UID, "slow but fine")
    assert len(emu.bot_messages(UID)) == 2


# getUpdates semantics


@pytest.mark.asyncio
async def test_get_updates_offset_limit_and_long_poll(emu: BotApiEmulator, bot: Bot) -> None:
    ids = [emu.send_text(UID, f"m{i}") for i in range(5)]
    batch = await bot.get_updates(limit=2)
    assert [u.update_id for u in batch] == ids[:2]
    batch = await bot.get_updates(offset=ids[2])
    assert [u.update_id for u in batch] == ids[2:]
    assert emu.pending_update_count == 3
    assert await bot.get_updates(offset=ids[-1] + 1, timeout=0) == ()
    assert emu.pending_update_count == 0

    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(offset=ids[-1] + 1, timeout=5))
    await asyncio.sleep(0.1)
    new_id = emu.send_text(UID, "wake up")
    [update] = await asyncio.wait_for(poll, 3)
    assert update.update_id == new_id and time.monotonic() - started < 2

    started = time.monotonic()
    assert await bot.get_updates(offset=new_id + 1, timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3

    emu.redeliver(new_id)
    [duplicate] = await bot.get_updates(offset=new_id + 1)
    assert duplicate.update_id == new_id and duplicate.message is not None
    assert await bot.get_updates(offset=new_id + 1) == ()


@pytest.mark.asyncio
async def test_second_poller_conflicts_first(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    # A second bot instance: PTB serialises getUpdates of one Bot over a single connection.
    async with Bot(TOKEN, base_url=emu.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=0.3))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 3)
        assert await asyncio.wait_for(second, 3) == ()


@pytest.mark.asyncio
async def test_allowed_updates_filter(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    emu.send_text(UID, "ignored")
    sent = await bot.send_message(UID, "q", reply_markup=keyboard("a"))
    press = emu.press_button(UID, sent.message_id, "a")
    assert [u.update_id for u in await bot.get_updates()] == [press]


# raw HTTP surface


@pytest.mark.asyncio
async def test_raw_http_tokens_methods_and_encodings(emu: BotApiEmulator) -> None:
    emu.add_user(UID)
    base = f"http://127.0.0.1:{emu.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/bot999:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{emu.base_url}{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404 and (await resp.json())["description"] == "Not Found"
        async with http.get(f"{emu.base_url}{TOKEN}/getme") as resp:
            body: dict[str, Any] = await resp.json()
            assert body["ok"] is True and body["result"]["username"] == "grow_coach_bot"
        async with http.get(
            f"{emu.base_url}{TOKEN}/sendMessage", params={"chat_id": str(UID), "text": "q"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "q"
        async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", json={"chat_id": UID, "text": ""}) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        form = {
            "chat_id": str(UID),
            "text": "f",
            "reply_markup": '{"inline_keyboard":[[{"text":"t","callback_data":"c"}]]}',
        }
        async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", data=form) as resp:
            assert (await resp.json())["result"]["reply_markup"]["inline_keyboard"][0][0][
                "callback_data"
            ] == "c"
        emu.fail_next("sendMessage", status=429, retry_after=2)
        async with http.post(
            f"{emu.base_url}{TOKEN}/sendMessage", json={"chat_id": UID, "text": "x"}
        ) as resp:
            assert resp.status == 429
            assert await resp.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 2",
                "parameters": {"retry_after": 2},
            }
        async with http.get(f"{emu.base_url}{TOKEN}/close") as resp:
            assert (await resp.json())["result"] is True
    assert [c.params.get("chat_id") for c in emu.calls_of("sendMessage")] == [UID] * 4


# webhook


@pytest.mark.asyncio
async def test_webhook_delivery_and_secret(emu: BotApiEmulator) -> None:
    app = build_app(emu)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"hook: {update.message.text}")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    port = free_port()
    async with asyncio.timeout(15), app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="tg-hook",
            webhook_url=f"http://127.0.0.1:{port}/tg-hook",
            secret_token="s3cret",
        )
        assert emu.webhook is not None and emu.webhook.secret_token == "s3cret"
        with pytest.raises(Conflict, match="webhook is active"):
            await app.bot.get_updates()

        emu.send_text(UID, "via hook")
        [reply] = await emu.wait_for_bot_messages(UID, 1, timeout=5)
        assert reply.text == "hook: via hook"
        await emu.wait_for_updates_consumed(timeout=5)

        update = {
            "message": {"message_id": 99, "date": 0, "chat": {"id": UID, "type": "private"}, "text": "x"}
        }
        assert await emu.push_webhook_with_secret(update, "wrong") == 403
        assert await emu.push_webhook_with_secret(update, None) == 403
        assert await emu.push_webhook_with_secret(update, "s3cret") == 200
        await emu.wait_for_bot_messages(UID, 2, timeout=5)

        info = await app.bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/tg-hook" and info.pending_update_count == 0
        await app.updater.stop()
        await app.stop()
        await app.bot.delete_webhook()
    assert emu.webhook is None
