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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bench.driver import (
    FULL_PATH,
    PG_URL_VARIABLE,
    Script,
    Tally,
    TimingEmulator,
    baseline_bot,
    calibrate,
    converse,
    cpu_seconds,
    emulator_config,
    fresh_postgres,
    log,
    machine_busy_seconds,
    our_bot,
    paced,
    peak_rss_mb,
    percentile_ms,
    postgres_server,
    stored,
)
from devtools.bot_process import wait_until_polling

Shape = Literal["saturation", "paced"]
BotKind = Literal["sqlite", "postgresql", "baseline"]
SHAPES: tuple[Shape, ...] = ("saturation", "paced")
LABELS: dict[BotKind, str] = {
    "sqlite": "GROW Coach, SQLite",
    "postgresql": "GROW Coach, PostgreSQL",
    "baseline": "baseline (PTB examples)",
}
PACED_P99_TARGET_MS = 50.0
FIRST_LEADER = 1_000_000
CALIBRATION_LEADER = 999_999


@dataclass
class Figures:
    bot: BotKind
    shape: Shape
    leaders: int
    completed: int
    answered: int
    seconds: float
    latencies: list[float]
    calls: int
    calls_by_method: dict[str, int]
    peak_rss_mb: float
    bot_cpu: float  # share of one core the bot process used during the run
    harness_cpu: float  # the same for this process (emulator and leaders), to spot a harness limit
    other_cpu: float  # everything else on the machine (PostgreSQL too): a busy neighbour skews figures
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
) -> Figures:
    async with TimingEmulator(config=emulator_config()) as emulator:
        if bot == "baseline":
            process = baseline_bot(emulator, workdir)
        else:
            assert database_url is not None
            process = our_bot(emulator, database_url, workdir, processes)
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
            think = paced(rate, rng) if shape == "paced" else None

            async def leader(user_id: int) -> None:
                if think is not None:
                    # Arrive spread over one pacing interval, not as one thundering herd.
                    await asyncio.sleep(rng.uniform(0, 1 / rate))
                await converse(emulator, user_id, script, tally, think=think)

            log(f"  {LABELS[bot]}, {shape}: {leaders} leaders × {len(script)} answers")
            cpu_before, harness_before = cpu_seconds(pid), time.process_time()
            machine_before = machine_busy_seconds()
            started = time.perf_counter()
            await asyncio.gather(*(leader(FIRST_LEADER + n) for n in range(leaders)))
            seconds = time.perf_counter() - started
            bot_cpu = (cpu_seconds(pid) - cpu_before) / seconds
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
            calls=emulator.total_calls,
            calls_by_method=dict(emulator.methods),
            peak_rss_mb=rss,
            bot_cpu=bot_cpu,
            harness_cpu=harness_cpu,
            other_cpu=max(other_cpu, 0.0),
            failures=tally.failures,
        )
        if database_url is not None:
            figures.stored = stored(database_url)
        return figures


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
        f"({f.bot_cpu_ms_per_answer:.1f} ms per answer), harness {f.harness_cpu:.0%}, "
        f"rest of the machine {f.other_cpu:.0%}; "
        f"calls per answer: {per_answer}"
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
        if ours.shape == "paced":
            met = ours.p(99) < PACED_P99_TARGET_MS
            print(
                f"  paced p99 < {PACED_P99_TARGET_MS:.0f} ms ({LABELS[ours.bot]}): "
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
                with ExitStack() as per_run:
                    workdir = per_run.enter_context(_workdir())
                    url: str | None = None
                    if bot == "sqlite":
                        url = f"sqlite:///{workdir / 'grow-coach.db'}"
                    elif bot == "postgresql":
                        assert pg_base is not None
                        url = per_run.enter_context(fresh_postgres(pg_base))
                    figures = await run_shape(
                        bot, shape, leaders, rate, url, workdir, scripts, processes=processes
                    )
                print_figures(figures)
                results.append(figures)
    print_comparison(results)
    return results


if __name__ == "__main__":
    main()
