"""How long a leader waits for the next question with the Bot API a network hop away.

    .venv/bin/python -m bench.latency_floor [--leaders N] [--rate R] [--rtt MS]
                                            [--mode polling|webhook] [--code PATH]

The emulator adds a round-trip time (default 50 ms, a server in Europe to Telegram) to
every Bot API call: half before the call is processed, half before its answer leaves. A
webhook delivery pays the same. N leaders (default 50) go through `/start`, onboarding,
a whole GROW session with two `/help`s in it, each answering about R times a second
(default 1, jittered ±50%), arriving spread over the first second.

What a leader feels is measured on the emulator's side, per kind of action (typed,
pressed, command): from the moment the update is available to the bot (queued for
getUpdates; in webhook mode, the moment the emulator starts posting it) to the moment the
emulator receives the `sendMessage` carrying the next question (the last message of the
reply; an edit of the pressed message is not it). The floor with long polling is two
round trips: the wait for the bot's next poll to reach the API (up to one round trip
under load, as the bot polls again as soon as an answer arrives), the poll's answer
travelling to the bot (half) and the question travelling back (half). With a webhook it
is one: the update out, the question back.

`--code PATH` runs the bot from another checkout (its PYTHONPATH), e.g. a worktree of an
older commit, so before and after can be compared with the same emulator and harness.
Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.driver import (
    GROW_SESSION,
    ONBOARDING,
    Action,
    Script,
    calibrate,
    emulator_config,
    log,
    our_bot,
    paced,
    percentile_ms,
    perform,
    sent_count,
)
from devtools.bot_process import TOKEN, BotProcess, wait_until_polling
from devtools.telegram_emulator import BotApiEmulator

Mode = Literal["polling", "webhook"]
Kind = Literal["typed", "pressed", "command"]
KINDS: tuple[Kind, ...] = ("typed", "pressed", "command")
KIND_OF: dict[str, Kind] = {"text": "typed", "press": "pressed", "command": "command"}
FIRST_LEADER = 3_000_000
CALIBRATION_LEADER = 2_999_999
HELP = Action.command("/help")
# The benchmarks' conversation (bench/driver.py), with /help where a leader might ask for
# it: after giving their name, and in the middle of Reality.
PATH: tuple[Action, ...] = (
    *ONBOARDING[:3],
    HELP,
    *ONBOARDING[3:],
    *GROW_SESSION[:4],
    HELP,
    *GROW_SESSION[4:],
)
# Issue 15's targets, in round trips plus milliseconds of the bot's own work.
TARGETS: dict[Mode, tuple[tuple[str, int, float, float], ...]] = {
    "polling": (("p50", 50, 2, 15.0), ("p99", 99, 2, 40.0)),
    "webhook": (("p50", 50, 1, 15.0),),
}


class FloorEmulator(BotApiEmulator):
    """The emulator, noting when each sendMessage and callback answer arrives, per chat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(TOKEN, **kwargs)
        self.sent_at: dict[int, list[float]] = defaultdict(list)
        self.courtesy_at: dict[int, list[tuple[str, float]]] = defaultdict(list)
        self.posted_at: dict[int, float] = {}
        self.pusher.on_post = self._posted

    def _posted(self, payload: dict[str, Any]) -> None:
        update_id = payload.get("update_id")
        if isinstance(update_id, int):
            self.posted_at.setdefault(update_id, time.perf_counter())

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        arrived = time.perf_counter()
        super()._record(method, params, status)
        if status != 200:
            return
        name = method.lower()
        if name == "sendmessage":
            self.sent_at[int(str(params.get("chat_id")))].append(arrived)
        elif name in ("answercallbackquery", "editmessagetext"):
            chat = params.get("chat_id")
            if chat is None and name == "answercallbackquery":
                record = self.handlers.callback_queries.get(str(params.get("callback_query_id")))
                chat = record.chat_id if record is not None else None
            if chat is not None:
                self.courtesy_at[int(str(chat))].append((name, arrived))


