"""/rescore end to end: the real `grow-coach run` against the Bot API emulator, buttons and all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database
from storage.models import CoachingSessionRow
from tests.support.bot_harness import ends_with, has_part
from tests.support.checkins import (
    ACTION,
    GOAL,
    PLAN,
    checkins,
    leader_of,
    new_service,
    next_messages,
    rows,
    running_bot,
    seed_leader,
    texts,
)
from tests.support.coach_driver import phrasings

SETTLE = 0.1


def guided(flow: str, key: str, field: str = "ask", **values: object) -> list[str]:
    return phrasings(flow, key, field, "guided", name="Ann", action=ACTION, goal=GOAL, **values)


async def test_rescore_both_ways_through_the_bot(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the same on PostgreSQL; tests/storage/test_rescore.py runs it there in-process")
    db = Database(database_url)
    db.upgrade()
    try:
        service = new_service(db)
        committed_id = seed_leader(service, 921, commitment=5)
        for user in (922, 923):
            seed_leader(service, user, commitment=5)
        async with asyncio.timeout(60), running_bot(database_url, tmp_path, (921, 922, 923)) as (emulator, _):
            # 8 or more: confirmed, check-ins planned, and the first one arrives.
            ann = leader_of(emulator, 921)
            ann.settle = SETTLE
            listed = await ann.send("/rescore")
            assert has_part(listed[0], guided("rescore", "intro"))
            (label,) = [button["text"] for button in listed[-1].buttons()]
            assert label.startswith(f"{GOAL[:39]}… (5/10, ")
            assert ends_with(texts(await ann.press(label))[-1], guided("rescore", "score"))
            confirmed = await ann.press("9")
            assert (confirmed[-1].text or "").startswith(("9/10 — that's a commitment.", "Great, 9/10."))
            (checkin,) = await next_messages(ann)
            assert ends_with(checkin, guided("checkin", "did", "recall_plan", if_then=PLAN))
            mine = CoachingSessionRow.user_id == committed_id
            (rescore,) = rows(db, CoachingSessionRow, mine, CoachingSessionRow.kind == "rescore")
            planned = checkins(db, committed_id)
            kinds = sorted(row.kind for row in planned if row.session_id == rescore.id)
            assert kinds == ["action_due", "first", "midway", "next_session"]

            # Below 8, then revisit the goal: the earlier answers are shown.
            bob = leader_of(emulator, 922)
            bob.settle = SETTLE
            await bob.send("/rescore")
            await bob.press(label)
            assert texts(await bob.press("6")) in ([text] for text in guided("rescore", "raise"))
            offered = await bob.send("if the first step were smaller")
            assert [b["text"] for b in offered[-1].buttons()] == [
                "Revisit the goal",
                "Adjust the action",
                "Leave it for now",
            ]
            revisit = (await bob.press("Revisit the goal"))[-1].text or ""
            assert revisit.startswith(("Let's look at the goal again.", "Back to the goal."))
            assert "• What would change: stop avoiding difficult conversations with my team" in revisit
            assert "• Your rating today: 4" in revisit

            # Below 8, then adjust the action: the previous action is shown.
            carla = leader_of(emulator, 923)
            carla.settle = SETTLE
            await carla.send("/rescore")
            await carla.press(label)
            await carla.press("3")
            await carla.send("less pressure")
            adjust = (await carla.press("Adjust the action"))[-1].text
            assert adjust in phrasings(
                "grow", "will_action", "adjust", style="guided", name="Ann", previous_action=ACTION
            )
    finally:
        db.dispose()
