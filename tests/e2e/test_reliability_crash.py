"""Crashes: the real bot is SIGKILLed mid-conversation and restarted; nothing a leader sent is lost.

`grow-coach run` talks to the Bot API emulator while simulated leaders go through
onboarding and a whole GROW session. A seeded controller kills the process at random
moments and starts it again. PTB confirms fetched updates with its next getUpdates call,
so updates in flight at a kill may be gone on the Telegram side, exactly as with real
Telegram; a simulated leader then does what a person does: it sends /start, which repeats
the current question, and answers whatever question is on screen.

Sizes can be raised for a soak run, e.g.
    GROW_COACH_RELIABILITY_LEADERS=200 GROW_COACH_RELIABILITY_SEED=7 \
        pytest tests/e2e/test_reliability_crash.py
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.reliability import (
    CATALOG,
    BotRun,
    SimLeader,
    StoredAnswer,
    checkin_messages,
    expected_path,
    gather_bounded,
    grow_answers,
    log_problems,
    running_bot,
    snapshot,
)

LEADERS = int(os.environ.get("GROW_COACH_RELIABILITY_LEADERS", "50"))
SEED = int(os.environ.get("GROW_COACH_RELIABILITY_SEED", "20261125"))
KILLS = 3
ANSWERS_PER_LEADER = 4 + 17  # onboarding, then a committed GROW session with a concrete goal
FIRST_USER_ID = 710_000


async def kill_at_progress(run: BotRun, leaders: list[SimLeader], rng: random.Random) -> list[float]:
    """SIGKILL and restart the bot KILLS times, at seeded moments.

    The first kills come at seeded points of the leaders' progress (not wall-clock time,
    so they land mid-conversation however fast the machine is); the last comes once the
    first leaders finished and the first of their check-ins (due 3 s after the recap) has
    been sent, while the others are being claimed and sent.
    """
    total = len(leaders) * ANSWERS_PER_LEADER
    marks = [0.15 + 0.6 * (i + rng.random()) / (KILLS - 1) for i in range(KILLS - 1)]
    fired: list[float] = []
    deadline = time.monotonic() + 300

    async def until(condition: Callable[[], bool]) -> bool:
        while not condition():
            if all(leader.done for leader in leaders) or time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def kill() -> None:
        fired.append(sum(len(leader.accepted) for leader in leaders) / total)
        await run.restart(pause=rng.uniform(0.0, 0.5))

    for mark in marks:
        if not await until(lambda mark=mark: sum(len(leader.accepted) for leader in leaders) >= mark * total):
            return fired
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        await kill()
    if await until(lambda: sum(leader.done for leader in leaders) >= max(1, len(leaders) // 5)):
        # A fixed delay here raced the dispatcher: on a fast run it could kill before any
        # check-in left, and those claimed wait out a 2-minute lease. So: the first
        # check-in is seen, then the kill lands while the rest are still going out.
        first_checkin_by = time.monotonic() + 30
        while not any(checkin_messages(leader.messages) for leader in leaders):
            if time.monotonic() > first_checkin_by:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        await kill()
    return fired


def story(leader: SimLeader, problem: str, answers: list[StoredAnswer] | None = None) -> str:
    """A failure message with what the leader sent and saw, and what was stored."""
    lines = [f"{leader.name}: {problem}", *leader.transcript]
    lines += [f"  stored {answer.step}: {answer.text[:40]!r}" for answer in answers or []]
    return "\n".join(lines)


async def wait_for_due_checkins(database_url: str, external_ids: list[str], timeout: float) -> None:
    """Until no leader's first check-in is still pending (they fall due 3 s after the recap)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = await asyncio.to_thread(snapshot, database_url)
        waiting = [
            uid
            for uid in external_ids
            if any(status == "pending" for _, _, status in snap.checkins.get(uid, [])[:1])
        ]
        if not waiting:
            return
        await asyncio.sleep(0.5)


