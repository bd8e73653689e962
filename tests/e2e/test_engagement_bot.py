"""One leader through a whole engagement: the real `grow-coach run` against the Bot API emulator.

Short durations make it fit in well under a minute: three sessions (`[engagement] sessions
= 3`) four seconds apart, the first check-in two seconds after a session, "move it" by two
seconds. Onboarding and session 1, a check-in answered, a reflection logged, session 2 (the
midpoint review) started from the check-in, then the session 3 reminder: moved, missed, and
started from the kindly reminder that follows; the closing review with goal attainment.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database
from storage.models import EngagementRow, GoalRow, ReflectionRow, ScoreRow
from tests.support.bot_harness import Leader, ends_with, has_part
from tests.support.checkins import ACTION, ONBOARDING, PLAN, grow_answers, next_messages, rows, running_bot
from tests.support.coach_driver import phrasings

SETTLE = 0.1
SHORT = {
    "GROW_COACH_SESSIONS_INTERVAL": "4s",
    "GROW_COACH_ENGAGEMENT_SESSIONS": "3",
    "GROW_COACH_ENGAGEMENT_MOVE_BY": "2s",
    "GROW_COACH_CHECKINS_FIRST_AFTER": "2s",
}


def guided(flow: str, key: str, field: str = "ask", **values: object) -> list[str]:
    return phrasings(flow, key, field, "guided", name="Ann", **values)


async def test_one_leader_through_an_engagement(database_url: str, db: Database, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the same flows run on PostgreSQL in tests/storage/test_engagement.py")
    async with asyncio.timeout(90), running_bot(database_url, tmp_path, **SHORT) as (emulator, _):
        ann = Leader(emulator, 601, "Ann", settle=SETTLE)
        for message in (*ONBOARDING, "UTC"):
            await ann.send(message)
        assert "session 1 of 3" in " ".join(m.text or "" for m in ann.messages).lower()
        for message in grow_answers(9):
            await ann.send(message)
        assert "9/10" in (ann.last().text or "")
        # Under the recap, one tap for a first round of stakeholder feedback; Ann lets it be.
        assert [b["text"] for b in ann.last().buttons()] == ["Yes, give me the link", "Not this time"]

        # Between sessions: a reflection, then the check-in two seconds on.
        logged = await ann.send("/log had the one-to-one with Sam, he opened up")
        assert "he opened up" in (logged[0].text or "")
        (asked,) = await next_messages(ann)
        assert ends_with(asked, guided("checkin", "did", "recall_plan", action=ACTION, if_then=PLAN))
        await ann.press("Done")
        await ann.send("Sam thanked me for being direct")
        await ann.press("7")
        # Session 2 straight from the check-in: the midpoint review, with the reflection back.
        opened = await ann.press("Start a new session")
        shown = " ".join(m.text or "" for m in opened)
        assert "Session 2 of 3" in shown or "session 2 of 3" in shown
        assert "he opened up" in shown
        assert ends_with(
            opened[-1], guided("review", "rate", "midpoint", goal_number=1, goal_count=1, goal=goal(db))
        )
        await ann.press("8")
        await ann.send("I raise problems the same day now; rehearsing helped")
        await ann.send("launch weeks, when everything feels urgent")
        done = await ann.press("Keep it")
        ending = done[-1].text or ""
        assert has_part(done[-1], guided("review", "mid_done", "keep", next=3))
        # Session 2 is the one before the closing review: feedback is offered for the close.
        assert "closing review" in ending
        assert [b["text"] for b in done[-1].buttons()] == ["Yes, give me the link", "Not this time"]

        # Session 3 falls due four seconds later: moved by two seconds, then let slip.
        (due,) = await next_messages(ann, timeout=15)
        assert ends_with(due, guided("engagement", "reminder", "due", number=3, planned=3, days="2 seconds"))
        moved = await ann.press("Move it a few days")
        assert moved[0].text.startswith(("Moved.", "Done, the session moves"))
        (again,) = await next_messages(ann, timeout=15)
        assert ends_with(
            again, guided("engagement", "reminder", "due", number=3, planned=3, days="2 seconds")
        )
        (missed,) = await next_messages(ann, timeout=15)
        assert ends_with(
            missed, guided("engagement", "reminder", "missed", number=3, planned=3, days="2 seconds")
        )

        # The closing review, started from the kindly reminder.
        closing = await ann.press("Start the session")
        assert ends_with(
            closing[-1], guided("review", "rate", "closing", goal_number=1, goal_count=1, goal=goal(db))
        )
        await ann.press("9")
        await ann.send("I stopped waiting for the perfect moment")
        await ann.send("not much any more")
        await ann.press("+1 More than expected")
        summary = await ann.send("booking a weekly slot for hard talks")
        text = " ".join(m.text or "" for m in summary)
        assert "4 → 9 out of 10" in text and "+1 More than expected" in text
        await ann.press("Not now")
        assert ends_with(ann.last(), guided("review", "ended"))

    (engagement,) = rows(db, EngagementRow)
    assert (engagement.status, engagement.sessions_planned, engagement.sessions_held) == ("closed", 3, 3)
    (stored,) = rows(db, GoalRow)
    assert stored.attainment == 1
    assert [s.value for s in rows(db, ScoreRow, ScoreRow.kind == "review")] == [8, 9]
    (reflection,) = rows(db, ReflectionRow)
    assert reflection.text == "had the one-to-one with Sam, he opened up" and reflection.recalled_at


def goal(db: Database) -> str:
    (row,) = rows(db, GoalRow)
    return row.text
