"""Running the Telegram bot: crashes and restarts, webhooks, access control, bad updates.

Each test starts its own emulator and `grow-coach run` (the real console script) with the
configuration it is about, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from bot.frontend_texts import frontend_texts
from devtools.telegram_emulator import BotApiEmulator, SentMessage
from flows.content import load_part
from tests.support.bot_harness import (
    BOT_COMMAND,
    CONSENT,
    MENU,
    TOKEN,
    BotProcess,
    Leader,
    Start,
    Store,
    bot_env,
    ends_with,
    free_port,
    has_part,
)
from tests.support.coach_driver import phrasings

ACCESS = load_part("access", "en")
NOT_ALLOWED, NEEDS_INVITE, BAD_INVITE = (
    ACCESS.text("access", reason, "text") for reason in ("not_allowed", "needs_invite", "bad_invite")
)
TRY_AGAIN = frontend_texts("en").try_again

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")

GOAL = "stop avoiding difficult conversations with my team"


def is_asked(
    message: SentMessage, flow: str, key: str, field: str = "ask", style: str | None = None, **values: object
) -> bool:
    """The message asks this, alone or after the plain replies joined to it."""
    return ends_with(message, phrasings(flow, key, field, style, **values))


def says(message: SentMessage, flow: str, key: str, **values: object) -> bool:
    """The text is in the message, alone or as some of its paragraphs."""
    return has_part(message, phrasings(flow, key, **values))


def texts(messages: list[SentMessage]) -> list[str | None]:
    return [message.text for message in messages]


async def onboard(leader: Leader, name: str = "Ana") -> None:
    await leader.send("/start", expect=1)
    await leader.press(CONSENT, expect=1)
    # The name and the zone are each read back before the next question, in its message.
    replies = await leader.send(name, expect=1)
    assert says(replies[0], "nudges", "understood_name", name=name)
    await leader.press("Experienced manager", expect=1)
    replies = await leader.press("UTC", expect=1)
    assert "UTC — " in (replies[0].text or "")
    assert is_asked(replies[-1], "grow", "goal", style="open")


# crashes


async def test_a_restart_mid_session_carries_on_at_the_same_question(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    bot = await start_bot()
    leader = Leader(emulator, 2001)
    await onboard(leader)
    await leader.send(GOAL, expect=1)
    replies = await leader.send("my team says so by June", expect=1)
    asked = replies[0]
    assert is_asked(asked, "grow", "reality_now", style="open")

    await bot.kill()  # SIGKILL: nothing of the bot's shutdown runs
    await bot.start()
    replies = await leader.send("/start", expect=1)
    assert says(replies[0], "common", "welcome_back")
    assert (replies[0].text or "").endswith(f"\n\n{asked.text}")  # the same question, word for word
    replies = await leader.send("I skipped telling Sam about his report", expect=1)
    # Experienced leaders go from today's example straight to the baseline, which names their goal.
    assert is_asked(replies[0], "grow", "reality_baseline", style="open", goal=GOAL)

    # An answer sent while the bot is down waits in Telegram and counts once it is back.
    await bot.kill()
    emulator.send_text(2001, "4")
    await bot.start()
    await emulator.wait_for_bot_messages(2001, len(leader.messages) + 1)
    today = "I skipped telling Sam about his report"
    assert is_asked(leader.last(), "grow", "options_first", "recall", style="open", today=today)
    assert store.answers(2001) == [
        ("goal", GOAL),
        ("goal_measure", "my team says so by June"),
        ("reality_now", "I skipped telling Sam about his report"),
        ("reality_baseline", "4"),
    ]
    assert store.goals(2001) == [GOAL]


async def test_a_failed_menu_registration_does_not_keep_the_bot_down(
    emulator: BotApiEmulator, start_bot: Start
) -> None:
    emulator.fail_next("setMyCommands", status=500, times=2)
    await start_bot()
    replies = await Leader(emulator, 2004).send("/start", expect=1)
    assert is_asked(replies[0], "onboarding", "consent")
    # It is tried again in the background (after 1 s, then 2 s) until Telegram takes it.
    await emulator.wait_for(lambda: emulator.commands, timeout=20)
    assert [c["command"] for c in emulator.commands] == MENU
    assert [call.status for call in emulator.calls_of("setMyCommands")] == [500, 500, 200]


async def test_a_malformed_update_does_not_stop_the_bot(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    bot = await start_bot()
    leader = Leader(emulator, 2002)
    await leader.send("/start", expect=1)
    # Telegram adds fields and types over time; an update this PTB cannot parse must
    # cost that update, not every update behind it.
    emulator.send_text(2003, "a private note about Ulysses Grant")
    emulator.inject_update({"message": {"message_id": 1}})
    replies = await leader.press(CONSENT, expect=1)
    assert is_asked(replies[0], "onboarding", "name")
    await emulator.wait_for_bot_messages(2003, 1)
    assert is_asked(emulator.bot_messages(2003)[-1], "onboarding", "consent")
    assert "Ulysses Grant" not in bot.log()
    assert store.external_ids() == {"2002", "2003"}


# webhook mode


async def test_webhook_mode_answers_pushed_updates_and_refuses_a_wrong_secret(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    bot = await start_bot(
        GROW_COACH_TELEGRAM_MODE="webhook",
        GROW_COACH_TELEGRAM_WEBHOOK_URL=url,
        GROW_COACH_TELEGRAM_LISTEN="127.0.0.1",
        GROW_COACH_TELEGRAM_PORT=str(port),
        GROW_COACH_TELEGRAM_SECRET_TOKEN="s3cret",
    )
    await emulator.wait_for(lambda: emulator.webhook is not None, timeout=30)
    assert emulator.webhook is not None and (emulator.webhook.url, emulator.webhook.secret_token) == (
        url,
        "s3cret",
    )
    leader = Leader(emulator, 2010)
    replies = await leader.send("/start", expect=1)
    assert is_asked(replies[0], "onboarding", "consent")
    await leader.press(CONSENT, expect=1)

    forged = {
        "message": {
            "message_id": 999,
            "from": {"id": 2010, "is_bot": False, "first_name": "Mallory"},
            "chat": {"id": 2010, "type": "private", "first_name": "Ana"},
            "date": 1_800_000_000,
            "text": "Mallory",
        }
    }
    assert await emulator.push_webhook_with_secret(forged, "wrong") == 403
    assert await emulator.push_webhook_with_secret(forged, None) == 403
    replies = await leader.send("Ana", expect=1)
    assert says(replies[0], "nudges", "understood_name", name="Ana")
    assert is_asked(replies[0], "onboarding", "level", name="Ana")
    user = store.user(2010)
    assert user is not None and user.name == "Ana"
    assert not any("Mallory" in (text or "") for text in texts(leader.messages))
    assert emulator.call_count("getUpdates") == 0
    # An update the bot cannot read is refused without its contents reaching the log.
    unreadable = {"message": {"message_id": 1000, "text": "my Vermilion Heron secret"}}
    assert await emulator.push_webhook_with_secret(unreadable, "s3cret") == 400
    replies = await leader.press("Senior leader", expect=1)
    assert is_asked(replies[0], "onboarding", "timezone")
    log = bot.log()
    assert "Vermilion Heron" not in log and "Mallory" not in log and TOKEN not in log


# access control


async def test_allowlist_lets_in_only_listed_leaders(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    await start_bot(GROW_COACH_ACCESS_MODE="allowlist", GROW_COACH_ACCESS_ALLOWLIST="2020")
    listed = Leader(emulator, 2020)
    stranger = Leader(emulator, 2021, "Eve")
    replies = await listed.send("/start", expect=1)
    assert is_asked(replies[0], "onboarding", "consent")
    assert texts(await stranger.send("/start", expect=1)) == [NOT_ALLOWED]
    assert texts(await stranger.send("I want to stop micromanaging", expect=1)) == [NOT_ALLOWED]
    # A forged button press gets the same line, and the message pressed on stays as it was.
    refusal = stranger.last()
    assert texts(await stranger.press_data(refusal.message_id, "a:1:yes", expect=1)) == [NOT_ALLOWED]
    assert refusal.edits == [] and refusal.text == NOT_ALLOWED
    assert [
        a["text"]
        for a in emulator.callback_answers
        if a["callback_query_id"] == emulator.last_callback_query_id
    ] == [None]
    # Someone turned away who blocked the bot leaves no trace either.
    blocked = Leader(emulator, 2022, "Mo")
    emulator.block(2022)
    emulator.send_text(2022, "hello")
    await emulator.wait_for(
        lambda: any(c.params.get("chat_id") == 2022 for c in emulator.calls_of("sendMessage"))
    )
    emulator.unblock(2022)
    # Their updates are handled in order: this answer comes after the bounce was dealt with.
    assert texts(await blocked.send("/start", expect=1)) == [NOT_ALLOWED]
    assert [c.status for c in emulator.calls_of("sendMessage") if c.params.get("chat_id") == 2022] == [
        403,
        200,
    ]
    assert store.external_ids() == {"2020"}


async def invite_codes(env: dict[str, str], count: int) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        BOT_COMMAND, "admin", "invite", "--count", str(count),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return re.findall(r"^([A-Z0-9]{10})\s", out.decode(), re.MULTILINE)


async def test_an_invite_code_lets_one_leader_in(
    emulator: BotApiEmulator, start_bot: Start, store: Store, database_url: str, tmp_path: Path
) -> None:
    env = bot_env(emulator, database_url, tmp_path, GROW_COACH_ACCESS_MODE="invite")
    codes = await invite_codes(env, 2)
    assert len(codes) == 2 and codes[0] != codes[1]
    await start_bot(GROW_COACH_ACCESS_MODE="invite")
    invited = Leader(emulator, 2030)
    late = Leader(emulator, 2031, "Bo")
    guesser = Leader(emulator, 2032, "Cy")
    uninvited = Leader(emulator, 2033, "Di")
    texter = Leader(emulator, 2034, "Ed")

    replies = await invited.send(f"/start {codes[0]}", expect=1)
    assert says(replies[0], "onboarding", "welcome")
    assert is_asked(replies[0], "onboarding", "consent")
    assert texts(await late.send(f"/start {codes[0]}", expect=1)) == [BAD_INVITE]
    assert texts(await guesser.send("/start ABCDEFGHJK", expect=1)) == [BAD_INVITE]
    assert texts(await uninvited.send("/start", expect=1)) == [NEEDS_INVITE]
    # The code typed as a message works as well as the t.me/<bot>?start=CODE link.
    replies = await texter.send(codes[1].lower(), expect=1)
    assert is_asked(replies[0], "onboarding", "consent")
    # The invited leader is in for good: no code needed any more.
    replies = await invited.press(CONSENT, expect=1)
    assert is_asked(replies[0], "onboarding", "name")
    assert store.external_ids() == {"2030", "2034"}


async def test_debug_logging_still_keeps_leaders_words_out(
    emulator: BotApiEmulator, start_bot: Start, store: Store
) -> None:
    bot = await start_bot(GROW_COACH_LOGGING_LEVEL="DEBUG")
    leader = Leader(emulator, 2040)
    await leader.send("/start", expect=1)
    await leader.press(CONSENT, expect=1)
    await leader.send("Octavia Brightwater", expect=1)
    log = bot.log()
    assert "update=" in log and "user=2040" in log
    assert "Octavia Brightwater" not in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    user = store.user(2040)
    assert user is not None and user.name == "Octavia Brightwater"


async def test_an_unreachable_database_asks_the_leader_to_try_again(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    """SQLite only: another process holding the write lock past the busy timeout (5 s) is
    the database being unusable, as far as the bot can tell."""
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    bot = await BotProcess(bot_env(emulator, url, tmp_path), tmp_path / "bot.log").start()
    try:
        leader = Leader(emulator, 2050)
        await onboard(leader)
        lock = sqlite3.connect(path, isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            replies = await leader.send(GOAL, timeout=20, expect=1)
            assert texts(replies) == [TRY_AGAIN]
        finally:
            lock.close()
        assert Store(url).answers(2050) == []  # nothing half-written
        replies = await leader.send(GOAL, expect=1)
        assert is_asked(replies[0], "grow", "goal_measure")
        assert Store(url).answers(2050) == [("goal", GOAL)]
        assert "update=" in bot.log() and "database unavailable" in bot.log()
    finally:
        await bot.stop()
