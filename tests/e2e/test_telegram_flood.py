"""One leader's flood must not starve the others: the real `grow-coach run` against the
emulator, each test with its own bot and the configuration it is about.

(a) another leader's answer is handled while a flooder's backlog still waits;
(b) what is over a leader's message rate is dropped with one notice, never silently;
(c) Telegram's 429 for one chat holds back only that chat;
(d) over the backlog cap the bot stops fetching, and Telegram keeps the updates.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.frontend_texts import frontend_texts
from devtools.telegram_emulator import BotApiEmulator
from tests.support.bot_harness import CONSENT, BotProcess, Leader, Start, Store, ends_with
from tests.support.coach_driver import phrasings

TOO_FAST = frontend_texts("en").too_fast

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

GOAL = "stop avoiding difficult conversations with my team"


@pytest.fixture
def start_bot(start_bot: Start, emulator: BotApiEmulator) -> Start:
    """conftest's, returning once the bot has registered its command menu (it polls then)."""

    async def start(**env: str) -> BotProcess:
        bot = await start_bot(**env)
        await emulator.wait_for(lambda: emulator.commands, timeout=30)
        return bot

    return start


async def onboard(leader: Leader, name: str = "Ana") -> None:
    await leader.send("/start", expect=1)
    await leader.press(CONSENT, expect=1)
    # The name and the zone are each read back before the next question, in its message.
    await leader.send(name, expect=1)
    await leader.press("Experienced manager", expect=1)
    replies = await leader.press("UTC", expect=1)
    assert ends_with(replies[-1], phrasings("grow", "goal", "ask", "open"))


def handled(bot: BotProcess, user_id: int) -> list[int]:
    """Update ids the bot handled for this leader, from its log (ids only, never words)."""
    return [int(m) for m in re.findall(rf"update=(\d+) user={user_id} event=", bot.log())]


async def test_a_flooding_leader_does_not_hold_up_another_leaders_next_question(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    # No rate limit here: the whole flood is queued, as a flood within the limit would be.
    bot = await start_bot(GROW_COACH_TELEGRAM_LEADER_BURST="1000")
    other = Leader(emulator, 7002, "Bo")
    await onboard(other)
    flooder = 7001
    flood = [emulator.send_text(flooder, f"one more thing, number {n}") for n in range(300)]
    replies = await other.send(GOAL, expect=1)

    # The other leader was answered while most of the flood still waited its turn.
    assert replies[0].text in phrasings("grow", "goal_measure", "ask")
    assert len(handled(bot, flooder)) < len(flood) // 2
    assert store.answers(7002) == [("goal", GOAL)]
    # And the flood itself is all handled in the end, in order.
    await emulator.wait_for(lambda: len(handled(bot, flooder)) == len(flood), timeout=60)
    assert handled(bot, flooder) == flood


async def test_a_leader_over_the_rate_is_told_once_and_only_what_was_taken_in_is_stored(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    bot = await start_bot(GROW_COACH_TELEGRAM_LEADER_BURST="20", GROW_COACH_TELEGRAM_LEADER_INTERVAL="1h")
    leader = Leader(emulator, 7101)
    # Onboarding waits for each reply, so none of it counts against the twenty.
    await onboard(leader)
    sent = {emulator.send_text(7101, f"also point {n}"): f"also point {n}" for n in range(300)}

    await emulator.wait_for(lambda: any(m.text == TOO_FAST for m in leader.messages), timeout=30)
    # The first of the flood found nothing waiting; twenty more were let in behind it.
    await emulator.wait_for(lambda: len(handled(bot, 7101)) == 5 + 21, timeout=30)
    await asyncio.sleep(1.0)  # anything more would show up now
    taken = [update for update in handled(bot, 7101) if update in sent]
    assert taken == sorted(sent)[:21]  # the first ones, in order; nothing later was run
    assert [m.text for m in leader.messages].count(TOO_FAST) == 1
    taken_words = {sent[update] for update in taken}
    stored = [text for step, text in store.answers(7101) if text.startswith("also point")]
    assert stored and set(stored) <= taken_words

    # The count of what was dropped goes to the log, once the flood is over or at exit.
    await bot.stop()
    log = bot.log()
    assert "user=7101 dropped=279 updates over the message rate limit" in log
    assert "also point 299" not in log


async def test_a_429_for_one_chat_does_not_delay_replies_to_another(
    emulator: BotApiEmulator, start_bot: Start
) -> None:
    await start_bot()
    first, second = Leader(emulator, 7201), Leader(emulator, 7202)
    emulator.fail_next("sendMessage", 429, retry_after=5)
    emulator.send_command(7201, "/start")
    await emulator.wait_for(lambda: emulator.rate_limited_count == 1)

    await second.send("/start", expect=1)
    # The second leader's replies went out inside the first chat's retry window.
    assert first.messages == []
    assert sent_statuses(emulator, 7201) == [429]
    await emulator.wait_for_bot_messages(7201, 1, timeout=15)


def sent_statuses(emulator: BotApiEmulator, chat_id: int) -> list[int]:
    return [call.status for call in emulator.calls_of("sendMessage") if call.params.get("chat_id") == chat_id]


async def test_over_the_backlog_cap_telegram_keeps_the_updates_until_the_bot_catches_up(
    emulator: BotApiEmulator, start_bot: Start
) -> None:
    cap, batch = 20, 100  # PTB fetches up to 100 updates at a time
    bot = await start_bot(GROW_COACH_TELEGRAM_MAX_BACKLOG=str(cap), GROW_COACH_TELEGRAM_LEADER_BURST="1000")
    # Telegram slow to accept each reply makes a slow bot.
    emulator.configure(slow_rate=1.0, slow_seconds=0.2, fault_methods=["sendMessage"])
    leaders = range(7300, 7330)
    updates = [emulator.send_command(user, "/help") for _ in range(10) for user in leaders]

    held_by_bot: list[int] = []
    kept_by_telegram_while_working: list[int] = []
    while True:
        done = sum(len(handled(bot, user)) for user in leaders)
        pending = emulator.pending_update_count
        held_by_bot.append(len(updates) - pending - done)
        if done:
            kept_by_telegram_while_working.append(pending)
        if done == len(updates):
            break
        await asyncio.sleep(0.02)
        assert len(held_by_bot) < 3000, "the backlog never drained"

    assert max(held_by_bot) <= cap + batch
    assert max(kept_by_telegram_while_working) >= len(updates) - cap - batch
    await emulator.wait_for_updates_consumed()
    for user in leaders:
        await emulator.wait_for_bot_messages(user, 10, timeout=30)