async def test_sigkill_at_random_moments_loses_no_answer_and_sends_no_checkin_twice(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    async with running_bot(database_url, tmp_path, GROW_COACH_CHECKINS_FIRST_AFTER="3s") as run:
        leaders = [SimLeader(run, FIRST_USER_ID + i, i, random.Random(rng.random())) for i in range(LEADERS)]
        killer = asyncio.create_task(kill_at_progress(run, leaders, random.Random(rng.random())))
        await gather_bounded([leader.complete_session() for leader in leaders], 240, "leaders")
        fired = await asyncio.wait_for(killer, 30)
        await wait_for_due_checkins(database_url, [str(leader.user_id) for leader in leaders], 30)
        # A sent check-in whose message died with a killed process is late, never lost:
        # it is the leader's current question, so writing to the bot brings it back.
        snap = await asyncio.to_thread(snapshot, database_url)
        unseen = [
            leader
            for leader in leaders
            if snap.checkins.get(str(leader.user_id), [(0, "", "")])[0][2] == "sent"
            and not checkin_messages(leader.messages)
        ]
        recovered = {leader.user_id: await leader.recover() for leader in unseen}
        await asyncio.sleep(1.0)  # a check-in being sent right now lands before counting
        snap = await asyncio.to_thread(snapshot, database_url)
    log = run.log()

    assert len(fired) == KILLS, f"only {len(fired)} kills happened: the test did not test crashes"
    assert any(checkin_messages(leader.messages) for leader in leaders), "no check-in was ever sent"
    assert run.generation == KILLS
    problems = log_problems(log)
    assert not problems, "\n".join(problems[:20])
    assert snap.orphan_answers == 0, "answers without their session (or of another leader's session)"

    recap_lost = []
    for leader in leaders:
        uid = str(leader.user_id)
        kinds = leader.seen_kinds()
        # Every conversation completed, with the recap (see the end of the test).
        grow_outcomes = [outcome for _, kind, outcome in snap.sessions.get(uid, []) if kind == "grow"]
        assert leader.done and grow_outcomes == ["committed"], "\n".join([leader.name, *leader.transcript])
        if "grow.closed" not in kinds:
            recap_lost.append(leader.name)
        # Exactly one stored answer per question step of the session's path, in order.
        session_id, answers = grow_answers(snap, uid)
        assert session_id is not None, f"{leader.name}: no GROW session stored"
        steps = tuple(answer.step for answer in answers)
        assert steps == expected_path(answers[0].text), story(leader, "wrong stored steps", answers)
        # Every answer the leader got a reply to is stored.
        texts = {answer.text for answer in snap.answers.get(uid, [])}
        for answer in leader.accepted:
            if answer.stored is not None and answer.step in steps:
                assert answer.stored in texts, story(leader, f"answer to {answer.step} lost", answers)
        # No check-in was delivered twice; one that was marked sent reached the leader.
        delivered = checkin_messages(leader.messages)
        assert len(delivered) <= 1, f"{leader.name}: check-in sent {len(delivered)} times"
        first_status = snap.checkins[uid][0][2]
        if first_status in ("sent", "answered"):
            shown = CATALOG.kinds(recovered[leader.user_id].messages) if leader.user_id in recovered else []
            assert delivered or "checkin.did" in shown, f"{leader.name}: a sent check-in never reached them"
        assert snap.conversations[uid][0] in ("idle", "checkin"), (
            f"{leader.name} stuck in {snap.conversations[uid]}"
        )
    # A recap whose send was cut off by a crash comes back with /start.
    assert not recap_lost, f"recap lost after a crash for {recap_lost}"


async def first_checkin_status(database_url: str, external_id: str) -> str | None:
    snap = await asyncio.to_thread(snapshot, database_url)
    found = snap.checkins.get(external_id, [])
    return found[0][2] if found else None


async def wait_for_checkin_status(
    database_url: str, external_id: str, wanted: tuple[str, ...], timeout: float
) -> str | None:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = await first_checkin_status(database_url, external_id)
        if status in wanted:
            return status
        await asyncio.sleep(0.1)
    return status


async def test_a_confirmed_check_in_is_not_sent_again_when_the_bot_dies_right_after(
    database_url: str, tmp_path: Path
) -> None:
    """SIGKILL just after Telegram confirmed the check-in: the new process leaves it alone."""
    async with running_bot(
        database_url,
        tmp_path,
        GROW_COACH_CHECKINS_FIRST_AFTER="2s",
        GROW_COACH_CHECKINS_RESEND_AFTER="2s",
    ) as run:
        leader = SimLeader(run, FIRST_USER_ID - 1, 0, random.Random(SEED), press_rate=0.0)
        uid = str(leader.user_id)
        await asyncio.wait_for(leader.complete_session(), 60)
        await run.emulator.wait_for(lambda: checkin_messages(leader.messages), timeout=20)
        assert await wait_for_checkin_status(database_url, uid, ("sent",), 10) == "sent"
        await run.restart()
        # Past the re-send lease, and several rounds of the new process (it looks every second).
        await asyncio.sleep(4.0)
        status = await first_checkin_status(database_url, uid)
    assert len(checkin_messages(leader.messages)) == 1
    assert status == "sent"


async def test_a_check_in_cut_off_between_its_commit_and_its_send_arrives_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    """SIGKILL after the conversation moved into the check-in, before Telegram had the message.

    The emulator holds the check-in's sendMessage and never delivers it; the bot dies
    waiting. The new process sends the question again once the lease runs out.
    """
    async with running_bot(
        database_url,
        tmp_path,
        GROW_COACH_CHECKINS_FIRST_AFTER="3s",
        GROW_COACH_CHECKINS_RESEND_AFTER="2s",
    ) as run:
        leader = SimLeader(run, FIRST_USER_ID - 3, 0, random.Random(SEED), press_rate=0.0)
        uid = str(leader.user_id)
        await asyncio.wait_for(leader.complete_session(), 60)
        run.emulator.delay_next("sendMessage", 120.0, deliver=False)
        committed = await wait_for_checkin_status(database_url, uid, ("delivering", "sent"), 20)
        assert committed is not None and committed != "pending", committed
        await asyncio.sleep(0.5)  # the send is out, held by the emulator
        assert not checkin_messages(leader.messages)
        await run.restart()
        await run.emulator.wait_for(lambda: checkin_messages(leader.messages), timeout=30)
        status = await wait_for_checkin_status(database_url, uid, ("sent",), 10)
        conversation = (await asyncio.to_thread(snapshot, database_url)).conversations[uid]
    assert len(checkin_messages(leader.messages)) == 1
    assert status == "sent"
    assert conversation[0] == "checkin"


async def test_the_recap_survives_a_crash_between_commit_and_reply(database_url: str, tmp_path: Path) -> None:
    async with running_bot(database_url, tmp_path, GROW_COACH_CHECKINS_FIRST_AFTER="1h") as run:
        leader = SimLeader(run, FIRST_USER_ID - 2, 0, random.Random(SEED), press_rate=0.0)
        # Drive to the commitment question.
        first = await leader.exchange("command", "/start")
        assert first.complete
        for _ in range(40):
            message = leader.current()
            if CATALOG.kind(message) == "grow.will_commitment":
                break
            assert message is not None
            choice = leader.choose(message)
            assert choice is not None, CATALOG.kind(message)
            exchange = await leader.exchange(choice[0], choice[1], message)
            assert exchange.complete and not exchange.refused, exchange.kinds
        assert CATALOG.kind(leader.current()) == "grow.will_commitment"
        # The emulator holds the next sendMessage (the recap) unprocessed; the bot is
        # killed while it waits, after the answer is committed and logged.
        run.emulator.delay_next("sendMessage", 30.0, deliver=False)
        update_id = run.emulator.send_text(leader.user_id, "9")
        assert await run.wait_handled(update_id, 20)
        await asyncio.sleep(0.3)
        await run.restart()
        snap = await asyncio.to_thread(snapshot, database_url)
        assert snap.conversations[str(leader.user_id)] == ("idle", "idle")  # the answer was kept
        recovered = await leader.recover()
    kinds = leader.seen_kinds() + CATALOG.kinds(recovered.messages)
    assert "grow.closed" in kinds, f"the leader never saw the recap; saw {kinds[-4:]}"
