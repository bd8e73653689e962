"""The stakeholder pulse end to end: the real `grow-coach run` against the Bot API emulator.

A leader asks three people (none of them on the allowlist) for feedback through a t.me
link; the aggregate appears only after the third answer; a second round shows the change;
a fourth person cannot answer twice; the raw database holds none of their Telegram ids.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import text

import bot.coaching.wiring as wiring
from flows.settings import CoachSettings
from storage.db import Database
from tests.support.bot_harness import Leader
from tests.support.checkins import GOAL, leader_of, new_service, running_bot, seed_leader

LEADER = 931
# Ids as long as real ones, so none turns up by chance inside a hash or a ciphertext.
PEOPLE = (5812304941, 5812304942, 5812304943, 5812304944)
LINK = re.compile(r"https://t\.me/grow_coach_bot\?start=(fb_[A-Za-z0-9_-]+)")

pytestmark = pytest.mark.skipif(
    not hasattr(wiring, "database_keyring"),
    reason="stakeholder comments are encrypted at rest: needs the key ring wiring (i14-wire)",
)


async def ask_for_feedback(leader: Leader, *, next_round: bool = False) -> str:
    replies = await leader.send("/feedback") if not next_round else await leader.press("Start the next round")
    links = [m.text for m in replies if m.text and LINK.search(m.text)]
    assert len(links) == 1, [m.text for m in replies]
    found = LINK.search(links[0])
    assert found is not None
    return f"/start {found.group(1)}"


async def give_feedback(
    person: Leader, start: str, relationship: str, rating: str, keep: str, change: str
) -> str:
    opened = await person.send(start)
    assert "Ann asked for your honest view" in (opened[0].text or "")
    await person.press(relationship)
    await person.press(rating)
    await person.send(keep)
    thanks = await person.send(change)
    return thanks[-1].text or ""


async def test_three_stakeholders_two_rounds_and_no_second_answer(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the same on PostgreSQL; tests/storage/test_stakeholder_feedback.py runs it there")
    db = Database(database_url)
    db.upgrade()
    try:
        # Check-ins days away: nothing but feedback in the conversation.
        seed_leader(new_service(db, CoachSettings()), LEADER)
        env = {"GROW_COACH_ACCESS_MODE": "allowlist", "GROW_COACH_ACCESS_ALLOWLIST": str(LEADER)}
        async with (
            asyncio.timeout(120),
            running_bot(database_url, tmp_path, (LEADER,), **env) as (emulator, _),
        ):
            ann = leader_of(emulator, LEADER)
            people = [Leader(emulator, user, first_name=f"P{user}") for user in PEOPLE]
            start = await ask_for_feedback(ann)

            answers = [("A peer", "7"), ("I report to them", "5"), ("I'm their manager", "6")]
            for person, (relationship, rating) in zip(people[:2], answers[:2], strict=True):
                await give_feedback(
                    person, start, relationship, rating, "asks good questions", "talk less in 1:1s"
                )
            waiting = "\n".join(m.text or "" for m in await ann.send("/feedback"))
            assert "2 answered" in waiting and "asks good questions" not in waiting

            thanks = await give_feedback(people[2], start, *answers[2], "owns mistakes", "decide faster")
            assert "/withdraw" in thanks
            shown = "\n".join(m.text or "" for m in await ann.send("/feedback"))
            assert "6.0/10 from 3 people" in shown and "owns mistakes" in shown and "decide faster" in shown

            # The same person cannot answer the same round twice; the leader cannot answer at all.
            again = await people[0].send(start)
            assert "already answered" in (again[-1].text or "")
            own = await ann.send(start)
            assert "your own feedback link" in (own[0].text or "")

            second = await ask_for_feedback(ann, next_round=True)
            for person, rating in zip(people[1:], ("8", "8", "8"), strict=True):
                await give_feedback(person, second, "A peer", rating, "listens", "nothing")
            # The fourth person, new in round 2, cannot answer it twice either.
            assert "already answered" in ((await people[3].send(second))[-1].text or "")
            compared = "\n".join(m.text or "" for m in await ann.send("/feedback"))
            assert "round 2: 3 answered" in compared and "6.0 → 8.0 (+2.0)" in compared
            assert GOAL[:20] in compared
    finally:
        with db.engine.connect() as connection:
            dump = "\n".join(
                str(row)
                for table in ("users", "feedback_rounds", "feedback_responses", "conversations")
                for row in connection.execute(text(f"SELECT * FROM {table}"))
            )
        db.dispose()
    for person in PEOPLE:
        assert str(person) not in dump
