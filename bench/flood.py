"""One leader floods the bot while 200 others coach at a normal pace: do the others notice?

    .venv/bin/python -m bench.flood [--leaders N] [--flood M] [--rate R] [--no-rate-limit]

Each run is a fresh emulator, a fresh `grow-coach run` (SQLite) and a fresh database. N
leaders (default 200) go through complete GROW sessions, each answering about R times a
second (default 1). In the second run one more leader sends M messages (default 1,000)
all at once, three seconds in. Printed: the other leaders' reply latency p50/p99 without
and with the flood and the ratio, what became of the flood (handled, dropped, notices),
and the bot's resident memory (bot and service process together) at the start, its peak
and at the end. With --no-rate-limit the flooder's messages are all queued (fairness
alone keeps the others going). Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.driver import (
    FULL_PATH,
    Script,
    Tally,
    TimingEmulator,
    calibrate,
    converse,
    emulator_config,
    log,
    our_bot,
    paced,
    percentile_ms,
    vm_mb,
)
from bot.frontend_texts import frontend_texts
from devtools.bot_process import wait_until_polling
from devtools.telegram_emulator import BotApiEmulator, Sender

TOO_FAST = frontend_texts("en").too_fast

FIRST_LEADER = 1_000_000
CALIBRATION_LEADER = 999_999
FLOODER = 900_000
FLOOD_AFTER = 3.0
RSS_EVERY = 0.1


class OthersOnlyEmulator(TimingEmulator):
    """Latency of everyone but the flooder: the flooder's own wait is not the question."""

    def _user_message(self, user_id: int, sender: Sender, content: dict[str, Any]) -> int:
        if sender.get("chat_id", user_id) == FLOODER:
            return BotApiEmulator._user_message(self, user_id, sender, content)
        return super()._user_message(user_id, sender, content)

    def flood(self, count: int) -> None:
        for n in range(count):
            BotApiEmulator._user_message(self, FLOODER, {}, {"text": f"and another thing ({n})"})


@dataclass
class Run:
    flood: int
    latencies: list[float]
    completed: int
    leaders: int
    seconds: float
    rss_start: float
    rss_peak: float
    rss_end: float
    flood_handled: int = 0
    flood_dropped: int = 0
    notices: int = 0

    def p(self, percent: int) -> float:
        return percentile_ms(self.latencies, percent)


async def one_run(leaders: int, rate: float, flood: int, rate_limit: bool, workdir: Path) -> Run:
    async with OthersOnlyEmulator(config=emulator_config()) as emulator:
        process = our_bot(emulator, f"sqlite:///{workdir / 'grow-coach.db'}", workdir)
        if not rate_limit:
            process.env["GROW_COACH_TELEGRAM_LEADER_BURST"] = str(flood + 1_000)
        await process.start()
        try:
            await wait_until_polling(emulator, process)
            assert process.process is not None
            pid = process.process.pid
            script: Script = await calibrate(emulator, CALIBRATION_LEADER, FULL_PATH)
            emulator.reset_measurements()
            rss_start = vm_mb(pid)["VmRSS"]
            rss_peak = rss_start
            tally = Tally()
            rng = random.Random(7)
            think = paced(rate, rng)

            async def leader(user_id: int) -> None:
                await asyncio.sleep(rng.uniform(0, 1 / rate))
                await converse(emulator, user_id, script, tally, think=think)

            async def flooder() -> None:
                await asyncio.sleep(FLOOD_AFTER)
                emulator.flood(flood)

            log(f"  {leaders} leaders × {len(script)} answers, flood of {flood}")
            started = time.perf_counter()
            everyone = asyncio.gather(*(leader(FIRST_LEADER + n) for n in range(leaders)), flooder())
            while not everyone.done():
                rss_peak = max(rss_peak, vm_mb(pid).get("VmRSS", 0.0))
                await asyncio.wait([everyone], timeout=RSS_EVERY)
            await everyone
            seconds = time.perf_counter() - started
            # What is left of the flood is handled (or dropped) before memory is read again.
            await emulator.wait_for(lambda: emulator.pending_update_count == 0, timeout=300)
            await asyncio.sleep(2.0)
            rss_end = vm_mb(pid)["VmRSS"]
        finally:
            await process.stop()
        bot_log = process.log()
        run = Run(
            flood=flood,
            latencies=emulator.latencies,
            completed=tally.completed,
            leaders=leaders,
            seconds=seconds,
            rss_start=rss_start,
            rss_peak=rss_peak,
            rss_end=rss_end,
        )
        run.flood_handled = len(re.findall(rf"user={FLOODER} event=", bot_log))
        run.flood_dropped = sum(int(n) for n in re.findall(rf"user={FLOODER} dropped=(\d+)", bot_log))
        run.notices = sum(1 for message in emulator.bot_messages(FLOODER) if message.text == TOO_FAST)
        return run


def print_run(label: str, run: Run) -> None:
    print(
        f"{label:<22} others p50 {run.p(50):6.1f} ms  p99 {run.p(99):6.1f} ms  "
        f"completed {run.completed}/{run.leaders} in {run.seconds:.1f} s  "
        f"RSS start {run.rss_start:5.1f} MB  peak {run.rss_peak:5.1f} MB  end {run.rss_end:5.1f} MB",
        flush=True,
    )
    if run.flood:
        print(
            f"{'':<22} flood of {run.flood}: {run.flood_handled} handled, {run.flood_dropped} dropped, "
            f"{run.notices} notice(s) to the flooder"
        )


async def run(leaders: int, rate: float, flood: int, rate_limit: bool) -> tuple[Run, Run]:
    print(f"Flood: {leaders} leaders at ~{rate}/s, one leader sends {flood} at once (SQLite)")
    results = []
    for count in (0, flood):
        with tempfile.TemporaryDirectory(prefix="grow-bench-") as name:
            results.append(await one_run(leaders, rate, count, rate_limit, Path(name)))
    calm, flooded = results
    print_run("without the flood", calm)
    print_run("with the flood" + ("" if rate_limit else " (no limit)"), flooded)
    ratio = flooded.p(99) / calm.p(99) if calm.latencies else float("nan")
    verdict = "met" if ratio <= 2.0 else "MISSED"
    print(f"others' p99 with / without the flood: ×{ratio:.2f} (target ≤ ×2: {verdict})")
    return calm, flooded


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n")[0])
    parser.add_argument("--leaders", type=int, default=200, help="leaders coaching at a pace (default 200)")
    parser.add_argument("--flood", type=int, default=1000, help="messages the flooder sends at once")
    parser.add_argument("--rate", type=float, default=1.0, help="answers per second per leader (default 1)")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="let the whole flood in (telegram.leader_burst raised)"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.leaders, args.rate, args.flood, not args.no_rate_limit))


if __name__ == "__main__":
    main()
