"""A burst of due check-ins: 10,000 leaders whose check-in falls due at the same moment.

    .venv/bin/python -m bench.checkin_burst [--count 10000] [--db sqlite|postgresql]
        [--rate 30] [--per-chat-rate 1] [--send-rate N]

Seeds --count onboarded, idle leaders straight into the database, each with an open goal,
a committed session with an action and one check-in due now. Then the real
`grow-coach run` (dispatcher every 1 s, quiet hours off, grace 1 d) delivers them
through the Bot API emulator, which enforces Telegram's flood limits: --rate messages a
second overall (default 30) and --per-chat-rate per chat (default 1), answering 429
above them. It runs until every leader has their check-in, or a time bound of
count / rate × 1.5 + 60 s.

Prints: the delivered rate over the steady part (10th to 90th percentile of deliveries)
as a share of the limit, the busiest one-second window, 429 answers (target 0),
duplicates (chats with more than one check-in message; target 0), lost (chats with
none; target 0), the check-ins' statuses in the database (all sent), the bot's CPU and
RSS. --send-rate sets the bot's `[checkins] send_rate` (the pace of check-in sends,
default 30 a second), to see how the pace meets the emulator's limit.
Figures only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.driver import cpu_seconds, database, log, vm_mb
from bench.seed import (
    ClockedEmulator,
    analyze,
    checkin_bot,
    checkin_statuses,
    log_errors,
    revision,
    seed_due_leaders,
)
from devtools.bot_process import wait_until_polling
from devtools.telegram_emulator import EmulatorConfig

FIRST_LEADER = 3_000_000


@dataclass
class Figures:
    count: int
    limit: float
    send_rate: str
    seed_seconds: float
    ready_seconds: float
    sends: list[tuple[float, int]]
    expected: set[int]
    rate_limited: int
    statuses: Counter[tuple[str, int]]
    db_statuses: dict[str, int]
    bot_cpu_seconds: float
    rss_mb: dict[str, float]
    log_retries: int
    log_errors: Counter[str]
    bot_started: float
    timed_out: bool
    revision: str
    notes: list[str] = field(default_factory=list)

    def per_chat(self) -> Counter[int]:
        return Counter(chat for _, chat in self.sends)

    def show(self) -> None:
        per_chat = self.per_chat()
        delivered = sum(1 for chat in self.expected if per_chat[chat] >= 1)
        duplicates = sum(1 for chat in self.expected if per_chat[chat] > 1)
        lost = len(self.expected) - delivered
        strangers = sum(count for chat, count in per_chat.items() if chat not in self.expected)
        times = sorted(at for at, _ in self.sends)
        print(
            f"check-in burst: {self.count} leaders due at once, limit {self.limit:.0f} msg/s overall "
            f"(per chat 1/s), check-in pace {self.send_rate}; bot at {self.revision}",
            flush=True,
        )
        print(
            f"  seeding {self.count} leaders took {self.seed_seconds:.1f} s; bot polling after "
            f"{self.ready_seconds:.1f} s"
        )
        if times:
            first, last = times[0] - self.bot_started, times[-1] - self.bot_started
            steady = _steady_rate(times)
            overall = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
            print(
                f"  delivered {delivered}/{self.count}: first {first:.1f} s, last {last:.1f} s after the "
                f"bot started; {overall:.1f} msg/s first to last"
            )
            print(
                f"  steady rate (10th-90th percentile of deliveries): {steady:.1f} msg/s = "
                f"{steady / self.limit:.0%} of the limit; busiest 1 s window {_busiest(times):d} msgs; "
                f"slowest 10 s window in the steady part {_slowest_window(times):.1f} msg/s"
            )
        else:
            print("  delivered nothing")
        print(
            f"  429 answers: {self.rate_limited} (target 0; the bot logged {self.log_retries} "
            f"'Rate limit hit' retries)"
        )
        print(f"  duplicates: {duplicates} chats with more than one check-in message (target 0)")
        print(
            f"  lost: {lost} chats without their check-in (target 0)"
            + (" — stopped at the time bound" if self.timed_out and lost else "")
        )
        if strangers:
            print(f"  {strangers} messages to chats that were not seeded")
        # getUpdates 409 is PTB's last confirming poll at shutdown overtaking the long poll.
        other = {
            f"{m} {s}": n
            for (m, s), n in sorted(self.statuses.items())
            if s not in (200, 429) and (m, s) != ("getupdates", 409)
        }
        if other:
            print(f"  other API errors: {other}")
        all_sent = self.db_statuses.get("sent", 0) == self.count and len(self.db_statuses) == 1
        print(f"  database: {self.db_statuses} — {'all sent' if all_sent else 'NOT all sent'}")
        span = (times[-1] - self.bot_started) if times else 1.0
        cpu = self.bot_cpu_seconds
        rss, hwm = self.rss_mb.get("VmRSS", float("nan")), self.rss_mb.get("VmHWM", float("nan"))
        print(
            f"  bot CPU {cpu:.1f} s ({cpu / span:.0%} of a core over the run, "
            f"{cpu / max(delivered, 1) * 1000:.1f} ms per check-in); RSS {rss:.1f} MB, peak {hwm:.1f} MB"
        )
        errors = sum(self.log_errors.values())
        print(
            f"  bot log ERROR lines: {errors}"
            + (f" {dict(self.log_errors.most_common(3))}" if errors else "")
        )
        verdict = {
            "0 × 429": self.rate_limited == 0,
            "0 duplicates": duplicates == 0,
            "0 lost": lost == 0,
            "all sent in the database": all_sent,
        }
        print(
            "  targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdict.items())
        )
        for note in self.notes:
            print(f"  {note}")


def _steady_rate(times: list[float]) -> float:
    """Deliveries per second between the 10th and 90th percentile delivery: ramp-up and tail left out."""
    if len(times) < 10:
        return float("nan")
    low, high = len(times) // 10, len(times) * 9 // 10
    span = times[high] - times[low]
    return (high - low) / span if span > 0 else float("nan")


def _busiest(times: list[float]) -> int:
    """Most deliveries in any one-second window (a sliding window over the sorted times)."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _slowest_window(times: list[float], width: float = 10.0) -> float:
    if len(times) < 10:
        return float("nan")
    low, high = times[len(times) // 10], times[len(times) * 9 // 10]
    rates = []
    at = low
    while at + width <= high:
        rates.append(sum(1 for t in times if at <= t < at + width) / width)
        at += width
    return min(rates) if rates else float("nan")


async def burst(
    database_url: str,
    workdir: Path,
    count: int,
    rate: float,
    per_chat_rate: float,
    send_rate: int | None,
    bound: float,
) -> Figures:
    log(f"  seeding {count} leaders with a check-in due now")
    # Due a few seconds ago: every one is due when the dispatcher first looks, none stale.
    seeded = await asyncio.to_thread(
        seed_due_leaders, database_url, count, FIRST_LEADER, datetime.now(UTC) - timedelta(seconds=5)
    )
    await asyncio.to_thread(analyze, database_url)  # PostgreSQL: statistics for the loaded tables
    config = EmulatorConfig(record_calls=False, global_rate=rate, per_chat_rate=per_chat_rate)
    async with ClockedEmulator(config=config) as emulator:
        for external_id in seeded.external_ids:
            emulator.add_user(external_id, first_name="Ana")
        pace = {} if send_rate is None else {"GROW_COACH_CHECKINS_SEND_RATE": str(send_rate)}
        bot = checkin_bot(emulator, database_url, workdir, **pace)
        code = revision()  # the code the bot process loads now
        started = time.perf_counter()
        await bot.start()
        timed_out = False
        try:
            await wait_until_polling(emulator, bot)
            ready = time.perf_counter() - started
            assert bot.process is not None
            pid = bot.process.pid
            expected = set(seeded.external_ids)
            delivered: set[int] = set()
            seen = 0
            last_report = time.perf_counter()
            reported = 0
            while True:
                await asyncio.sleep(0.5)
                for _, chat in emulator.sends[seen:]:
                    delivered.add(chat)
                seen = len(emulator.sends)
                now = time.perf_counter()
                if now - last_report >= 10:
                    log(
                        f"    {len(delivered & expected)}/{count} delivered, "
                        f"{(seen - reported) / (now - last_report):.1f} msg/s, "
                        f"429s {emulator.rate_limited_count}, bot RSS {vm_mb(pid).get('VmRSS', 0):.0f} MB"
                    )
                    last_report, reported = now, seen
                if expected <= delivered:
                    # A little longer, so a duplicate sent right after would still be counted.
                    await asyncio.sleep(3)
                    break
                if now - started > bound:
                    timed_out = True
                    log(f"    time bound of {bound:.0f} s reached")
                    break
                if bot.process.returncode is not None:
                    log("    the bot exited")
                    break
            cpu = cpu_seconds(pid)
            rss = vm_mb(pid)
        finally:
            await bot.stop()
        text = bot.log()
        figures = Figures(
            count=count,
            limit=rate,
            send_rate=f"[checkins] send_rate={send_rate}/s"
            if send_rate
            else "[checkins] send_rate default (30/s)",
            seed_seconds=seeded.seconds,
            ready_seconds=ready,
            sends=list(emulator.sends),
            expected=set(seeded.external_ids),
            rate_limited=emulator.rate_limited_count,
            statuses=emulator.statuses,
            db_statuses=await asyncio.to_thread(checkin_statuses, database_url),
            bot_cpu_seconds=cpu,
            rss_mb=rss,
            log_retries=text.count("Rate limit hit"),
            log_errors=log_errors(text),
            bot_started=started,
            timed_out=timed_out,
            revision=code,
        )
        return figures


async def run(
    *,
    count: int = 10_000,
    db: str = "sqlite",
    rate: float = 30.0,
    per_chat_rate: float = 1.0,
    send_rate: int | None = None,
    bound: float | None = None,
) -> Figures:
    limit = bound if bound is not None else count / rate * 1.5 + 60
    log(f"check-in burst: {count} leaders, {db}, {os.cpu_count()} CPUs, time bound {limit:.0f} s")
    with tempfile.TemporaryDirectory(prefix="grow-bench-burst-") as tmp:
        workdir = Path(tmp)
        with database(db, workdir) as url:
            figures = await burst(url, workdir, count, rate, per_chat_rate, send_rate, limit)
    figures.show()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.checkin_burst", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--count", type=int, default=10_000, help="leaders with a check-in due (default 10000)"
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--rate", type=float, default=30.0, help="emulator's overall limit, msg/s (default 30)"
    )
    parser.add_argument(
        "--per-chat-rate", type=float, default=1.0, help="emulator's per-chat limit (default 1)"
    )
    parser.add_argument("--send-rate", type=int, help="the bot's [checkins] send_rate, 1-30 a second")
    parser.add_argument(
        "--bound", type=float, help="stop after this many seconds (default count/rate*1.5+60)"
    )
    args = parser.parse_args(argv)
    asyncio.run(
        run(
            count=args.count,
            db=args.db,
            rate=args.rate,
            per_chat_rate=args.per_chat_rate,
            send_rate=args.send_rate,
            bound=args.bound,
        )
    )


if __name__ == "__main__":
    main()
