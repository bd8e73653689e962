"""Several webhook workers on one PostgreSQL: updates a second, and one check-in pace for all.

    .venv/bin/python -m bench.shared_workers [--workers 1 3] [--leaders 100] [--send-rate 20] [--baseline]

For each worker count, N real `grow-coach run` webhook workers with `[telegram] workers =
"shared"` (one service process each) sit behind devtools/webhook_balancer.py, which posts
each update to a random worker, on a fresh PostgreSQL (GROW_COACH_TEST_DATABASE_URL, else
a throwaway cluster). The emulator delivers like Telegram under load (many updates in
flight, one per chat). --leaders leaders each type onboarding and a whole GROW session
(24 messages) without waiting for the replies.

Prints: updates handled a second (from the first update posted to the last one
committed), then, with every leader's action check-in made due at once, the check-ins'
rate at the API and the busiest second against `send_rate`, which holds for all the
workers together. On a machine with fewer cores than processes, more workers only share
the same CPU: the figure that matters there is that order and the pace hold.
--baseline first runs one worker with `workers = "single"` (order held in the process, no
inbox), so the inbox's cost per update shows. Figures only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bench.driver import database, log
from devtools.shared_workers import StampedEmulator, running_workers
from storage.encryption import generate_key

FIRST_LEADER = 8_100_000
MESSAGES = (
    "hello",
    "yes",
    "Ann",
    "first time",
    "UTC",
    "be a better leader",
    "stop avoiding difficult conversations with my team",
    "my team tells me that issues get raised early",
    "within a month",
    "last week I skipped telling Sam his report was late",
    "I wrote notes but never used them",
    "the team stops trusting deadlines",
    "4",
    "rehearse with a peer",
    "book a weekly slot for hard talks",
    "ask HR for a script",
    "tell the whole team what I expect",
    "2",
    "talk to Sam about deadlines",
    "in 10 days",
    "my manager",
    "I will put it off",
    "if I put it off then I book a room at once",
    "9",
)


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def count(engine: Engine, query: str) -> int:
    with engine.begin() as connection:
        return int(connection.execute(text(query)).scalar() or 0)


async def run(workers: int, leaders: int, send_rate: int, workdir: Path, mode: str = "shared") -> None:
    with database("postgresql", workdir, name=f"{mode}-{workers}") as url:
        async with StampedEmulator() as emulator:
            emulator.configure(webhook_concurrent=True)
            ids = [FIRST_LEADER + n for n in range(leaders)]
            for leader in ids:
                emulator.add_user(leader, first_name="Ann")
            workers_at_work = running_workers(
                emulator,
                url,
                workdir,
                count=workers,
                name=f"{mode}-{workers}",
                secret="bench-secret",
                burst=100,
                send_rate=send_rate,
                start_timeout=120,
                workers=mode,
                GROW_COACH_LOGGING_LEVEL="WARNING",
                GROW_COACH_PRIVACY_ENCRYPTION_KEY=generate_key(),
            )
            engine = create_engine(url)
            try:
                async with workers_at_work as (_, balancer):
                    total = leaders * len(MESSAGES)
                    started = time.monotonic()
                    for step in MESSAGES:
                        for leader in ids:
                            emulator.send_text(leader, step, first_name="Ann")
                    while count(engine, "SELECT count(*) FROM seen_updates") < total:
                        if time.monotonic() - started > 600:
                            raise RuntimeError("not every update was handled within 10 minutes")
                        await asyncio.sleep(0.25)
                    took = time.monotonic() - started
                    log(
                        f"{workers} {mode} worker(s): {total} updates from {leaders} leaders "
                        f"in {took:.1f}s, {total / took:.0f} updates/s "
                        f"({balancer.retried} posts retried elsewhere)"
                    )
                    before = {leader: len(emulator.sent_at[leader]) for leader in ids}
                    with engine.begin() as connection:
                        connection.execute(
                            text("UPDATE checkins SET due_at = now() WHERE kind = 'action_due'")
                        )
                    await emulator.wait_for(
                        lambda: all(len(emulator.sent_at[leader]) > before[leader] for leader in ids),
                        timeout=leaders / send_rate * 3 + 60,
                    )
                    await asyncio.sleep(0.5)
                    nudges = [t for leader in ids for t in emulator.sent_at[leader][before[leader] :]]
                    rate = (len(nudges) - 1) / (max(nudges) - min(nudges))
                    log(
                        f"{workers} {mode} worker(s): {len(nudges)} check-ins at {rate:.1f}/s, "
                        f"busiest second {busiest_second(nudges)} (send_rate {send_rate} for the whole bot)"
                    )
            finally:
                engine.dispose()


def main(argv: list[str] | None = None) -> None:
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.shared_workers", description=summary)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--leaders", type=int, default=100)
    parser.add_argument("--send-rate", type=int, default=20)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grow-bench-shared-") as name:
        if args.baseline:
            asyncio.run(run(1, args.leaders, args.send_rate, Path(name), mode="single"))
        for workers in args.workers:
            asyncio.run(run(workers, args.leaders, args.send_rate, Path(name)))


if __name__ == "__main__":
    main()
