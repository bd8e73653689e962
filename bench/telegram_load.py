"""Load on the Telegram bot: many leaders through complete GROW sessions, ours against a PTB baseline.

    .venv/bin/python -m bench.telegram_load [--leaders N] [--rate R] [--db sqlite|postgresql]

Two load shapes, each on a fresh emulator, a fresh bot process and a fresh database:

- saturation: every leader answers the moment the previous reply has arrived;
- paced: every leader answers about R times a second (default 1), jittered ±50%.

For each shape it runs the real `grow-coach run` (SQLite, and PostgreSQL when
GROW_COACH_TEST_DATABASE_URL is set or --db postgresql) and bench/baseline_bot.py, and
prints conversations completed, answered messages per second, reply latency
p50/p95/p99, Bot API calls per answered message, peak RSS of the bot process, and the
ratios ours / baseline. Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, text

from bench.driver import (
    FULL_PATH,
    PG_URL_VARIABLE,
    Script,
    Tally,
    TimingEmulator,
    baseline_bot,
    calibrate,
    converse,
    cpu_by_process,
    emulator_config,
    fresh_postgres,
    log,
    machine_busy_seconds,
    our_bot,
    paced,
    peak_rss_mb,
    percentile_ms,
    postgres_server,
    sent_count,
    sqlalchemy_url,
    stored,
)
from bench.seed import seed_due_leaders
from devtools.bot_process import wait_until_polling

Shape = Literal["saturation", "paced", "checkins"]
BotKind = Literal["sqlite", "postgresql", "baseline"]
SHAPES: tuple[Shape, ...] = ("saturation", "paced", "checkins")
PACED_SHAPES: frozenset[Shape] = frozenset({"paced", "checkins"})
LABELS: dict[BotKind, str] = {
    "sqlite": "GROW Coach, SQLite",
    "postgresql": "GROW Coach, PostgreSQL",
    "baseline": "baseline (PTB examples)",
}
PACED_P99_TARGET_MS = 50.0
SLOW_MS = 100.0  # a reply this late is a stall a leader notices
FIRST_LEADER = 1_000_000
CALIBRATION_LEADER = 999_999
FIRST_CHECKIN_LEADER = 2_000_000
# The check-ins shape: seeded leaders whose check-ins fall due a moment after the
# measured phase starts, as on a morning when many were planned for the same hour.
CHECKINS_DUE_AFTER = 2.0


@dataclass
class Figures:
    bot: BotKind
    shape: Shape
    leaders: int
    completed: int
    answered: int
    seconds: float
    latencies: list[float]
    answered_at: list[float]
    calls: int
    calls_by_method: dict[str, int]
    peak_rss_mb: float
    bot_cpu: float  # share of one core the bot process used during the run
    harness_cpu: float  # the same for this process (emulator and leaders), to spot a harness limit
    other_cpu: float  # everything else on the machine (PostgreSQL too): a busy neighbour skews figures
    service_cpu: float = 0.0  # of bot_cpu, what its service processes (database work) used
    load: str = ""  # the machine's load average at the end of the run (uptime's three figures)
    checkins_due: int = 0
    checkins_sent: int = 0  # of those, check-ins the seeded leaders received during the run
    stored: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def p(self, percent: int) -> float:
        return percentile_ms(self.latencies, percent)

    @property
    def bot_cpu_ms_per_answer(self) -> float:
        # Steadier than throughput from run to run, and says where a CPU-bound bot stands.
        return self.bot_cpu * self.seconds / self.answered * 1000 if self.answered else float("nan")

    @property
    def calls_per_answer(self) -> float:
        return self.calls / self.answered if self.answered else float("nan")

    @property
    def slow(self) -> int:
        return sum(1 for latency in self.latencies if latency * 1000 > SLOW_MS)

    @property
    def stalls(self) -> int:
        """Seconds in which at least 5 replies were slow: stalls that hit many leaders at once."""
        seconds: Counter[int] = Counter(
            int(at)
            for at, latency in zip(self.answered_at, self.latencies, strict=True)
            if latency * 1000 > SLOW_MS
        )
        return sum(1 for count in seconds.values() if count >= 5)


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="grow-bench-") as name:
        yield Path(name)


async def run_shape(
    bot: BotKind,
    shape: Shape,
    leaders: int,
    rate: float,
    database_url: str | None,
    workdir: Path,
    scripts: dict[BotKind, Script],
    seed: int = 7,
    processes: str = "auto",
    checkins: int = 0,
) -> Figures:
    due = checkins if shape == "checkins" and bot != "baseline" else 0
    checkin_chats: list[int] = []
    if due:
        assert database_url is not None
        # Planned for tomorrow, so none goes out while the bot warms up; moved to "now" below.
        seeded = await asyncio.to_thread(
            seed_due_leaders, database_url, due, FIRST_CHECKIN_LEADER, datetime.now(UTC) + timedelta(days=1)
        )
        checkin_chats = seeded.external_ids
    async with TimingEmulator(config=emulator_config()) as emulator:
        for chat in checkin_chats:
            emulator.add_user(chat, first_name="Ana")
        if bot == "baseline":
            process = baseline_bot(emulator, workdir)
        else:
            assert database_url is not None
            # Quiet hours off: the seeded check-ins go out whatever the hour of the run.
            quiet = {"GROW_COACH_CHECKINS_QUIET_HOURS": ""} if due else {}
            process = our_bot(emulator, database_url, workdir, processes, **quiet)
        await process.start()
        try:
            await wait_until_polling(emulator, process)
            assert process.process is not None
            pid = process.process.pid
            # The first leader learns how many messages each answer brings, slowly; it
            # also warms the bot up (imports, connections), so it is not measured.
            if bot not in scripts:
                scripts[bot] = await calibrate(emulator, CALIBRATION_LEADER, FULL_PATH)
            else:
                await converse(emulator, CALIBRATION_LEADER, scripts[bot], Tally())
            script = scripts[bot]
            emulator.reset_measurements()
            tally = Tally()
            rng = random.Random(seed)
            think = paced(rate, rng) if shape in PACED_SHAPES else None
            if due:
                assert database_url is not None
                await asyncio.to_thread(
                    _make_due, database_url, datetime.now(UTC) + timedelta(seconds=CHECKINS_DUE_AFTER)
                )

            async def leader(user_id: int) -> None:
                if think is not None:
                    # Arrive spread over one pacing interval, not as one thundering herd.
                    await asyncio.sleep(rng.uniform(0, 1 / rate))
                await converse(emulator, user_id, script, tally, think=think)

            log(f"  {LABELS[bot]}, {shape}: {leaders} leaders × {len(script)} answers")
            cpu_before, harness_before = cpu_by_process(pid), time.process_time()
            machine_before = machine_busy_seconds()
            started = time.perf_counter()
            await asyncio.gather(*(leader(FIRST_LEADER + n) for n in range(leaders)))
            seconds = time.perf_counter() - started
            cpu_after = cpu_by_process(pid)
            bot_cpu = (sum(cpu_after.values()) - sum(cpu_before.values())) / seconds
            # Children started during the run (a replaced service process) count from 0.
            service_cpu = (
                sum(cpu - cpu_before.get(child, 0.0) for child, cpu in cpu_after.items() if child != pid)
                / seconds
            )
            sent = sum(1 for chat in checkin_chats if sent_count(emulator, chat))
            load = " ".join(os.getloadavg().__repr__().strip("()").split(", "))
            harness_cpu = (time.process_time() - harness_before) / seconds
            other_cpu = (machine_busy_seconds() - machine_before) / seconds - bot_cpu - harness_cpu
            rss = peak_rss_mb(pid)
        finally:
            await process.stop()
        figures = Figures(
            bot=bot,
            shape=shape,
            leaders=leaders,
            completed=tally.completed,
            answered=tally.answered,
            seconds=seconds,
            latencies=emulator.latencies,
            answered_at=emulator.answered_at,
            calls=emulator.total_calls,
            calls_by_method=dict(emulator.methods),
            peak_rss_mb=rss,
            bot_cpu=bot_cpu,
            harness_cpu=harness_cpu,
            other_cpu=max(other_cpu, 0.0),
            service_cpu=service_cpu,
            load=load,
            checkins_due=due,
            checkins_sent=sent,
            failures=tally.failures,
        )
        if database_url is not None:
            figures.stored = stored(database_url)
        return figures


def _make_due(database_url: str, due_at: datetime) -> None:
    """Every pending check-in falls due at `due_at`."""
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE checkins SET due_at = :due WHERE status = 'pending'"),
                {"due": due_at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else due_at},
            )
    finally:
        engine.dispose()


def print_figures(figures: Figures) -> None:
    f = figures
    print(
        f"{LABELS[f.bot]:<24} {f.shape:<10} completed {f.completed}/{f.leaders}  "
        f"{f.throughput:7.1f} answers/s  latency p50 {f.p(50):6.1f} ms  p95 {f.p(95):6.1f} ms  "
        f"p99 {f.p(99):6.1f} ms  {f.calls_per_answer:4.2f} API calls/answer  "
        f"peak RSS {f.peak_rss_mb:5.1f} MB",
        flush=True,
    )
    per_answer = (
        ", ".join(f"{method} {count / f.answered:.2f}" for method, count in sorted(f.calls_by_method.items()))
        if f.answered
        else "-"
    )
    print(
        f"{'':<24} {'':<10} {f.answered} answers in {f.seconds:.1f} s; bot CPU {f.bot_cpu:.0%} of a core "
        f"({f.bot_cpu_ms_per_answer:.1f} ms per answer; service processes {f.service_cpu:.0%}), "
        f"harness {f.harness_cpu:.0%}, rest of the machine {f.other_cpu:.0%}, load average {f.load}; "
        f"calls per answer: {per_answer}"
    )
    if f.shape in PACED_SHAPES:
        print(
            f"{'':<24} {'':<10} latency p50 {f.p(50):.1f} ms  p99 {f.p(99):.1f} ms  "
            f"max {max(f.latencies, default=float('nan')) * 1000:.1f} ms; {f.slow} replies over "
            f"{SLOW_MS:.0f} ms, {f.stalls} seconds with 5 or more of them"
            + (f"; check-ins due {f.checkins_due}, sent {f.checkins_sent}" if f.checkins_due else "")
        )
    if f.stored:
        print(
            f"{'':<24} {'':<10} in the database: {f.stored['users']} users, {f.stored['answers']} answers, "
            f"{f.stored['committed_sessions']} committed sessions"
        )
    for failure in f.failures:
        print(f"{'':<24} {'':<10} FAILED: {failure}")


def print_comparison(results: list[Figures]) -> None:
    print("\nOurs / baseline (throughput: higher is better; p99: lower is better)")
    for shape in SHAPES:
        baseline = next((f for f in results if f.shape == shape and f.bot == "baseline"), None)
        for ours in (f for f in results if f.shape == shape and f.bot != "baseline"):
            if baseline is None:
                continue
            throughput = ours.throughput / baseline.throughput if baseline.throughput else float("nan")
            p99 = ours.p(99) / baseline.p(99) if baseline.latencies else float("nan")
            print(f"  {shape:<10} {LABELS[ours.bot]:<24} throughput ×{throughput:.2f}  p99 ×{p99:.2f}")
    print("\nTargets")
    for ours in (f for f in results if f.bot != "baseline"):
        if ours.shape in PACED_SHAPES:
            met = ours.p(99) < PACED_P99_TARGET_MS
            print(
                f"  {ours.shape} p99 < {PACED_P99_TARGET_MS:.0f} ms ({LABELS[ours.bot]}): "
                f"{ours.p(99):.1f} ms — {'met' if met else 'MISSED'}"
            )
        else:
            baseline = next((f for f in results if f.shape == "saturation" and f.bot == "baseline"), None)
            if baseline is None:
                continue
            committed = ours.stored.get("answers", 0) > 0 and ours.completed == ours.leaders
            met = ours.throughput >= baseline.throughput and committed
            print(
                f"  saturation throughput ≥ baseline ({LABELS[ours.bot]}): {ours.throughput:.1f} vs "
                f"{baseline.throughput:.1f} answers/s — {'met' if met else 'MISSED'}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.telegram_load", description=__doc__.split("\n")[0])
    parser.add_argument("--leaders", type=int, default=200, help="simulated leaders per run (default 200)")
    parser.add_argument(
        "--rate", type=float, default=1.0, help="paced shape: answers per second per leader (default 1)"
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql"),
        help="only this database (default: SQLite, plus PostgreSQL if " + PG_URL_VARIABLE + " is set)",
    )
    parser.add_argument("--shape", choices=SHAPES, action="append", help="only this shape (repeatable)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the PTB baseline bot")
    parser.add_argument(
        "--checkins",
        type=int,
        default=600,
        help="checkins shape: seeded leaders whose check-ins fall due during the run (default 600)",
    )
    parser.add_argument(
        "--processes",
        default="auto",
        help="our bot's [database] processes: auto (default), or how many service processes",
    )
    args = parser.parse_args(argv)
    asyncio.run(
        run(
            leaders=args.leaders,
            rate=args.rate,
            databases=_databases(args.db),
            shapes=tuple(args.shape or SHAPES),
            baseline=not args.no_baseline,
            processes=args.processes,
            checkins=args.checkins,
        )
    )


def _databases(choice: str | None) -> tuple[BotKind, ...]:
    if choice == "sqlite":
        return ("sqlite",)
    if choice == "postgresql":
        return ("postgresql",)
    return ("sqlite", "postgresql") if os.environ.get(PG_URL_VARIABLE) else ("sqlite",)


async def run(
    *,
    leaders: int = 200,
    rate: float = 1.0,
    databases: tuple[BotKind, ...] = ("sqlite",),
    shapes: tuple[Shape, ...] = SHAPES,
    baseline: bool = True,
    processes: str = "auto",
    checkins: int = 600,
) -> list[Figures]:
    print(
        f"Telegram load: {leaders} leaders, complete GROW sessions, {os.cpu_count()} CPUs, "
        f"[database] processes = {processes}"
    )
    bots: tuple[BotKind, ...] = (*databases, "baseline") if baseline else databases
    scripts: dict[BotKind, Script] = {}
    results: list[Figures] = []
    with ExitStack() as stack:
        pg_base = stack.enter_context(postgres_server()) if "postgresql" in databases else None
        for shape in shapes:
            for bot in bots:
                if shape == "checkins" and bot == "baseline":
                    continue  # it has no check-ins: its paced figures stand for it
                with ExitStack() as per_run:
                    workdir = per_run.enter_context(_workdir())
                    url: str | None = None
                    if bot == "sqlite":
                        url = f"sqlite:///{workdir / 'grow-coach.db'}"
                    elif bot == "postgresql":
                        assert pg_base is not None
                        url = per_run.enter_context(fresh_postgres(pg_base))
                    figures = await run_shape(
                        bot,
                        shape,
                        leaders,
                        rate,
                        url,
                        workdir,
                        scripts,
                        processes=processes,
                        checkins=checkins,
                    )
                print_figures(figures)
                results.append(figures)
    print_comparison(results)
    return results


if __name__ == "__main__":
    main()