@dataclass
class Run:
    mode: Mode
    rtt: float
    waits: dict[Kind, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    # To the reply's first message: differs from the above where a reply is several messages.
    first_waits: dict[Kind, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    courtesy_waits: list[float] = field(default_factory=list)  # press -> callback answered
    presses: int = 0
    answered_presses: int = 0
    completed: int = 0
    failures: list[str] = field(default_factory=list)


async def leader(
    emulator: FloorEmulator, user_id: int, script: Script, run: Run, rng: random.Random, rate: float
) -> None:
    think = paced(rate, rng)
    await asyncio.sleep(rng.uniform(0, 1 / rate))
    for action, replies in script:
        before = sent_count(emulator, user_id)
        try:
            queued = time.perf_counter()
            update_id = perform(emulator, user_id, action)
            await emulator.wait_for_bot_messages(user_id, before + replies, timeout=60)
        except (TimeoutError, LookupError) as error:
            run.failures.append(str(error)[:300])
            return
        start = emulator.posted_at.pop(update_id, queued) if run.mode == "webhook" else queued
        question_at = emulator.sent_at[user_id][before + replies - 1]
        run.waits[KIND_OF[action.kind]].append(question_at - start)
        run.first_waits[KIND_OF[action.kind]].append(emulator.sent_at[user_id][before] - start)
        if action.kind == "press":
            run.presses += 1
            # The courtesies may still be on their way: give them a moment before looking.
            await asyncio.sleep(3 * run.rtt + 0.05)
            courtesies = emulator.courtesy_at.pop(user_id, [])
            answers = [at for name, at in courtesies if name == "answercallbackquery"]
            if answers:
                run.answered_presses += 1
                run.courtesy_waits.append(answers[0] - start)
        else:
            emulator.courtesy_at.pop(user_id, None)
        await asyncio.sleep(think())
    run.completed += 1


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="grow-bench-floor-") as name:
        yield Path(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_process(emulator: BotApiEmulator, mode: Mode, directory: Path, code: Path | None) -> BotProcess:
    process = our_bot(emulator, f"sqlite:///{directory / 'grow-coach.db'}", directory)
    if mode == "webhook":
        port = free_port()
        process.env.update(
            GROW_COACH_TELEGRAM_MODE="webhook",
            GROW_COACH_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            GROW_COACH_TELEGRAM_LISTEN="127.0.0.1",
            GROW_COACH_TELEGRAM_PORT=str(port),
            GROW_COACH_TELEGRAM_SECRET_TOKEN="bench-secret",
        )
    if code is not None:
        paths = [str(code), process.env.get("PYTHONPATH", "")]
        process.env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return process


async def measure(mode: Mode, leaders: int, rate: float, rtt: float, code: Path | None, seed: int) -> Run:
    config = emulator_config()
    async with FloorEmulator(config=config) as emulator:
        emulator.configure(latency=rtt, webhook_concurrent=True)
        with workdir() as directory:
            process = bot_process(emulator, mode, directory, code)
            await process.start()
            try:
                if mode == "webhook":
                    await emulator.wait_for(
                        lambda: emulator.webhook is not None or process.process.returncode is not None,
                        timeout=60,
                    )
                    if emulator.webhook is None:
                        raise RuntimeError(f"bot did not set its webhook:\n{process.log()[-3000:]}")
                else:
                    await wait_until_polling(emulator, process)
                # One leader, slowly, learns how many messages each answer brings and warms the bot up.
                script = await calibrate(emulator, CALIBRATION_LEADER, PATH)
                run = Run(mode, rtt)
                rng = random.Random(seed)
                log(f"  {mode}: {leaders} leaders × {len(script)} actions, {rtt * 1000:.0f} ms round trip")
                await asyncio.gather(
                    *(leader(emulator, FIRST_LEADER + n, script, run, rng, rate) for n in range(leaders))
                )
            finally:
                await process.stop()
    return run


def print_run(run: Run, leaders: int) -> None:
    rtt_ms = run.rtt * 1000
    title = "update queued" if run.mode == "polling" else "update posted"
    print(f"\n{run.mode}: {title} -> next question received ({rtt_ms:.0f} ms round trip)")
    print(f"  leaders completed: {run.completed}/{leaders}")
    header = f"  {'action':<9}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   round trips"
    print(f"{header:<64}first message p50")
    for kind in KINDS:
        samples = run.waits[kind]
        figures = [percentile_ms(samples, p) for p in (50, 95, 99)]
        trips = "/".join(f"{value / rtt_ms:.2f}" for value in figures)
        columns = "".join(f"{value:>9.1f}" for value in figures)
        line = f"  {kind:<9}{len(samples):>6}{columns}   {trips}"
        print(f"{line:<64}{percentile_ms(run.first_waits[kind], 50):.1f} ms")
    for name, percent, trips, extra in TARGETS[run.mode]:
        limit = trips * rtt_ms + extra
        worst = max(percentile_ms(run.waits[kind], percent) for kind in KINDS if run.waits[kind])
        verdict = "met" if worst <= limit else "NOT met"
        print(
            f"  target {name} <= {trips} round trips + {extra:.0f} ms = {limit:.0f} ms:"
            f" worst kind {worst:.1f} ms, {verdict}"
        )
    if run.presses:
        print(
            f"  presses with the callback answered: {run.answered_presses}/{run.presses},"
            f" p50 {percentile_ms(run.courtesy_waits, 50):.1f} ms after the update"
        )
    for failure in run.failures[:3]:
        print(f"  failed: {failure}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leaders", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1.0, help="answers per second per leader")
    parser.add_argument("--rtt", type=float, default=50.0, help="round-trip time to the Bot API, ms")
    parser.add_argument("--mode", action="append", choices=("polling", "webhook"))
    parser.add_argument("--code", type=Path, help="run the bot from this checkout instead")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    modes: tuple[Mode, ...] = tuple(args.mode or ("polling", "webhook"))
    for mode in modes:
        run = asyncio.run(measure(mode, args.leaders, args.rate, args.rtt / 1000, args.code, args.seed))
        print_run(run, args.leaders)


if __name__ == "__main__":
    main()
