"""What the Telegram benchmarks share: a timing emulator, the leaders' path, bot processes, databases.

Everything runs for real: the emulator is the aiohttp Bot API server from
devtools/telegram_emulator on loopback, and the bots are separate processes that poll it,
so the figures include HTTP, JSON and the database exactly as a deployment pays them.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Unpack

from sqlalchemy import create_engine, make_url, text

from devtools.bot_process import TOKEN, BotProcess, bot_env
from devtools.telegram_emulator import BotApiEmulator, EmulatorConfig, Sender, SentMessage

REPO = Path(__file__).resolve().parent.parent
PG_URL_VARIABLE = "GROW_COACH_TEST_DATABASE_URL"
# The first message the bot sends, or the courtesy edit of a pressed button, is what a
# leader perceives as "the bot answered".
REPLY_METHODS = frozenset({"sendmessage", "editmessagetext"})
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    """Progress goes to stderr so stdout carries only the figures."""
    print(message, file=sys.stderr, flush=True)


# --- the emulator, timed -------------------------------------------------------------


class TimingEmulator(BotApiEmulator):
    """The Bot API emulator, also noting when each leader's update was queued and answered.

    Latency is measured here, on the emulator's side, because that is where a real user
    sits: from the moment the update exists to the moment the bot's reply reaches the
    API. It includes the bot's long-poll pick-up, the database commit and the HTTP round
    trip of the reply itself.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(TOKEN, **kwargs)
        self._queued_at: dict[int, float] = {}
        self.latencies: list[float] = []
        # When each of `latencies` ended (perf_counter), to see whether slow replies come
        # one by one or as a stall that hits many leaders at once.
        self.answered_at: list[float] = []
        self.methods: Counter[str] = Counter()

    async def __aenter__(self) -> TimingEmulator:
        # Typed as this class, so `async with TimingEmulator() as e` sees the timing API.
        await self.start()
        return self

    def reset_measurements(self) -> None:
        """Forget the warm-up, so only the measured phase counts."""
        self._queued_at.clear()
        self.latencies = []
        self.answered_at = []
        self.methods = Counter()

    @property
    def total_calls(self) -> int:
        return sum(self.methods.values())

    def _user_message(self, user_id: int, sender: Sender, content: dict[str, Any]) -> int:
        self._queued_at[sender.get("chat_id", user_id)] = time.perf_counter()
        return super()._user_message(user_id, sender, content)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        strict: bool = True,
        **sender: Unpack[Sender],
    ) -> int:
        self._queued_at[sender.get("chat_id", user_id)] = time.perf_counter()
        return super().press_button(user_id, message_id, callback_data, strict=strict, **sender)

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        arrived = time.perf_counter()
        super()._record(method, params, status)
        self.methods[method] += 1
        if status != 200 or method.lower() not in REPLY_METHODS:
            return
        chat = _chat_key(params.get("chat_id"))
        queued = self._queued_at.pop(chat, None) if chat is not None else None
        if queued is not None:
            self.latencies.append(arrived - queued)
            self.answered_at.append(arrived)


def _chat_key(value: object) -> int | None:
    # PTB posts form fields, so chat_id arrives as a string.
    try:
        return int(str(value))
    except ValueError:
        return None


# --- what a leader does ----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing a leader sends: a command, a text answer, or a press on the latest keyboard."""

    kind: Literal["command", "text", "press"]
    value: str = ""  # the text, or the label of the button to press
    index: int | None = None  # press by position instead, where labels are the leader's own words

    @classmethod
    def command(cls, name: str) -> Action:
        return cls("command", name)

    @classmethod
    def say(cls, words: str) -> Action:
        return cls("text", words)

    @classmethod
    def press(cls, label: str) -> Action:
        return cls("press", label)

    @classmethod
    def press_nth(cls, index: int) -> Action:
        return cls("press", index=index)


ONBOARDING: tuple[Action, ...] = (
    Action.command("/start"),
    Action.press("Yes, let's start"),
    Action.say("Ana"),
    Action.press("First-time manager"),  # the guided style: the heavier path, with examples
    Action.press("UTC"),
)
GROW_SESSION: tuple[Action, ...] = (
    Action.say("stop avoiding difficult conversations with my team"),
    Action.say("my team tells me within a month that issues get raised early"),
    Action.say("by the end of January"),
    Action.say("last week I skipped telling Sam his report was late"),
    Action.say("I wrote notes but never used them"),
    Action.say("the team stops trusting deadlines"),
    Action.press("4"),
    Action.say("rehearse with a peer"),
    Action.say("book a weekly slot for hard talks"),
    Action.say("ask HR for a script"),
    Action.say("tell the whole team what I expect"),
    Action.press_nth(1),
    Action.say("talk to Sam about deadlines"),
    Action.say("friday"),
    Action.say("my manager"),
    Action.say("I will put it off"),
    Action.say("if I put it off then I book a room at once"),
    Action.press("9"),  # commitment 9: no 8/10 detour, straight to the recap
)
# A complete conversation: onboarding by buttons, every GROW answer, commitment, recap.
FULL_PATH: tuple[Action, ...] = ONBOARDING + GROW_SESSION

