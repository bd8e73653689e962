"""Bot API faults: 5xx answers, answers slower than the client's read timeout, and 429s.

One run of the real bot serves every test here: simulated leaders go through onboarding
and a GROW session while the emulator answers 5% of calls with 500/502, holds some
answers longer than GROW_COACH_TELEGRAM_READ_TIMEOUT (the message is delivered, the
client times out), and now and then answers sendMessage with 429 and a retry_after.

The database plays no part in these faults, so this runs on SQLite only.

Exactly-once has one limit no client can get past: a send whose answer arrives after the
read timeout was delivered, but the bot only sees a timeout. A bot that retries it sends
the message twice; one that does not, may lose it. The order test therefore accepts one
identical copy right after a message the emulator delivered late (`DelayedSends`), and
nothing else.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.telegram_emulator import SentMessage
from tests.support.reliability import (
    CATALOG,
    TEXTS,
    DelayedSends,
    SimLeader,
    Snapshot,
    expected_path,
    gather_bounded,
    grow_answers,
    misfiled,
    running_bot,
    snapshot,
)

LEADERS = int(os.environ.get("GROW_COACH_RELIABILITY_FAULT_LEADERS", "20"))
SEED = int(os.environ.get("GROW_COACH_RELIABILITY_SEED", "20261125"))
READ_TIMEOUT = 2.0
SLOW_SECONDS = 3.0  # longer than READ_TIMEOUT: the client gives up, the message still arrives
TOO_MANY_REQUESTS = 4
FIRST_USER_ID = 720_000

# What each leader must see, once each and in this order.
# The name, the zone and the date are each read back in a line of their own, just before
# the next question. ("Noted: Fri 4 Dec." reads the same as a read-back of a choice, so
# read-backs are compared as one kind; where each stands still tells them apart.)
READ_BACK = "nudges.understood"
READ_BACKS = {"onboarding.level": READ_BACK, "onboarding.done": READ_BACK, "grow.will_support": READ_BACK}
EXPECTED = tuple(
    kind
    for step in (
        "onboarding.welcome",
        "onboarding.consent",
        "onboarding.name",
        "onboarding.level",
        "onboarding.timezone",
        "onboarding.done",
        *(f"grow.{step}" for step in expected_path(TEXTS["goal"])),
        "grow.closed",
    )
    for kind in ((READ_BACKS[step], step) if step in READ_BACKS else (step,))
)


@dataclass
class FaultRun:
    leaders: list[SimLeader]
    snap: Snapshot
    log: str
    delayed: DelayedSends
    statuses: Counter[int]
    rate_limited: int
    error: str | None


async def _scenario(workdir: Path) -> FaultRun:
    url = f"sqlite:///{workdir / 'grow-coach.db'}"
    async with running_bot(
        url,
        workdir,
        start=False,
        GROW_COACH_TELEGRAM_READ_TIMEOUT=f"{READ_TIMEOUT:.0f}s",
        GROW_COACH_CHECKINS_FIRST_AFTER="1h",
    ) as run:
        emulator = run.emulator
        delayed = DelayedSends(emulator)
        emulator.configure(
            fault_rate=0.05,
            fault_statuses=(500, 502),
            slow_rate=0.03,
            slow_seconds=SLOW_SECONDS,
            deliver_delayed=True,
            seed=SEED,
        )
        await run.start()
        rng = random.Random(SEED)
        # No kills here: a bot silent for 20 s (longer than any sensible retrying) lost the reply.
        leaders = [
            SimLeader(run, FIRST_USER_ID + i, i, random.Random(rng.random()), reply_timeout=20.0)
            for i in range(LEADERS)
        ]

        async def flood_control() -> None:
            total = LEADERS * len(EXPECTED)
            for mark in range(1, TOO_MANY_REQUESTS + 1):
                while sum(len(leader.messages) for leader in leaders) < total * mark / (
                    TOO_MANY_REQUESTS + 1
                ):
                    if all(leader.done for leader in leaders):
                        return
                    await asyncio.sleep(0.05)
                emulator.fail_next("sendMessage", 429, retry_after=1)

        flood = asyncio.create_task(flood_control())
        error = None
        try:
            await gather_bounded([leader.complete_session() for leader in leaders], 150, "leaders")
        except AssertionError as failure:
            error = str(failure)
        flood.cancel()
        await asyncio.gather(flood, return_exceptions=True)
        statuses = Counter(call.status for call in emulator.calls)
        rate_limited = emulator.rate_limited_count
    return FaultRun(leaders, snapshot(url), run.log(), delayed, statuses, rate_limited, error)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    return asyncio.run(_scenario(tmp_path_factory.mktemp("telegram-faults")))


def test_the_faults_really_happened(faulty: FaultRun) -> None:
    assert faulty.statuses[500] + faulty.statuses[502] > 0
    assert faulty.rate_limited >= TOO_MANY_REQUESTS
    assert faulty.delayed.messages, "no message was answered after the read timeout"


def test_every_conversation_completes_despite_api_faults(faulty: FaultRun) -> None:
    assert faulty.error is None, faulty.error
    for leader in faulty.leaders:
        uid = str(leader.user_id)
        # Through to the committed end of the session, with every step answered once.
        # (Whether the leader saw every message on the way is the next test.)
        grow = [outcome for _, kind, outcome in faulty.snap.sessions[uid] if kind == "grow"]
        assert leader.done and grow == ["committed"], "\n".join([leader.name, *leader.transcript])
        _, answers = grow_answers(faulty.snap, uid)
        assert tuple(answer.step for answer in answers) == expected_path(answers[0].text)


def without_late_copies(messages: list[SentMessage], delayed: DelayedSends) -> list[SentMessage]:
    """Drop an identical copy that directly follows a message delivered after the timeout."""
    kept: list[SentMessage] = []
    for message in messages:
        if kept and kept[-1] in delayed and _original(message) == _original(kept[-1]):
            continue
        kept.append(message)
    return kept


def _original(message: SentMessage) -> str:
    return (message.text or "").split("\n\n✓ ")[0]


def test_every_message_arrives_exactly_once_and_in_order(faulty: FaultRun) -> None:
    assert faulty.error is None, faulty.error
    for leader in faulty.leaders:
        story = "\n".join([leader.name, *leader.transcript])
        kinds = tuple(
            READ_BACK if kind and kind.startswith(READ_BACK + "_") else kind
            for kind in CATALOG.kinds(without_late_copies(leader.messages, faulty.delayed))
        )
        # Exactly the expected messages, each once, in order: no question repeated, none
        # missing, no "something went wrong", no /start needed to get one back.
        assert kinds == EXPECTED, story
        assert leader.recoveries == 0, story
        # And each stored answer is the one the leader gave to that very question.
        _, answers = grow_answers(faulty.snap, str(leader.user_id))
        assert not misfiled(answers), f"{leader.name}: {misfiled(answers)}"
    # No update's handling was cut short (PTB's own ERROR lines about a 502's HTML body
    # are Telegram's fault, not the bot's, and are left alone).
    aborted = [line for line in faulty.log.splitlines() if "handler failed" in line]
    assert not aborted, "\n".join(aborted[:20])
