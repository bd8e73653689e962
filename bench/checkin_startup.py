"""Start-up with a million scheduled check-ins in the database.

    .venv/bin/python -m bench.checkin_startup [--checkins 1000000] [--leaders 5000]
        [--db sqlite|postgresql] [--rounds 5]

Seeds --checkins pending check-ins due between an hour and 90 days from now, over
--leaders onboarded leaders (each check-in hangs off a committed session, at most one
of each kind per session), plus a handful of leaders with a check-in due now. Then:

- runs one dispatcher round's claim query (`storage.checkin_delivery.claim_due`) and the expiry
  that precedes it (`expire_stale`), exactly as the bot sends them (captured from the
  real functions in a transaction that is rolled back), under EXPLAIN QUERY PLAN
  (SQLite) or EXPLAIN ANALYZE (PostgreSQL, after an ANALYZE, as autovacuum would soon
  run after such a load), and says whether they use the (status, due_at) index, with
  their time;
- starts the real `grow-coach run` against the Bot API emulator and measures, from the
  moment the process is started: ready (its first getUpdates call) and the first
  dispatcher round (the first due check-in reaching the emulator);
- after --rounds more dispatcher rounds, the bot's VmRSS and VmHWM and its CPU per
  round while otherwise idle (the dispatcher runs every second).

Targets: ready under 5 s, RSS under 200 MB. Figures only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bench.driver import cpu_seconds, database, log, vm_mb
from bench.seed import (
    ClockedEmulator,
    Statement,
    analyze,
    captured,
    checkin_bot,
    explain,
    revision,
    seed_due_leaders,
    seed_future_checkins,
    timed,
)
from devtools.bot_process import wait_until_polling
from devtools.telegram_emulator import EmulatorConfig
from storage.checkin_delivery import claim_due, expire_stale
from storage.db import Database

FIRST_LEADER = 4_000_000
DUE_NOW_LEADER = 4_900_000
DUE_NOW = 5  # leaders with a check-in due at start: their delivery marks the first round
INDEX = "ix_checkins_status_due_at"
READY_TARGET_S = 5.0
RSS_TARGET_MB = 200.0


@dataclass
class Plan:
    name: str
    lines: list[str]
    milliseconds: float

    @property
    def uses_index(self) -> bool:
        return any(INDEX in line for line in self.lines)

    @property
    def full_scan(self) -> bool:
        # SQLite: "SCAN checkins" (no index); PostgreSQL: "Seq Scan on checkins".
        return any(
            line.strip().startswith("SCAN checkins") or "Seq Scan on checkins" in line for line in self.lines
        )


@dataclass
class Figures:
    db: str
    checkins: int
    leaders: int
    seed_seconds: float
    db_size_mb: float | None
    plans: list[Plan]
    ready_s: float = float("nan")
    first_round_s: float = float("nan")
    all_due_s: float = float("nan")
    idle_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_per_round_ms: float = float("nan")
    rounds: int = 0
    exited: str = ""
    revision: str = "unknown"

    def show(self) -> None:
        size = f", database file {self.db_size_mb:.0f} MB" if self.db_size_mb is not None else ""
        print(
            f"check-in start-up: {self.checkins} pending check-ins (due in 1 h … 90 d) over "
            f"{self.leaders} leaders, {self.db}; seeding took {self.seed_seconds:.0f} s{size}; "
            f"bot at {self.revision}",
            flush=True,
        )
        for plan in self.plans:
            index = f"uses {INDEX}" if plan.uses_index else f"does NOT use {INDEX}"
            scan = " — full table scan of checkins" if plan.full_scan else ""
            print(f"  {plan.name}: {index}{scan}; {plan.milliseconds:.2f} ms (median of 5)")
            for line in plan.lines:
                print(f"      {line}")
        if self.exited:
            print(f"  the bot exited: {self.exited}")
            return
        rss = self.idle_rss_mb.get("VmRSS", float("nan"))
        hwm = self.idle_rss_mb.get("VmHWM", float("nan"))
        print(
            f"  ready (first getUpdates) {self.ready_s:.2f} s after process start; target < "
            f"{READY_TARGET_S:.0f} s {'met' if self.ready_s < READY_TARGET_S else 'MISSED'}"
        )
        print(
            f"  first dispatcher round (first due check-in delivered) {self.first_round_s:.2f} s; "
            f"all {DUE_NOW} due ones {self.all_due_s:.2f} s"
        )
        print(
            f"  after {self.rounds} more rounds: VmRSS {rss:.1f} MB, VmHWM {hwm:.1f} MB; target < "
            f"{RSS_TARGET_MB:.0f} MB {'met' if max(rss, hwm) < RSS_TARGET_MB else 'MISSED'}"
        )
        print(
            f"  bot CPU while idle: {self.cpu_per_round_ms:.0f} ms per second "
            f"(one dispatcher round and the long poll)"
        )


def plans(database_url: str, grace: timedelta = timedelta(days=1)) -> list[Plan]:
    """The statements of one dispatcher round, as the bot sends them, with their plans."""
    db = Database(database_url)
    try:
        now = datetime.now(UTC)

        def one_round(session: Session) -> None:
            expire_stale(session, now, grace)
            claim_due(session, now, "bench", 100)

        statements = captured(db.engine, one_round)
        chosen: list[tuple[str, Statement]] = []
        for statement in statements:
            head = statement.sql.lstrip().split(None, 1)[0].upper()
            if head == "UPDATE" and "checkins" in statement.sql:
                chosen.append(("expire_stale (UPDATE)", statement))
            elif head == "SELECT" and "checkins" in statement.sql:
                chosen.append(("claim_due (SELECT)", statement))
        return [Plan(name, explain(db.engine, s), timed(db.engine, s)) for name, s in chosen]
    finally:
        db.dispose()


async def start_up(database_url: str, workdir: Path, due: list[int], rounds: int) -> dict[str, float]:
    async with ClockedEmulator(config=EmulatorConfig(record_calls=False)) as emulator:
        for external_id in due:
            emulator.add_user(external_id, first_name="Ana")
        bot = checkin_bot(emulator, database_url, workdir)
        started = time.perf_counter()
        await bot.start()
        try:
            await wait_until_polling(emulator, bot, timeout=120)
            assert bot.process is not None
            pid = bot.process.pid
            try:
                await emulator.wait_for(lambda: len({chat for _, chat in emulator.sends}) >= len(due), 120)
            except TimeoutError:
                log(f"    only {len(emulator.sends)} of {len(due)} due check-ins arrived in 120 s")
            # A few more rounds, then memory, and the CPU of rounds with nothing due.
            cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
            await asyncio.sleep(rounds)
            cpu = (cpu_seconds(pid) - cpu_before) / (time.perf_counter() - wall_before)
            memory = vm_mb(pid)
        finally:
            await bot.stop()
            text = bot.log()
        if bot.process is not None and bot.process.returncode not in (0, None, -15):
            raise RuntimeError(f"bot exited with {bot.process.returncode}:\n{text[-2000:]}")
        sends = sorted(at for at, _ in emulator.sends)
        return {
            "ready": emulator.first_call.get("getupdates", float("nan")) - started,
            "first_round": (sends[0] - started) if sends else float("nan"),
            "all_due": (sends[len(due) - 1] - started) if len(sends) >= len(due) else float("nan"),
            "cpu_ms": cpu * 1000,
            **memory,
        }


async def run(
    *, checkins: int = 1_000_000, leaders: int = 5_000, db: str = "sqlite", rounds: int = 5
) -> Figures:
    log(f"check-in start-up: {checkins} check-ins over {leaders} leaders, {db}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="grow-bench-startup-") as tmp:
        workdir = Path(tmp)
        with database(db, workdir) as url:
            log("  seeding")
            seeded = await asyncio.to_thread(seed_future_checkins, url, checkins, leaders, FIRST_LEADER)
            due = await asyncio.to_thread(
                seed_due_leaders, url, DUE_NOW, DUE_NOW_LEADER, datetime.now(UTC) - timedelta(seconds=5)
            )
            await asyncio.to_thread(analyze, url)
            size = (workdir / "grow-coach.db").stat().st_size / 2**20 if db == "sqlite" else None
            log("  explaining one dispatcher round")
            figures = Figures(db, seeded.checkins, leaders, seeded.seconds + due.seconds, size, plans(url))
            log("  starting the bot")
            figures.revision = revision()  # the code the bot process loads now
            try:
                measured = await start_up(url, workdir, due.external_ids, rounds)
            except RuntimeError as error:
                figures.exited = str(error)
            else:
                figures.ready_s = measured["ready"]
                figures.first_round_s = measured["first_round"]
                figures.all_due_s = measured["all_due"]
                figures.cpu_per_round_ms = measured["cpu_ms"]
                figures.idle_rss_mb = {k: measured[k] for k in ("VmRSS", "VmHWM") if k in measured}
                figures.rounds = rounds
    figures.show()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.checkin_startup", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--checkins", type=int, default=1_000_000, help="scheduled check-ins (default 1000000)"
    )
    parser.add_argument("--leaders", type=int, default=5_000, help="leaders they belong to (default 5000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--rounds", type=int, default=5, help="dispatcher rounds before measuring RSS (default 5)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(checkins=args.checkins, leaders=args.leaders, db=args.db, rounds=args.rounds))


if __name__ == "__main__":
    main()