# How many messages the bot sends in answer to each action, learnt by calibrate().
Script = tuple[tuple[Action, int], ...]


def keyboard_message(emulator: BotApiEmulator, user_id: int) -> SentMessage:
    chat = emulator.state.chats.get(user_id)
    if chat is not None:
        for message in reversed(chat.bot_messages.values()):
            if message.reply_markup:
                return message
    raise LookupError(f"leader {user_id} has no keyboard to press")


def perform(emulator: BotApiEmulator, user_id: int, action: Action) -> int:
    """Send what the leader does; returns the emulator's update_id for it."""
    if action.kind == "command":
        return emulator.send_command(user_id, action.value, first_name="Ana")
    if action.kind == "text":
        return emulator.send_text(user_id, action.value, first_name="Ana")
    message = keyboard_message(emulator, user_id)
    pressable = message.buttons()
    chosen = [
        button
        for index, button in enumerate(pressable)
        if index == action.index or (action.index is None and button["text"] == action.value)
    ]
    if not chosen:
        labels = [button["text"] for button in pressable]
        raise LookupError(f"leader {user_id}: no button {action.value or action.index!r} in {labels}")
    return emulator.press_button(
        user_id, message.message_id, str(chosen[0]["callback_data"]), first_name="Ana"
    )


def sent_count(emulator: BotApiEmulator, user_id: int) -> int:
    chat = emulator.state.chats.get(user_id)
    return len(chat.bot_messages) if chat is not None else 0


async def calibrate(
    emulator: BotApiEmulator, user_id: int, path: tuple[Action, ...], settle: float = 0.3
) -> Script:
    """Walk one leader slowly through `path`, noting how many messages each answer brings.

    Loaded leaders then wait for exactly that many instead of for silence, so they can
    answer the moment the bot is done, and a missing reply shows up as a timeout.
    """
    script: list[tuple[Action, int]] = []
    for action in path:
        before = sent_count(emulator, user_id)
        perform(emulator, user_id, action)
        await emulator.wait_for_bot_messages(user_id, before + 1, timeout=30)
        count = sent_count(emulator, user_id)
        while True:
            await asyncio.sleep(settle)
            if sent_count(emulator, user_id) == count:
                break
            count = sent_count(emulator, user_id)
        script.append((action, count - before))
    return tuple(script)


@dataclass
class Tally:
    """Shared by all leaders of one run."""

    answered: int = 0
    completed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


async def converse(
    emulator: BotApiEmulator,
    user_id: int,
    script: Script,
    tally: Tally,
    *,
    think: Callable[[], float] | None = None,
    timeout: float = 120.0,
) -> bool:
    """One leader answers every step of `script`, each as soon as the bot is done (plus `think`)."""
    expected = sent_count(emulator, user_id)
    for action, replies in script:
        expected += replies
        try:
            perform(emulator, user_id, action)
            await emulator.wait_for_bot_messages(user_id, expected, timeout=timeout)
        except (TimeoutError, LookupError) as error:
            # A reply that never came, or a question other than the script's: this
            # conversation is counted as failed, and the others go on.
            tally.failed += 1
            if len(tally.failures) < 5:
                tally.failures.append(str(error)[:300])
            return False
        tally.answered += 1
        if think is not None:
            await asyncio.sleep(think())
    tally.completed += 1
    return True


def paced(rate: float, rng: random.Random) -> Callable[[], float]:
    """Think time for about `rate` answers a second per leader, jittered ±50%."""
    return lambda: rng.uniform(0.5, 1.5) / rate


# --- measuring a process ---------------------------------------------------------------


def process_family(pid: int) -> list[int]:
    """The bot's process and its children: the real bot does its database work in one."""
    family = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone while we looked
        if ppid == pid:
            family.append(int(stat.parent.name))
    return family


