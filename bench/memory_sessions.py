"""Memory of the real bot with 10,000 leaders in the middle of a GROW session.

    .venv/bin/python -m bench.memory_sessions [--leaders 10000] [--concurrency 200]
        [--full-budget 300] [--active 1000] [--mode both|full|seeded] [--db sqlite|postgresql]

Two ways to get there, each on a fresh database and a fresh `grow-coach run` process:

- full: every leader goes through the emulator: /start, onboarding by buttons, and the
  first two GROW answers (7 answers each). Honest but slow when the bot's throughput is
  low, so it stops taking new leaders after --full-budget seconds (0: never) and says how
  long all of them would take at the rate it saw.
- seeded: the same mid-session position is written for every leader straight through
  the storage layer (the engine's own records and conversation, as CoachService would
  commit them), then --active of those leaders answer two more questions through the
  emulator, so the bot has a database of --leaders open sessions and a crowd using it.

Prints the bot's peak RSS (VmHWM) for each, against the 150 MB target. Progress goes to
stderr. Figures only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.driver import (
    GROW_SESSION,
    ONBOARDING,
    Action,
    Script,
    Tally,
    TimingEmulator,
    calibrate,
    converse,
    database,
    emulator_config,
    log,
    our_bot,
    peak_rss_mb,
    vm_mb,
)
from bot.coaching.wiring import coach_settings
from bot.config.loader import load_config
from devtools.bot_process import wait_until_polling
from flows.engine import CoachEngine
from flows.events import Event
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.leader_history import LeaderHistory
from storage.leaders import LeaderRepository

RSS_TARGET_MB = 150.0
MID_SESSION: tuple[Action, ...] = ONBOARDING + GROW_SESSION[:2]  # now at "reality_now"
NEXT_ANSWERS: tuple[Action, ...] = GROW_SESSION[2:4]
FIRST_LEADER = 2_000_000
SEED_BATCH = 500  # leaders per transaction while seeding


def current_rss_mb(pid: int) -> float:
    return vm_mb(pid).get("VmRSS", float("nan"))


@dataclass
class Outcome:
    label: str
    leaders: int  # leaders mid-session in the bot's database
    driven: int  # leaders who answered through the emulator in this run
    answered: int
    seconds: float
    idle_rss_mb: float
    peak_rss_mb: float
    note: str = ""

    def show(self) -> None:
        rate = self.answered / self.seconds if self.seconds else 0.0
        verdict = "met" if self.peak_rss_mb < RSS_TARGET_MB else "MISSED"
        print(
            f"{self.label:<8} {self.leaders} leaders mid-session, {self.driven} answered through Telegram "
            f"({self.answered} answers in {self.seconds:.0f} s, {rate:.1f} answers/s): bot RSS "
            f"{self.idle_rss_mb:.1f} MB after start-up, peak {self.peak_rss_mb:.1f} MB — "
            f"target < {RSS_TARGET_MB:.0f} MB {verdict}",
            flush=True,
        )
        if self.note:
            print(f"{'':<8} {self.note}", flush=True)


async def drive(
    emulator: TimingEmulator,
    pid: int,
    user_ids: Iterator[int],
    script: Script,
    *,
    concurrency: int,
    budget: float | None,
    total: int,
) -> tuple[Tally, float]:
    """Leaders from `user_ids` through `script`, `concurrency` at a time, until done or over budget."""
    tally = Tally()
    started = time.perf_counter()

    def over_budget() -> bool:
        return budget is not None and time.perf_counter() - started > budget

    async def worker() -> None:
        for user_id in user_ids:  # shared iterator: each leader is taken by one worker
            if over_budget():
                return
            await converse(emulator, user_id, script, tally)

    async def progress() -> None:
        while True:
            await asyncio.sleep(10)
            elapsed = time.perf_counter() - started
            log(
                f"    {tally.completed}/{total} leaders, {tally.answered / elapsed:.1f} answers/s, "
                f"bot RSS {current_rss_mb(pid):.1f} MB, {elapsed:.0f} s"
            )

    reporter = asyncio.create_task(progress())
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        reporter.cancel()
    return tally, time.perf_counter() - started


@contextlib.asynccontextmanager
async def running_bot(
    database_url: str, workdir: Path, processes: str = "auto"
) -> AsyncIterator[tuple[TimingEmulator, int]]:
    async with TimingEmulator(config=emulator_config()) as emulator:
        bot = our_bot(emulator, database_url, workdir, processes)
        await bot.start()
        try:
            await wait_until_polling(emulator, bot)
            assert bot.process is not None
            yield emulator, bot.process.pid
        finally:
            await bot.stop()


async def full_path(
    database_url: str,
    workdir: Path,
    leaders: int,
    concurrency: int,
    budget: float | None,
    processes: str = "auto",
) -> Outcome:
    log(f"  full: {leaders} leaders through onboarding and two GROW answers, {concurrency} at a time")
    async with running_bot(database_url, workdir, processes) as (emulator, pid):
        script = await calibrate(emulator, FIRST_LEADER - 1, MID_SESSION)
        idle = current_rss_mb(pid)
        ids = iter(range(FIRST_LEADER, FIRST_LEADER + leaders))
        tally, seconds = await drive(
            emulator, pid, ids, script, concurrency=concurrency, budget=budget, total=leaders
        )
        peak = peak_rss_mb(pid)
    note = ""
    if tally.completed < leaders:
        projected = seconds * leaders / max(tally.completed, 1)
        note = (
            f"stopped after the {budget:.0f} s budget with {tally.completed} of {leaders} leaders; "
            f"all {leaders} would take about {projected / 60:.0f} min at this rate "
            "(--full-budget 0 runs them all)"
        )
    if tally.failed:
        note += f" {tally.failed} leaders timed out: {tally.failures[:1]}"
    return Outcome(
        "full", tally.completed, tally.completed, tally.answered, seconds, idle, peak, note.strip()
    )


def seed(database_url: str, leaders: int, first: int) -> float:
    """Write `leaders` conversations paused at reality_now, as CoachService would have committed them."""
    started = time.perf_counter()
    db = Database(database_url)
    db.upgrade()
    engine = CoachEngine(coach_settings(load_config(environ={})))
    steps: tuple[tuple[str, str], ...] = (
        ("command", "start"),
        ("pick", "yes"),
        ("text", "Ana"),
        ("pick", "first_time"),
        ("pick", "UTC"),
        ("text", GROW_SESSION[0].value),
        ("text", GROW_SESSION[1].value),
    )
    try:
        for batch_start in range(first, first + leaders, SEED_BATCH):
            # One transaction per batch: the rows are the same as per-answer commits
            # would leave, written a few hundred times faster.
            with db.session() as session:
                users = LeaderRepository(session)
                conversations = ConversationRepository(session)
                for external_id in range(batch_start, min(batch_start + SEED_BATCH, first + leaders)):
                    user = users.get_or_create("telegram", str(external_id))
                    conversation = conversations.load(user.id)
                    leader = LeaderHistory(session, user.id)
                    for kind, value in steps:
                        event = _event(kind, value, conversation.question_seq)
                        outcome = engine.handle(conversation, event, leader)
                        leader.apply(outcome.records, event.now)
                    conversations.save(user.id, conversation)
            done = min(batch_start + SEED_BATCH, first + leaders) - first
            if done % 2000 == 0 or done == leaders:
                log(f"    seeded {done} leaders")
    finally:
        db.dispose()
    return time.perf_counter() - started


def _event(kind: str, value: str, question: int) -> Event:
    if kind == "command":
        return Event.command(value)
    if kind == "pick":
        return Event.pick(value, question)
    return Event.message(value)


async def seeded_path(
    database_url: str, workdir: Path, leaders: int, active: int, concurrency: int, processes: str = "auto"
) -> Outcome:
    log(f"  seeded: {leaders} mid-session conversations through storage, then {active} answer")
    seconds_seeding = await asyncio.to_thread(seed, database_url, leaders, FIRST_LEADER)
    async with running_bot(database_url, workdir, processes) as (emulator, pid):
        # The first seeded leader is the calibration one; the next `active` are measured.
        script = await calibrate(emulator, FIRST_LEADER, NEXT_ANSWERS)
        idle = current_rss_mb(pid)
        ids = iter(range(FIRST_LEADER + 1, FIRST_LEADER + 1 + min(active, leaders - 1)))
        tally, seconds = await drive(
            emulator, pid, ids, script, concurrency=concurrency, budget=None, total=active
        )
        peak = peak_rss_mb(pid)
    note = f"seeding {leaders} conversations through storage took {seconds_seeding:.1f} s"
    if tally.failed:
        note += f"; {tally.failed} leaders timed out: {tally.failures[:1]}"
    return Outcome("seeded", leaders, tally.completed, tally.answered, seconds, idle, peak, note)


async def run(
    *,
    leaders: int = 10_000,
    concurrency: int = 200,
    full_budget: float | None = 300.0,
    active: int = 1_000,
    mode: str = "both",
    db: str = "sqlite",
    processes: str = "auto",
) -> list[Outcome]:
    print(
        f"Memory: {leaders} leaders in the middle of a GROW session "
        f"({db}, [database] processes = {processes})",
        flush=True,
    )
    outcomes: list[Outcome] = []
    steps: list[tuple[str, Callable[[str, Path], Awaitable[Outcome]]]] = []
    if mode in ("both", "full"):
        steps.append(
            ("full", lambda url, wd: full_path(url, wd, leaders, concurrency, full_budget, processes))
        )
    if mode in ("both", "seeded"):
        steps.append(
            ("seeded", lambda url, wd: seeded_path(url, wd, leaders, active, concurrency, processes))
        )
    for name, step in steps:
        with tempfile.TemporaryDirectory(prefix="grow-bench-mem-") as tmp:
            workdir = Path(tmp)
            with database(db, workdir, name) as url:
                outcome = await step(url, workdir)
        outcome.show()
        outcomes.append(outcome)
    return outcomes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.memory_sessions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--leaders", type=int, default=10_000, help="leaders mid-session (default 10000)")
    parser.add_argument("--concurrency", type=int, default=200, help="leaders talking at once (default 200)")
    parser.add_argument(
        "--full-budget",
        type=float,
        default=300.0,
        help="full path: seconds before no new leader starts; 0 = drive all (default 300)",
    )
    parser.add_argument(
        "--active", type=int, default=1_000, help="seeded path: leaders who answer (default 1000)"
    )
    parser.add_argument("--mode", choices=("both", "full", "seeded"), default="both")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--processes", default="auto", help="the bot's [database] processes (default auto)")
    args = parser.parse_args(argv)
    asyncio.run(
        run(
            leaders=args.leaders,
            concurrency=args.concurrency,
            full_budget=args.full_budget or None,
            active=args.active,
            mode=args.mode,
            db=args.db,
            processes=args.processes,
        )
    )


if __name__ == "__main__":
    main()
