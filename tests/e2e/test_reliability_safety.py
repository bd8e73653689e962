"""The therapy boundary through the whole stack: Telegram, the real bot, the database.

A leader in the middle of a GROW session writes a crisis sentence. The session stops, the
bot says it is a coaching tool and not a therapist and lists the configured resources,
the sentence is stored nowhere (every column of every table is searched) and not logged,
and only a safety_flags row records that it happened. Everyday work language in a goal
does not trigger it, and nothing the bot sends later (a check-in included) mentions it.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from tests.support.reliability import (
    CATALOG,
    SimLeader,
    all_stored_text,
    checkin_messages,
    running_bot,
    snapshot,
)

CRISIS = "honestly I want to kill myself"
WORK_IDIOM = "this deadline is killing me"
RESOURCES = (
    "Reliability Test Helpline: call 0800 555 0199, day or night",
    "Write to support@helpline.example any time",
)


def fragments(text: str) -> list[str]:
    return [text.lower(), "kill myself", "want to kill"]


async def answer_until(leader: SimLeader, step: str) -> None:
    """Answer the questions on screen until `step` (e.g. "grow.reality_now") is asked."""
    for _ in range(40):
        message = leader.current()
        if CATALOG.kind(message) == step:
            return
        assert message is not None
        choice = leader.choose(message)
        assert choice is not None, CATALOG.kind(message)
        exchange = await leader.exchange(choice[0], choice[1], message)
        assert exchange.complete and not exchange.refused, exchange.kinds
    raise AssertionError(f"{step} never asked; saw {leader.seen_kinds()}")


async def test_a_crisis_sentence_mid_session_stops_coaching_and_is_stored_nowhere(
    database_url: str, tmp_path: Path
) -> None:
    async with running_bot(
        database_url,
        tmp_path,
        GROW_COACH_SAFETY_RESOURCES="\n".join(RESOURCES),
        GROW_COACH_CHECKINS_FIRST_AFTER="3s",
    ) as run:
        crisis = SimLeader(run, 750_001, 1, random.Random(1), press_rate=0.0)
        idiom = SimLeader(run, 750_002, 2, random.Random(2), answers={"goal": WORK_IDIOM})

        # The idiom as a goal is an ordinary goal: the session goes on to its recap.
        await asyncio.wait_for(idiom.complete_session(), 60)
        assert idiom.saw_recap, idiom.transcript

        # The crisis sentence in the middle of GROW.
        assert (await crisis.exchange("command", "/start")).complete
        await answer_until(crisis, "grow.reality_now")
        before = len(crisis.messages)
        reply = await crisis.exchange("text", CRISIS)
        assert reply.complete, reply.kinds
        assert reply.kinds == ["common.safety"], reply.kinds
        safety = reply.messages[0].text or ""
        assert "coaching tool" in safety and "not a therapist" in safety
        for resource in RESOURCES:
            assert resource in safety
        # The coaching flow stopped: the next message is not taken as an answer.
        later = await crisis.exchange("text", "ok, what now?")
        assert later.kinds == ["common.idle", "common.idle_menu"], later.kinds

        # A later session commits, and its check-in arrives without a word of the crisis.
        await asyncio.wait_for(crisis.complete_session("/new"), 60)
        assert crisis.saw_recap, crisis.transcript
        await run.emulator.wait_for(lambda: checkin_messages(crisis.messages), timeout=20)
        await asyncio.sleep(0.5)
        snap = await asyncio.to_thread(snapshot, database_url)
        stored = await asyncio.to_thread(all_stored_text, database_url)
    log = run.log()

    after = crisis.messages[before + 1 :]
    assert checkin_messages(after), "the check-in never arrived"
    for message in after:
        text = (message.text or "").lower()
        assert not any(fragment in text for fragment in fragments(CRISIS)), message.text

    # Stored nowhere, logged nowhere; only the flag (a category, no words) remains.
    for table, column, value in stored:
        assert not any(fragment in value.lower() for fragment in fragments(CRISIS)), (table, column)
    assert not any(fragment in log.lower() for fragment in fragments(CRISIS))
    assert snap.flags.get(str(crisis.user_id)) == ["suicide"]
    assert str(idiom.user_id) not in snap.flags
    first, second = [s for s in snap.sessions[str(crisis.user_id)] if s[1] == "grow"]
    assert first[2] == "safety" and second[2] == "committed"
    stopped = [a.step for a in snap.answers[str(crisis.user_id)] if a.session_id == first[0]]
    assert stopped == ["goal", "goal_measure", "goal_by_when"]

    # The idiom was kept as the goal it is, and never read as a crisis.
    assert any(answer.text == WORK_IDIOM for answer in snap.answers[str(idiom.user_id)])
    assert "common.safety" not in idiom.seen_kinds()