def vm_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a live process and its children together, in MB. Summed peaks
    may not have coincided, so VmHWM is an upper bound."""
    figures: dict[str, float] = {}
    for member in process_family(pid):
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = figures.get(key, 0.0) + int(value.split()[0]) / 1024
    return figures


def peak_rss_mb(pid: int) -> float:
    """VmHWM, the kernel's own high-water mark of resident memory (so no sample is missed),
    of the bot and its service process together."""
    figures = vm_mb(pid)
    if "VmHWM" not in figures:
        raise LookupError(f"no VmHWM for pid {pid}")
    return figures["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of the bot and its children, all their threads included."""
    return sum(cpu_by_process(pid).values())


def cpu_by_process(pid: int) -> dict[int, float]:
    """User plus system CPU of the bot (`pid`) and of each of its children, apart."""
    figures: dict[int, float] = {}
    for member in process_family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        figures[member] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return figures


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot, to tell how much other processes took."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


# --- the bots ---------------------------------------------------------------------------


class BaselineProcess(BotProcess):
    """bench/baseline_bot.py as a child process, started and stopped like the real bot."""

    async def start(self) -> BaselineProcess:
        log_file = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.baseline_bot",
            env=self.env,
            cwd=REPO,
            stdout=log_file,
            stderr=log_file,
            stdin=asyncio.subprocess.DEVNULL,
        )
        log_file.close()
        return self


def our_bot(
    emulator: BotApiEmulator, database_url: str, workdir: Path, processes: str = "auto", **overrides: str
) -> BotProcess:
    """The real `grow-coach run`, configured as a deployment would be, against the emulator."""
    env = bot_env(
        emulator,
        database_url,
        workdir,
        # The test harness polls for due check-ins every second; production's default is 5s.
        GROW_COACH_CHECKINS_DISPATCH_EVERY="5s",
        GROW_COACH_DATABASE_PROCESSES=processes,
        **overrides,
    )
    return BotProcess(env, workdir / "bot.log")


def baseline_bot(emulator: BotApiEmulator, workdir: Path) -> BotProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "BASELINE_TOKEN": TOKEN,
        "BASELINE_BASE_URL": emulator.base_url,
        "BASELINE_BASE_FILE_URL": emulator.base_file_url,
        "BASELINE_PERSISTENCE": str(workdir / "baseline.pickle"),
    }
    return BaselineProcess(env, workdir / "baseline.log")


# --- databases ----------------------------------------------------------------------------


def sqlalchemy_url(url: str) -> str:
    """The bot's config adds the psycopg driver to a bare postgresql:// URL; do the same here."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@contextmanager
def database(kind: str, workdir: Path, name: str = "grow-coach") -> Iterator[str]:
    """A fresh database for one run: a SQLite file in `workdir`, or a new PostgreSQL one."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'{name}.db'}"
        return
    with postgres_server() as base, fresh_postgres(base) as url:
        yield url


@contextmanager
def postgres_server() -> Iterator[str]:
    """GROW_COACH_TEST_DATABASE_URL if set, else a throwaway cluster from scripts/pg-test-server."""
    existing = os.environ.get(PG_URL_VARIABLE)
    if existing:
        yield existing
        return
    # A private state file, so a cluster someone else started for the tests is left alone.
    with tempfile.TemporaryDirectory(prefix="grow-bench-pg-") as state_dir:
        env = {**os.environ, "PG_TEST_STATE": str(Path(state_dir) / "state")}
        script = str(REPO / "scripts" / "pg-test-server")
        log("starting a throwaway PostgreSQL cluster (scripts/pg-test-server start)")
        url = subprocess.run([script, "start"], env=env, check=True, capture_output=True, text=True)
        try:
            yield url.stdout.strip()
        finally:
            subprocess.run([script, "stop"], env=env, check=False, capture_output=True)


@contextmanager
def fresh_postgres(base_url: str) -> Iterator[str]:
    """An empty schema first on the search_path, dropped afterwards (as tests/support/databases.py does)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(sqlalchemy_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(sqlalchemy_url(base_url)).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def stored(database_url: str) -> dict[str, int]:
    """What the bot committed: proof that the figures were paid for with durable writes."""
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:

            def count(sql: str) -> int:
                return int(connection.execute(text(sql)).scalar_one())

            return {
                "users": count("SELECT count(*) FROM users"),
                "answers": count("SELECT count(*) FROM answers"),
                "committed_sessions": count(
                    "SELECT count(*) FROM coaching_sessions WHERE outcome = 'committed'"
                ),
            }
    finally:
        engine.dispose()


# --- figures ------------------------------------------------------------------------------


def percentile_ms(samples: list[float], percent: int) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0] * 1000
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1] * 1000


def emulator_config() -> EmulatorConfig:
    # No flood limits (the bot's own limiter is part of what is measured) and no list of
    # every call: counters are enough, and the list would grow the harness, not the bot.
    return EmulatorConfig(record_calls=False)
