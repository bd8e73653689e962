"""What goes out first after a button press (issue 15): the next question, then the courtesies.

Every Bot API call costs a network round trip, so the leader's next question must not wait
behind answering the tap and editing the pressed message. These tests look at the order in
which the emulator received the calls, never at times; the emulator adds a round trip to
every call, as a Bot API 20 ms away would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.frontend_texts import frontend_texts
from devtools.telegram_emulator import ApiCall, BotApiEmulator, SentMessage
from tests.support.bot_harness import CONSENT, TOKEN, BotProcess, Leader, Store, bot_env, ends_with, has_part
from tests.support.coach_driver import phrasings

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

EXPIRED = frontend_texts("en").expired
LEADER = 4040


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        emulator.configure(latency=0.02)
        yield emulator


@pytest_asyncio.fixture
async def bot(emulator: BotApiEmulator, database_url: str, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(bot_env(emulator, database_url, tmp_path), tmp_path / "bot.log")
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


def is_asked(message: SentMessage, flow: str, key: str, **values: object) -> bool:
    """The message asks this, alone or after the plain replies joined to it."""
    return ends_with(message, phrasings(flow, key, "ask", None, **values))


def position(calls: list[ApiCall], method: str, **params: object) -> int:
    """Where the one call of `method` with these parameters came among all calls."""
    found = [
        index
        for index, call in enumerate(calls)
        if call.method == method and all(str(call.params.get(k)) == str(v) for k, v in params.items())
    ]
    assert len(found) == 1, (method, params, found)
    return found[0]


def question_sent_at(calls: list[ApiCall], question: SentMessage) -> int:
    return position(calls, "sendMessage", chat_id=LEADER, text=question.raw_text)


async def test_after_a_press_the_next_question_goes_out_before_the_tap_is_answered_and_marked(
    emulator: BotApiEmulator, bot: BotProcess, database_url: str
) -> None:
    leader = Leader(emulator, LEADER)
    replies = await leader.send("/start", expect=1)
    consent = replies[-1]
    assert is_asked(consent, "onboarding", "consent")

    replies = await leader.press(CONSENT, expect=1)
    query = emulator.last_callback_query_id
    assert is_asked(replies[0], "onboarding", "name")
    calls = list(emulator.calls)
    asked = question_sent_at(calls, replies[0])
    assert asked < position(calls, "editMessageText", chat_id=LEADER, message_id=consent.message_id)
    assert asked < position(calls, "answerCallbackQuery", callback_query_id=query)
    # Both courtesies still happened: the choice is shown, the keyboard gone, the tap answered.
    assert len(consent.edits) == 1 and (consent.text or "").endswith(f"✓ {CONSENT}")
    assert consent.reply_markup is None
    assert [a["text"] for a in emulator.callback_answers if a["callback_query_id"] == query] == [None]
    user = Store(database_url).user(LEADER)
    assert user is not None and user.consented_at is not None

    # A press on the answered message: the question again first, then "expired" on the tap.
    replies = await leader.press_data(consent.message_id, "a:1:yes", expect=1)
    stale = emulator.last_callback_query_id
    assert has_part(replies[0], phrasings("errors", "expired"))
    assert is_asked(replies[0], "onboarding", "name")
    calls = list(emulator.calls)
    assert calls.index(next(c for c in reversed(calls) if c.method == "sendMessage")) < position(
        calls, "answerCallbackQuery", callback_query_id=stale
    )
    assert [a["text"] for a in emulator.callback_answers if a["callback_query_id"] == stale] == [EXPIRED]


async def test_a_typed_answer_gets_its_question_with_nothing_sent_before_it(
    emulator: BotApiEmulator, bot: BotProcess
) -> None:
    leader = Leader(emulator, LEADER)
    await leader.send("/start", expect=1)
    await leader.press(CONSENT, expect=1)
    before = len(emulator.calls)
    replies = await leader.send("Ana", expect=1)
    assert has_part(replies[0], phrasings("nudges", "understood_name", name="Ana"))
    assert is_asked(replies[0], "onboarding", "level", name="Ana")
    # The name read back and the next question are one message: nothing waits for an
    # earlier send's answer, and no chat action or edit goes ahead of it.
    to_leader = [
        call.method for call in emulator.calls[before:] if str(call.params.get("chat_id")) == str(LEADER)
    ]
    assert to_leader == ["sendMessage"]
