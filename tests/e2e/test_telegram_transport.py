"""The bot's aiohttp transport (bot/telegram/http.py) against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram.coachbot import PAYLOAD_LOGGERS, keep_leaders_words_out_of_logs
from bot.telegram.http import AiohttpRequest
from devtools.telegram_emulator import BotApiEmulator

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

TOKEN = "123456:TEST-TOKEN"
UID = 1001


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        emulator.add_user(UID, first_name="Ana")
        yield emulator


def transport_bot(base_url: str, **timeouts: float) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=AiohttpRequest(4, **timeouts))


@pytest.mark.asyncio
async def test_messages_keyboards_and_edits_arrive_as_sent(emu: BotApiEmulator) -> None:
    async with transport_bot(emu.base_url) as bot:
        sent = await bot.send_message(UID, "Tom &amp; <b>Jerry</b> 🙂", parse_mode="HTML")
        await bot.edit_message_text("edited", chat_id=UID, message_id=sent.message_id)
    [message] = emu.bot_messages(UID)
    assert message.text == "edited"
    assert bot.username == "grow_coach_bot"


@pytest.mark.asyncio
async def test_files_go_as_multipart(emu: BotApiEmulator) -> None:
    async with transport_bot(emu.base_url) as bot:
        # A PNG's signature and IHDR (80 x 60), which is what the emulator reads of it.
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (80).to_bytes(4, "big") + (60).to_bytes(4, "big")
        photo = await bot.send_photo(UID, photo=png + bytes(100 - len(png)), caption="chart")
        document = await bot.send_document(UID, document=b"my goals", filename="goals.txt")
    assert photo.photo[-1].file_size == 100 and photo.caption == "chart"
    assert document.document is not None and document.document.file_size == 8
    assert [m.photo for m in emu.bot_messages(UID)] == [True, False]


@pytest.mark.asyncio
async def test_api_errors_keep_their_meaning(emu: BotApiEmulator) -> None:
    async with transport_bot(emu.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(UID, "x" * 4097)
        emu.configure(global_rate=1.0)
        await bot.send_message(UID, "first")
        with pytest.raises(RetryAfter):
            await bot.send_message(UID, "second")
        emu.configure(global_rate=None)
        emu.block(UID)
        with pytest.raises(Forbidden):
            await bot.send_message(UID, "after the block")
    assert [m.text for m in emu.bot_messages(UID)] == ["first"]


@pytest.mark.asyncio
async def test_a_slow_answer_is_a_timeout(emu: BotApiEmulator) -> None:
    async with transport_bot(emu.base_url) as bot:
        emu.delay_next("sendMessage", 0.5, deliver=True)
        with pytest.raises(TimedOut):
            await bot.send_message(UID, "late", read_timeout=0.1)
        # The configured default applies when a call names no timeout.
        slow = transport_bot(emu.base_url, read_timeout=0.1)
        async with slow:
            emu.delay_next("sendMessage", 0.5, deliver=True)
            with pytest.raises(TimedOut):
                await slow.send_message(UID, "late again")
        await bot.send_message(UID, "on time")
    await emu.wait_for(lambda: len(emu.bot_messages(UID)) == 3, timeout=3)


@pytest.mark.asyncio
async def test_nobody_listening_is_a_network_error(emu: BotApiEmulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


@pytest.mark.asyncio
async def test_calls_in_flight_share_the_pool(emu: BotApiEmulator) -> None:
    async with transport_bot(emu.base_url) as bot:
        await asyncio.gather(*(bot.send_message(UID, f"m{i}") for i in range(40)))
    assert sorted(m.text for m in emu.bot_messages(UID)) == sorted(f"m{i}" for i in range(40))


@pytest.mark.asyncio
async def test_unused_or_closed_transport_refuses_to_send() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "POST")


@pytest.mark.asyncio
async def test_an_html_error_page_is_one_warning_without_the_page(
    emu: BotApiEmulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The filters and levels it installs are undone after this test.
    for name in ("telegram", *PAYLOAD_LOGGERS):
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "filters", list(logger.filters))
        monkeypatch.setattr(logger, "level", logger.level)
    keep_leaders_words_out_of_logs()
    emu.fail_next("sendMessage", 502)
    async with transport_bot(emu.base_url) as bot:
        with caplog.at_level("DEBUG", logger="telegram"), pytest.raises(NetworkError):
            await bot.send_message(UID, "lost to the gateway")
        await bot.send_message(UID, "next try")
    [record] = [r for r in caplog.records if "JSON" in r.getMessage()]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert "Bad Gateway" not in record.getMessage() and "<html>" not in caplog.text
    assert [m.text for m in emu.bot_messages(UID)] == ["next try"]
