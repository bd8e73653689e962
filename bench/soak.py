"""Soak: leaders coaching for minutes on end while Telegram misbehaves.

    .venv/bin/python -m bench.soak [--leaders 500] [--minutes 10] [--think 30] [--patience 5] [--onboard]
        [--db sqlite|postgresql] [--fault-rate 0.05] [--slow-rate 0.01] [--retry-rate 0.005]

N simulated leaders talk to the real `grow-coach run` through the Bot API emulator for
D minutes: /new, a whole GROW session to its recap, then /new and the next session, over
and over. They are seeded as onboarded leaders (--onboard: they start unknown, with
/start and onboarding by buttons). Each leader reads the bot's question, thinks for
--think seconds on average (uniform ±50%) and answers: by button where the question has
one, else in words. Which question is on screen is read from the leader's conversation
row, as a person reads the text. When no reply comes within --patience seconds, or the
bot says something went wrong, the leader sends /start, as a person would; /start
repeats the current question.

The emulator injects faults on the send methods: --fault-rate of them answer 500 or 502,
--retry-rate answer 429 (retry after 1 s), and --slow-rate are delivered but answered
only after the bot's read timeout (6 s against its 5 s), so the bot sees a timeout for a
message the leader did get.

Prints: conversations completed (committed sessions in the database, and recaps the
leaders saw), answers sent, leader timeouts, ERROR lines in the bot's log by kind, reply
latency p50/p95/p99 (from a leader's update being queued to the bot's first message or
edit to that chat; after minute 1, when the leaders' arrival wave has passed, and for the
first minute apart), and the bot's RSS at minute 1 (after warm-up) and at the end, with
the growth against the 10% target and a per-minute trace. Figures only: nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bench.driver import (
    GROW_SESSION,
    TimingEmulator,
    cpu_seconds,
    database,
    log,
    our_bot,
    percentile_ms,
    sqlalchemy_url,
    stored,
    vm_mb,
)
from bench.seed import ClockedEmulator, log_errors, revision, seed_onboarded
from bot.frontend_texts import frontend_texts
from devtools.bot_process import wait_until_polling
from devtools.telegram_emulator import EmulatorConfig
from devtools.telegram_emulator.config import SEND_METHODS

TEXTS = frontend_texts("en")

FIRST_LEADER = 5_000_000
RSS_GROWTH_TARGET = 0.10
READ_TIMEOUT_S = 5.0  # bot_env's GROW_COACH_TELEGRAM_READ_TIMEOUT
WARM_UP_S = 60.0

# What a leader answers at each question: ("say", words), ("press", value) or ("command", name).
Answer = tuple[str, str]
ANSWERS: dict[tuple[str, str], Answer] = {
    ("onboarding", "start"): ("command", "/start"),
    ("onboarding", "declined"): ("command", "/start"),
    ("onboarding", "consent"): ("press", "yes"),
    ("onboarding", "name"): ("say", "Ana"),
    ("onboarding", "level"): ("press", "first_time"),
    ("onboarding", "timezone"): ("press", "UTC"),
    # Declined, so every session is a plain GROW session as in earlier rounds (no reviews).
    ("engagement", "length"): ("say", "not now"),
    ("grow", "opening"): ("press", "continue"),
    ("grow", "goal"): ("say", GROW_SESSION[0].value),
    ("grow", "goal_concrete"): ("say", GROW_SESSION[0].value),
    ("grow", "goal_measure"): ("say", GROW_SESSION[1].value),
    ("grow", "goal_by_when"): ("say", GROW_SESSION[2].value),
    ("grow", "reality_now"): ("say", GROW_SESSION[3].value),
    ("grow", "reality_tried"): ("say", GROW_SESSION[4].value),
    ("grow", "reality_cost"): ("say", GROW_SESSION[5].value),
    ("grow", "reality_baseline"): ("press", "4"),
    ("grow", "options_bold"): ("say", GROW_SESSION[10].value),
    ("grow", "options_pick"): ("press", "0"),
    ("grow", "will_action"): ("say", GROW_SESSION[12].value),
    ("grow", "will_when"): ("say", GROW_SESSION[13].value),
    ("grow", "will_support"): ("say", GROW_SESSION[14].value),
    ("grow", "will_obstacle"): ("say", GROW_SESSION[15].value),
    ("grow", "will_if_then"): ("say", GROW_SESSION[16].value),
    ("grow", "will_commitment"): ("press", "9"),
    ("grow", "will_raise"): ("say", "a smaller first step"),
    ("grow", "will_low_next"): ("press", "keep"),
    ("idle", "idle"): ("command", "/new"),
}
OPTIONS = tuple(action.value for action in GROW_SESSION[7:10])  # options_first, options_more…


@dataclass
class Tally:
    answers: int = 0  # messages and presses the leaders sent
    timeouts: int = 0  # no reply within --patience: the leader sent /start
    told_to_restart: int = 0  # the bot said something went wrong: the leader sent /start
    no_keyboard: int = 0  # a button question whose keyboard never arrived: /start
    recaps: int = 0  # sessions the leaders saw through to the recap
    unknown: Counter[str] = field(default_factory=Counter)


class ConversationReader:
    """Which question a leader is on, from the conversations table (a plain reader: never locks)."""

    SQL = text(
        "SELECT c.flow, c.state, c.question_seq FROM conversations c JOIN users u ON u.id = c.user_id "
        "WHERE u.channel = 'telegram' AND u.external_id = :external_id"
    )

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_engine(sqlalchemy_url(database_url))

    def position(self, external_id: int) -> tuple[str, str, int] | None:
        with self.engine.connect() as connection:
            row = connection.execute(self.SQL, {"external_id": str(external_id)}).first()
        return (str(row[0]), str(row[1]), int(row[2])) if row is not None else None

    def close(self) -> None:
        self.engine.dispose()


def _press(emulator: TimingEmulator, user_id: int, question: int, value: str) -> bool:
    """Press `value` on the keyboard of question `question` (or its first button); False if none is shown."""
    chat = emulator.state.chats.get(user_id)
    if chat is None:
        return False
    prefix = f"a:{question}:"
    for message in reversed(chat.bot_messages.values()):
        data = [str(d) for d in message.callback_data() if str(d).startswith(prefix)]
        if data:
            wanted = f"{prefix}{value}"
            chosen = wanted if wanted in data else data[0]
            emulator.press_button(user_id, message.message_id, chosen, first_name="Ana")
            return True
    return False


async def leader(
    emulator: TimingEmulator,
    reader: ConversationReader,
    user_id: int,
    tally: Tally,
    *,
    think: float,
    patience: float,
    rng: random.Random,
    first: str,
) -> None:
    """One leader, until cancelled: act, wait for the reply, read it, think, answer."""
    await asyncio.sleep(rng.uniform(0, think))  # arrivals spread over one thinking time
    answer: Answer = ("command", first)
    question = 0
    previous_flow = ""
    options = 0
    while True:
        chat = emulator.state.chats.get(user_id)
        before = len(chat.bot_messages) if chat is not None else 0
        kind, value = answer
        if kind == "press" and not _press(emulator, user_id, question, value):
            # The question's keyboard never arrived (its send failed): ask for it again.
            tally.no_keyboard += 1
            kind, value = "command", "/start"
        if kind == "command":
            emulator.send_command(user_id, value, first_name="Ana")
        elif kind == "say":
            emulator.send_text(user_id, value, first_name="Ana")
        tally.answers += 1
        try:
            await emulator.wait_for_bot_messages(user_id, before + 1, timeout=patience)
        except TimeoutError:
            tally.timeouts += 1
            answer = ("command", "/start")
            continue
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
        last = emulator.last_bot_message(user_id)
        if last is not None and last.text in (TEXTS.something_wrong, TEXTS.try_again):
            tally.told_to_restart += 1
            answer = ("command", "/start")
            continue
        position = await asyncio.to_thread(reader.position, user_id)
        if position is None:
            answer = ("command", "/start")
            continue
        flow, state, question = position
        if flow == "idle" and previous_flow == "grow":
            tally.recaps += 1
        previous_flow = flow
        if state in ("options_first", "options_more"):
            answer = ("say", OPTIONS[options % len(OPTIONS)])
            options += 1
        elif (flow, state) in ANSWERS:
            answer = ANSWERS[(flow, state)]
        else:
            tally.unknown[f"{flow}/{state}"] += 1
            answer = ("command", "/cancel" if flow != "idle" else "/start")


@dataclass
class Figures:
    leaders: int
    minutes: float
    think: float
    patience: float
    db: str
    tally: Tally
    latencies: list[float]
    calls: Counter[str]
    statuses: Counter[tuple[str, int]]
    rss_trace: list[tuple[float, float]]  # (seconds since start, VmRSS MB)
    rss_minute_one: float
    warm_up_latencies: list[float]  # replies in the first minute, when every leader arrives at once
    warm_up_timeouts: int
    rss_end: float
    hwm_end: float
    bot_cpu: float
    stored: dict[str, int]
    errors: Counter[str]
    send_retries: int
    repeated: int
    seconds: float
    revision: str
    onboard: bool = False

    def show(self) -> None:
        t = self.tally
        print(
            f"soak: {self.leaders} leaders for {self.minutes:g} min ({self.db}), think {self.think:g} s "
            f"±50%, patience {self.patience:g} s, "
            f"{'onboarding through Telegram' if self.onboard else 'seeded as onboarded'}; "
            f"bot at {self.revision}",
            flush=True,
        )
        # Every call that puts something on a leader's screen: sends and edits alike.
        limited = sum(n for (m, _), n in self.statuses.items() if m in ("sendmessage", "editmessagetext"))
        committed, users = self.stored.get("committed_sessions", 0), self.stored.get("users", 0)
        print(
            f"  conversations completed: {committed} committed sessions in the database "
            f"({t.recaps} recaps seen by leaders), {users} leaders stored"
        )
        print(
            f"  {t.answers} answers sent ({t.answers / self.seconds:.1f}/s); the bot made "
            f"{limited / self.seconds:.1f} sends+edits/s ({limited / max(t.answers, 1):.2f} per answer)"
        )
        # getUpdates 409 is PTB's last confirming poll at shutdown overtaking the long poll.
        faults = {
            f"{m} {s}": n
            for (m, s), n in sorted(self.statuses.items())
            if s != 200 and (m, s) != ("getupdates", 409)
        }
        print(f"  injected/other API errors: {faults}")
        print(
            f"  leader timeouts (no reply in {self.patience:g} s, sent /start): {t.timeouts}; "
            f"told 'something went wrong' (sent /start): {t.told_to_restart}; "
            f"keyboard missing (sent /start): {t.no_keyboard}"
        )
        if t.unknown:
            print(f"  questions the leaders had no answer for: {dict(t.unknown.most_common(5))}")
        errors = sum(self.errors.values())
        print(
            f"  bot log ERROR lines: {errors}; sends the bot retried (WARNING lines): {self.send_retries}, "
            f"leaders shown the same message twice in a row: {self.repeated}"
        )
        for kind, count in self.errors.most_common(8):
            print(f"      {count:6d}  {kind}")
        print(
            f"  reply latency after minute 1: p50 {percentile_ms(self.latencies, 50):.0f} ms, "
            f"p95 {percentile_ms(self.latencies, 95):.0f} ms, p99 {percentile_ms(self.latencies, 99):.0f} ms "
            f"({len(self.latencies)} replies); all run: p99 "
            f"{percentile_ms(self.latencies + self.warm_up_latencies, 99):.0f} ms; minute 1 (arrivals): "
            f"p99 {percentile_ms(self.warm_up_latencies, 99):.0f} ms, {self.warm_up_timeouts} leader timeouts"
        )
        growth = (self.rss_end - self.rss_minute_one) / self.rss_minute_one if self.rss_minute_one else 0.0
        verdict = "met" if growth <= RSS_GROWTH_TARGET else "MISSED"
        print(
            f"  bot RSS: {self.rss_minute_one:.1f} MB at minute 1, {self.rss_end:.1f} MB at the end "
            f"({growth:+.1%}; target ≤ +{RSS_GROWTH_TARGET:.0%} {verdict}); peak {self.hwm_end:.1f} MB; "
            f"bot CPU {self.bot_cpu:.0%} of a core"
        )
        trace = ", ".join(f"{at / 60:.1f} min {mb:.1f}" for at, mb in self.rss_trace)
        print(f"  RSS trace (MB): {trace}")


async def soak(
    database_url: str,
    workdir: Path,
    *,
    leaders: int,
    minutes: float,
    think: float,
    patience: float,
    fault_rate: float,
    retry_rate: float,
    slow_rate: float,
    seed: int,
    onboard: bool,
    keep_log: Path | None = None,
) -> Figures:
    # One weighted draw per faulted call: 500 and 502 alike, and 429 in its own share.
    per_mille = round(fault_rate * 1000)
    statuses = (500,) * (per_mille // 2) + (502,) * (per_mille - per_mille // 2)
    statuses += (429,) * round(retry_rate * 1000)
    config = EmulatorConfig(
        record_calls=False,
        fault_rate=fault_rate + retry_rate if statuses else 0.0,
        fault_statuses=statuses or (500,),
        fault_methods=SEND_METHODS,
        slow_rate=slow_rate,
        slow_seconds=READ_TIMEOUT_S + 1,
        deliver_delayed=True,
        seed=seed,
    )
    external_ids = [FIRST_LEADER + n for n in range(leaders)]
    if not onboard:
        seconds = await asyncio.to_thread(seed_onboarded, database_url, external_ids)
        log(f"    {leaders} onboarded leaders seeded in {seconds:.1f} s")
    reader = ConversationReader(database_url)
    async with ClockedEmulator(config=config) as emulator:
        bot = our_bot(emulator, database_url, workdir)
        code = revision()  # the code the bot process loads now
        started = time.perf_counter()
        await bot.start()
        try:
            await wait_until_polling(emulator, bot)
            assert bot.process is not None
            pid = bot.process.pid
            tally = Tally()
            rng = random.Random(seed)
            tasks = [
                asyncio.create_task(
                    leader(
                        emulator,
                        reader,
                        external_id,
                        tally,
                        think=think,
                        patience=patience,
                        rng=random.Random(rng.random()),
                        first="/start" if onboard else "/new",
                    )
                )
                for external_id in external_ids
            ]
            began = time.perf_counter()
            duration = minutes * 60
            trace: list[tuple[float, float]] = []
            minute_one = float("nan")
            warm_up: list[float] = []
            warm_up_timeouts = 0
            cpu_before = cpu_seconds(pid)
            next_sample = 0.0
            while (elapsed := time.perf_counter() - began) < duration:
                if bot.process.returncode is not None:
                    log("    the bot exited")
                    break
                if elapsed >= next_sample:
                    rss = vm_mb(pid)["VmRSS"]
                    trace.append((elapsed, rss))
                    if next_sample == WARM_UP_S:
                        minute_one = rss
                        warm_up = list(emulator.latencies)
                        warm_up_timeouts = tally.timeouts
                        emulator.latencies = []
                    log(
                        f"    {elapsed:4.0f} s: {tally.answers} answers, {tally.recaps} recaps, "
                        f"{tally.timeouts} timeouts, RSS {rss:.1f} MB"
                    )
                    next_sample += WARM_UP_S
                await asyncio.sleep(min(1.0, max(0.0, duration - elapsed)))
            seconds = time.perf_counter() - began
            memory = vm_mb(pid) if bot.process.returncode is None else {}
            bot_cpu = (cpu_seconds(pid) - cpu_before) / seconds if bot.process.returncode is None else 0.0
            trace.append((seconds, memory.get("VmRSS", float("nan"))))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await bot.stop()
            reader.close()
            if keep_log is not None:
                keep_log.write_text(bot.log())
        log(f"    bot ran {time.perf_counter() - started:.0f} s")
        if minute_one != minute_one:  # shorter than the warm-up: the first sample stands in
            minute_one = trace[0][1]
        return Figures(
            leaders=leaders,
            minutes=minutes,
            think=think,
            patience=patience,
            db=database_url.split(":", 1)[0],
            tally=tally,
            latencies=list(emulator.latencies),
            calls=Counter({m: n for m, n in emulator.methods.items()}),
            statuses=emulator.statuses,
            rss_trace=trace,
            rss_minute_one=minute_one,
            warm_up_latencies=warm_up,
            warm_up_timeouts=warm_up_timeouts,
            rss_end=memory.get("VmRSS", float("nan")),
            hwm_end=memory.get("VmHWM", float("nan")),
            bot_cpu=bot_cpu,
            stored=await asyncio.to_thread(stored, database_url),
            errors=log_errors(bot.log()),
            send_retries=bot.log().count("retrying in"),
            repeated=emulator.repeats,
            seconds=seconds,
            revision=code,
        )


async def run(
    *,
    leaders: int = 500,
    minutes: float = 10.0,
    think: float = 30.0,
    patience: float = 5.0,
    db: str = "sqlite",
    fault_rate: float = 0.05,
    retry_rate: float = 0.005,
    slow_rate: float = 0.01,
    seed: int = 3,
    onboard: bool = False,
    keep_log: Path | None = None,
) -> Figures:
    log(
        f"soak: {leaders} leaders, {minutes:g} min, think {think:g} s, {db}, {os.cpu_count()} CPUs; "
        f"faults {fault_rate:.1%} 500/502, {retry_rate:.1%} 429, {slow_rate:.1%} slow"
    )
    with tempfile.TemporaryDirectory(prefix="grow-bench-soak-") as tmp:
        workdir = Path(tmp)
        with database(db, workdir) as url:
            figures = await soak(
                url,
                workdir,
                leaders=leaders,
                minutes=minutes,
                think=think,
                patience=patience,
                fault_rate=fault_rate,
                retry_rate=retry_rate,
                slow_rate=slow_rate,
                seed=seed,
                onboard=onboard,
                keep_log=keep_log,
            )
    figures.db = db
    figures.onboard = onboard
    figures.show()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--leaders", type=int, default=500, help="simulated leaders (default 500)")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument(
        "--think",
        type=float,
        default=30.0,
        help="mean seconds a leader takes to answer, ±50%% (default 30: 500 leaders send about 16 "
        "answers/s, about 21 messages/s from the bot, within the ~30/s Telegram allows a bot)",
    )
    parser.add_argument(
        "--onboard",
        action="store_true",
        help="leaders start unknown and onboard through Telegram (default: seeded as onboarded)",
    )
    parser.add_argument("--patience", type=float, default=5.0, help="seconds before /start (default 5)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--fault-rate", type=float, default=0.05, help="500/502 share of sends (default 0.05)"
    )
    parser.add_argument("--retry-rate", type=float, default=0.005, help="429 share of sends (default 0.005)")
    parser.add_argument("--slow-rate", type=float, default=0.01, help="late-answered sends (default 0.01)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep-log", type=Path, metavar="FILE", help="copy the bot's log here")
    args = parser.parse_args(argv)
    asyncio.run(
        run(
            leaders=args.leaders,
            minutes=args.minutes,
            think=args.think,
            patience=args.patience,
            db=args.db,
            fault_rate=args.fault_rate,
            retry_rate=args.retry_rate,
            slow_rate=args.slow_rate,
            seed=args.seed,
            onboard=args.onboard,
            keep_log=args.keep_log,
        )
    )


if __name__ == "__main__":
    main()
