"""Shared machinery of the reliability tests: the real bot, its log, and simulated leaders.

A `BotRun` is the unmodified `grow-coach run` against the Bot API emulator, killable with
SIGKILL and restartable. A `SimLeader` behaves like a person: it reads the bot's latest
question (its text and keyboard), answers that question, and when no reply comes it sends
/start, which repeats the current question. It never follows a fixed script index,
because after a crash the bot may be one question further on than the leader thinks.

Replies are matched to what the leader sent through the bot's log: every handled update
is logged as `update=<id> user=<id> ...`, and one leader's updates are handled one at a
time, so once an update is logged and the chat shows a question (or other final message)
after it, that is the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import re
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from bot.frontend_texts import frontend_texts
from bot.telegram.formatting import PARAGRAPH
from devtools.telegram_emulator import BotApiEmulator, SentMessage
from devtools.telegram_emulator.faults import Delay
from flows.content import Content, load_content
from flows.engine import FLOWS
from flows.vagueness import is_vague
from storage.db import unconfigured_keyring
from storage.encryption import current_keyring, is_encrypted, set_keyring
from storage.models import (
    AnswerRow,
    CheckinRow,
    CoachingSessionRow,
    ConversationRow,
    LeaderRow,
    SafetyFlagRow,
)
from tests.support.bot_harness import TOKEN, BotProcess, bot_env

TEXTS = frontend_texts("en")
EDITED, GROUPS_ARE_PRIVATE = TEXTS.edited, TEXTS.groups_are_private
SOMETHING_WRONG, TRY_AGAIN = TEXTS.something_wrong, TEXTS.try_again

# --- what a bot message is --------------------------------------------------------------

BOT_TEXTS = {
    "bot.try_again": TRY_AGAIN,
    "bot.something_wrong": SOMETHING_WRONG,
    "bot.groups": GROUPS_ARE_PRIVATE,
    "bot.edited": EDITED,
}
# Keys that are content data, not something the bot says as a message.
NOT_MESSAGES = frozenset({"labels", "label", "examples", "vague_phrases", "concrete_markers"})
QUESTION_KINDS = frozenset(f"{name}.{state}" for name, flow in FLOWS.items() for state in flow.questions)
# Messages after which the bot says nothing more for that update.
FINAL_KINDS = QUESTION_KINDS | {
    "common.idle_menu",
    "common.safety",
    "grow.closed",
    "onboarding.declined",
    "checkin.snoozed",
    "checkin.rescheduled",
    "checkin.later",
    "rescore.kept",
    "rescore.confirmed",
    "rescore.confirmed_no_action",
    *BOT_TEXTS,
}
WELCOMES = frozenset({"common.welcome_back", "onboarding.welcome"})
# Messages the bot never sends twice in a row on purpose, so a repeat is a retried send.
REPEATABLE = QUESTION_KINDS | {"grow.closed"}
ANSWERED_MARK = "\n\n✓ "


class Catalog:
    """Names every message the bot can send ("grow.goal", "common.welcome_back", ...).

    Built from the content files, so rewording a question does not break the tests:
    each phrasing becomes a pattern in which its placeholders match anything.
    """

    def __init__(self, content: Content | None = None) -> None:
        tree = (content or load_content("en")).flows
        patterns: list[tuple[str, re.Pattern[str]]] = []
        for flow, table in tree.items():
            # The front ends' own lines (frontend, access) are the bot.* kinds below.
            if flow in ("safety", "frontend", "access") or not isinstance(table, Mapping):
                continue
            for key, node in table.items():
                for template in _templates(node):
                    if re.fullmatch(r"\s*(\{\w+\}\s*)*", template):
                        continue  # a bare placeholder would match every message
                    patterns.append((f"{flow}.{key}", _pattern(template)))
        patterns += [(kind, re.compile(re.escape(words))) for kind, words in BOT_TEXTS.items()]
        self.patterns = patterns
        # A feedback offer rides under a session's closing words (flows/feedback_offers.py):
        # the message is the kind of those words.
        offers = "|".join(_pattern(t).pattern for t in _templates(tree["feedback"]["offer"]))
        self.rider = re.compile(f"(?s:(.*?))\n\n(?:{offers})")

        # Leaders look at their chats many times a second: classify each text once.
        self._kind_of = functools.lru_cache(maxsize=65_536)(self._classify)
        self._parts_of = functools.lru_cache(maxsize=65_536)(self._split)

    def kind(self, message: SentMessage | str | None) -> str | None:
        """What the message is; for replies joined into one message, its last (the question)."""
        return self.parts(message)[-1] if message is not None else None

    def parts(self, message: SentMessage | str | None) -> tuple[str | None, ...]:
        """The kinds of the replies in the message, in order: the bot joins plain replies
        to the one after them (bot/telegram/formatting.py, `merged`)."""
        if message is None:
            return (None,)
        raw = message if isinstance(message, str) else message.text or ""
        # A pressed question is edited to show the choice under it.
        words = raw.split(ANSWERED_MARK)[0]
        carried = self.rider.fullmatch(words)
        return self._parts_of(carried.group(1) if carried else words)

    def _classify(self, raw: str) -> str | None:
        for kind, pattern in self.patterns:
            if pattern.fullmatch(raw):
                return kind
        return None

    def _split(self, raw: str) -> tuple[str | None, ...]:
        """Known messages end to end, cut at paragraph breaks, the shortest first; the
        whole text as one unknown message if it cannot be read that way."""
        cuts = [match.start() for match in re.finditer(PARAGRAPH, raw)] + [len(raw)]

        @functools.cache
        def read(start: int) -> tuple[str, ...] | None:
            for cut in cuts:
                if cut <= start:
                    continue
                kind = self._kind_of(raw[start:cut])
                if kind is None:
                    continue
                if cut == len(raw):
                    return (kind,)
                rest = read(cut + len(PARAGRAPH))
                if rest is not None:
                    return (kind, *rest)
            return None

        return read(0) or (self._kind_of(raw),)

    def kinds(self, messages: Iterable[SentMessage]) -> list[str | None]:
        """The kinds of every reply in these messages, joined ones each on their own."""
        return [kind for message in messages for kind in self.parts(message)]

    def with_kinds(self, messages: Iterable[SentMessage]) -> list[tuple[SentMessage, str | None]]:
        """Each reply's kind with the message that carries it."""
        return [(message, kind) for message in messages for kind in self.parts(message)]

    def is_final(self, message: SentMessage) -> bool:
        return self.kind(message) in FINAL_KINDS


def _words(message: SentMessage) -> str:
    """A message's own text, without the choice a pressed question is edited to show."""
    return (message.text or "").split(ANSWERED_MARK)[0]


def _templates(node: object) -> list[str]:
    if not isinstance(node, Mapping):
        return []
    found: list[str] = []
    for name, value in node.items():
        if name in NOT_MESSAGES:
            continue
        if isinstance(value, Mapping):  # a style table: guided / open
            found += _templates(value)
        elif isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found += [item for item in value if isinstance(item, str)]
    return found


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", template)
    return re.compile("(?s:.*?)".join(re.escape(part) for part in parts))


CATALOG = Catalog()


# --- the bot's log ----------------------------------------------------------------------

UPDATE_LINE = re.compile(r"update=(\d+) user=(\S+)")


@dataclass
class LogWatcher:
    """Follows the bot's log file: which update ids were handled, and whether as duplicates."""

    path: Path
    offset: int = 0
    handled: dict[int, list[bool]] = field(default_factory=dict)  # update id -> duplicate flags
    _partial: bytes = b""

    def poll(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            decoded = line.decode("utf-8", "replace")
            match = UPDATE_LINE.search(decoded)
            if match:
                self.handled.setdefault(int(match.group(1)), []).append(decoded.endswith(" duplicate"))


# --- the bot under test -----------------------------------------------------------------


@dataclass(frozen=True)
class KillRecord:
    queued: frozenset[int]  # update ids still waiting at Telegram when the process died
    handled: frozenset[int]  # update ids the process had handled (logged) by then


class BotRun:
    """The real bot against an emulator; `kill()` is SIGKILL, `generation` counts the kills."""

    def __init__(self, emulator: BotApiEmulator, database_url: str, workdir: Path, **env: str) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.process = BotProcess(bot_env(emulator, database_url, workdir, **env), self.log_path)
        self.watcher = LogWatcher(self.log_path)
        self.generation = 0
        self.kills: list[KillRecord] = []
        self._follow: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.process.start()
        if self._follow is None:
            self._follow = asyncio.create_task(self._follow_log())

    async def kill(self) -> None:
        await self.process.kill()
        # The process is dead, so nothing more leaves the queue until a new one polls:
        # an update not in the queue now was confirmed by the dead process, and unless
        # it was handled by then, it is gone for good (as with real Telegram).
        self.watcher.poll()
        self.kills.append(
            KillRecord(
                # The emulator has no public view of which ids are still queued.
                queued=frozenset(entry.order for entry in self.emulator.queue._entries),
                handled=frozenset(self.watcher.handled),
            )
        )
        self.generation += 1

    def fate(self, update_id: int, sent_generation: int) -> str:
        """What became of an update sent while `sent_generation` was running.

        "live": the running bot will still get to it; "lost": a killed process confirmed
        it to Telegram without handling it; "orphaned": handled, then the process died
        (its reply may be cut short).
        """
        for kill in self.kills[sent_generation:]:
            if update_id in kill.handled:
                return "orphaned"
            if update_id not in kill.queued:
                return "lost"
        return "live"

    async def restart(self, pause: float = 0.0) -> None:
        await self.kill()
        if pause:
            await asyncio.sleep(pause)
        await self.start()

    async def stop(self) -> int | None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
            self._follow = None
        self.watcher.poll()
        return await self.process.stop(timeout=10.0)

    @property
    def alive(self) -> bool:
        process = self.process.process
        return process is not None and process.returncode is None

    def log(self) -> str:
        return self.process.log()

    async def _follow_log(self) -> None:
        while True:
            self.watcher.poll()
            await asyncio.sleep(0.05)

    async def wait_handled(self, update_id: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.watcher.poll()
            if update_id in self.watcher.handled:
                return True
            await asyncio.sleep(0.05)
        return False


@contextlib.asynccontextmanager
async def running_bot(
    database_url: str, workdir: Path, *, start: bool = True, **env: str
) -> AsyncIterator[BotRun]:
    """An emulator and the real bot; the bot is stopped (SIGTERM, then SIGKILL) on the way out."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        run = BotRun(emulator, database_url, workdir, **env)
        if start:
            await run.start()
        try:
            yield run
        finally:
            await run.stop()


def log_problems(log: str, allowed: Sequence[str] = ()) -> list[str]:
    """Tracebacks and ERROR/CRITICAL lines, except those containing an allowed fragment."""
    problems = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if ("Traceback" in line or " ERROR " in line or " CRITICAL " in line) and not any(
            fragment in line for fragment in allowed
        ):
            # A traceback's own lines follow it: keep them, so a failure says what broke.
            tail = lines[index + 1 : index + 25] if "Traceback" in line else []
            problems.append("\n".join([line, *tail]))
    return problems


# --- a simulated leader -----------------------------------------------------------------

REPLY_TIMEOUT = 45.0  # a live bot silent this long on one update has dropped it
QUIET = 10.0  # a reply that ends without a final message is over after this long without news
MAX_TURNS = 90
MAX_RECOVERIES = 8
MAX_RESENDS = 20
RESEND_PAUSE = 1.0

# Free-text answers; each carries the leader and step so a stored answer is traceable.
TEXTS = {
    "goal": "hold a weekly one-on-one with each person on my team",
    "goal_concrete": "run every one-on-one myself and ask for feedback at the end",
    "goal_measure": "all six reports say that our one-on-ones help them",
    "goal_by_when": "by the end of March",
    "reality_now": "last week I cancelled two one-on-ones for a budget meeting",
    "reality_tried": "I put them in the calendar but moved them whenever something came up",
    "reality_cost": "people bring problems to me late and two of them feel ignored",
    "options_first": "protect the slots by declining clashing meetings",
    "options_more": "move the one-on-ones to Monday mornings before the rush",
    "options_bold": "let each person run the agenda of their own one-on-one",
    "will_action": "send the new Monday schedule to the team",
    "will_support": "my own manager, who asked for this",
    "will_obstacle": "an urgent request on Monday morning",
    "will_if_then": "if an urgent request comes then I answer it after the one-on-one",
    "will_raise": "a smaller first step would help",
}
# Leaders' names as people type them; the surname keeps each of up to 200 leaders apart
# in failure messages. (A name with digits, such as "Leader3", is rightly refused.)
FIRST_NAMES = (
    "Maria", "Kofi", "Aiko", "Lars", "Priya", "Tomasz", "Amara", "Diego", "Ingrid", "Yusuf",
    "Chloe", "Ravi", "Fatima", "Jonas", "Mei", "Oliver", "Nadia", "Kwame", "Elena", "Sanjay",
)  # fmt: skip
SURNAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Silva", "Haddad", "Brennan", "Kowalski", "Osei",
)  # fmt: skip


def leader_name(index: int) -> str:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    return f"{first} {SURNAMES[index // len(FIRST_NAMES) % len(SURNAMES)]}"


SCORES = {"reality_baseline": "4", "will_commitment": "9", "checkin.rating": "6", "rescore.score": "9"}


@dataclass
class Exchange:
    """What one message from the leader brought back."""

    update_id: int
    messages: list[SentMessage]
    complete: bool  # handled, and the reply ended with a question or another final message
    duplicate: bool = False

    @property
    def kinds(self) -> list[str | None]:
        return CATALOG.kinds(self.messages)

    @property
    def refused(self) -> bool:
        return any(
            kind is not None and (kind.startswith("errors.") or kind in BOT_TEXTS) for kind in self.kinds
        )


@dataclass
class Answer:
    step: str  # the question the leader answered, as it read it
    sent: str  # what was typed, or the label pressed
    stored: str | None  # the text storage should keep, when it is known exactly


class SimLeader:
    """One leader with a private chat, answering whatever question is on screen."""

    def __init__(
        self,
        run: BotRun,
        user_id: int,
        index: int,
        rng: random.Random,
        *,
        press_rate: float = 0.5,
        reply_timeout: float = REPLY_TIMEOUT,
        answers: Mapping[str, str] | None = None,
    ) -> None:
        self.run = run
        self.reply_timeout = reply_timeout
        self.answers = dict(answers or {})  # step -> exact words, instead of the tagged TEXTS
        self.emulator = run.emulator
        self.user_id = user_id
        self.index = index
        self.rng = rng
        self.press_rate = press_rate
        self.name = leader_name(index)
        self.accepted: list[Answer] = []
        self.exchanges: list[Exchange] = []
        self.recoveries = 0
        self.saw_recap = False
        self.done = False
        self.notes: list[str] = []
        self.transcript: list[str] = []  # what was sent and what came back, for failure messages
        self.options: list[str] = []
        self.session_from = 0  # index of the first message of the current session

    # what the leader sees

    @property
    def messages(self) -> list[SentMessage]:
        return self.emulator.bot_messages(self.user_id)

    @property
    def visible(self) -> list[SentMessage]:
        """The chat as a person reads it: a message repeated right after itself counts once.

        A send retried after a timeout may have been delivered twice; nobody answers the
        same question twice because it showed up twice.
        """
        shown: list[SentMessage] = []
        for message in self.messages:
            # Only questions and recaps: a line such as "try again" may rightly come twice.
            if shown and _words(shown[-1]) == _words(message) and CATALOG.kind(message) in REPEATABLE:
                continue
            shown.append(message)
        return shown

    def current(self) -> SentMessage | None:
        """The latest message that asks or ends something: what the leader responds to."""
        for message in reversed(self.visible):
            if CATALOG.is_final(message):
                return message
        return None

    def text_for(self, step: str) -> str:
        return self.answers.get(step) or f"{TEXTS[step]} (L{self.index} {step})"

    # talking

    async def exchange(self, action: str, payload: str, message: SentMessage | None = None) -> Exchange:
        before = len(self.visible)
        generation = self.run.generation
        if action == "press":
            assert message is not None
            update_id = self.emulator.press_button(self.user_id, message.message_id, payload)
        elif action == "command":
            update_id = self.emulator.send_command(self.user_id, payload, first_name=self.name)
        else:
            update_id = self.emulator.send_text(self.user_id, payload, first_name=self.name)
        exchange = await self._reply_to(update_id, before, generation)
        self.exchanges.append(exchange)
        self.transcript.append(
            f"u{update_id} g{generation} {action} {payload[:24]!r} -> {exchange.kinds}"
            f"{'' if exchange.complete else ' INCOMPLETE'} fate={self.run.fate(update_id, generation)}"
        )
        return exchange

    async def _reply_to(self, update_id: int, before: int, generation: int) -> Exchange:
        """Wait for the reply to this update, or until it is certain none will come.

        Never returns while the update may still produce messages, so the next thing the
        leader sends cannot be confused with a late reply to this one.
        """
        last_count, last_change = before, time.monotonic()
        while True:
            now = time.monotonic()
            new = self.visible[before:]
            if before + len(new) != last_count:
                last_count, last_change = before + len(new), now
            handled = self.run.watcher.handled.get(update_id)
            fate = self.run.fate(update_id, generation)
            if handled is not None and new and CATALOG.is_final(new[-1]):
                await asyncio.sleep(0.1)  # a straggling extra message lands too
                return Exchange(update_id, self.visible[before:], complete=True)
            if fate != "live":
                # Gone with a killed process: the update itself ("lost"), or the rest of
                # its reply ("orphaned": handled, then the process died).
                return Exchange(update_id, new, complete=False)
            if handled is not None and all(handled) and not new:
                # Handled under this id by a process that died before logging it.
                return Exchange(update_id, new, complete=False, duplicate=True)
            if handled is not None and new and now - last_change > QUIET:
                return Exchange(update_id, new, complete=True)
            if now - last_change > self.reply_timeout:
                self.notes.append(
                    f"update {update_id}: nothing for {self.reply_timeout:.0f} s from a live bot"
                )
                return Exchange(update_id, new, complete=False)
            await asyncio.sleep(0.05)

    async def recover(self) -> Exchange:
        """What a person does when the bot went quiet: /start, which repeats the question."""
        for _ in range(MAX_RECOVERIES):
            self.recoveries += 1
            exchange = await self.exchange("command", "/start")
            kinds = exchange.kinds
            if exchange.complete and kinds and kinds[-1] in FINAL_KINDS and kinds[-1] not in BOT_TEXTS:
                return exchange
            await asyncio.sleep(0.5)
        raise AssertionError(f"{self.name}: /start never brought the current question back")

    # answering

    def choose(self, message: SentMessage) -> tuple[str, str, str | None] | None:
        """(action, payload, text storage should keep) for the question on screen."""
        kind = CATALOG.kind(message) or ""
        step = kind.split(".", 1)[1] if "." in kind else kind
        labels = [button["text"] for button in message.buttons()]
        press = bool(labels) and self.rng.random() < self.press_rate

        def pick(label: str, typed: str, stored: str | None = None) -> tuple[str, str, str | None]:
            if press and label in labels:
                return "press", label, stored
            return "text", typed, stored

        match kind:
            case "onboarding.consent":
                return pick("Yes, let's start", "yes")
            case "onboarding.name":
                return "text", self.name, None
            case "onboarding.level":
                return pick("First-time manager", "first time")
            case "onboarding.timezone":
                return pick("UTC", "UTC")
            case "grow.reality_baseline" | "grow.will_commitment":
                return pick(SCORES[step], SCORES[step], SCORES[step])
            case "grow.options_pick":
                return pick(labels[0] if labels else "", "1", self.options[0] if self.options else None)
            case "grow.will_when":
                return "text", "in 3 days", None
            case "grow.will_low_next":
                return pick("Keep it for now", "keep")
            case _ if kind.startswith("grow.") and step in TEXTS:
                return "text", self.text_for(step), self.text_for(step)
        return None

    async def complete_session(self, command: str = "/start") -> None:
        """Onboarding and one GROW session, to the recap (or to its end, if the recap died).

        `command` opens it: /start for a new leader, /new for another session.
        """
        self.session_from = len(self.visible)
        self.done = False
        self.options = []
        first = await self.exchange("command", command)
        if not first.complete:
            await self.recover()
        retry: tuple[SentMessage | None, str | None, tuple[str, str, str | None]] | None = None
        resends = 0
        for _ in range(MAX_TURNS):
            message = self.current()
            kind = CATALOG.kind(message)
            if kind == "grow.closed":
                self.saw_recap = True
                self.done = True
                return
            if kind in ("common.idle_menu", "checkin.did", "checkin.offer") and self._session_began():
                # The session is over but its recap never arrived: the process died after
                # committing the last answer and before sending the recap.
                self.notes.append("recap lost")
                self.done = True
                return
            if kind == "bot.try_again" and retry is not None and resends < MAX_RESENDS:
                # Do what the bot asked: send the same answer again in a moment. (After
                # "something went wrong" it asks for /start, which is what choose() not
                # finding a question leads to.)
                resends += 1
                await asyncio.sleep(RESEND_PAUSE)
                message, kind, choice = retry
            else:
                choice = self.choose(message) if message is not None else None
            if choice is None:
                await self.recover()
                continue
            retry = (message, kind, choice)
            action, payload, stored = choice
            step = (kind or "").split(".", 1)[-1]
            try:
                exchange = await self.exchange(action, payload, message)
            except LookupError:  # the keyboard went away under the finger: type instead
                exchange = await self.exchange("text", payload)
            if not exchange.complete:
                await self.recover()
                continue
            if not exchange.refused:
                retry = None
                self.accepted.append(Answer(step, payload, stored))
                if step in ("options_first", "options_more", "options_bold"):
                    self.options.append(payload)
        raise AssertionError(f"{self.name}: no recap after {MAX_TURNS} turns; kinds: {self.seen_kinds()}")

    def _session_began(self) -> bool:
        kinds = CATALOG.kinds(self.visible[self.session_from :])
        return any(kind is not None and kind.startswith("grow.") for kind in kinds)

    def seen_kinds(self) -> list[str | None]:
        return CATALOG.kinds(self.messages)


# --- what is stored ---------------------------------------------------------------------

GROW_PATH = (
    "goal",
    "goal_measure",
    "goal_by_when",
    "reality_now",
    "reality_tried",
    "reality_cost",
    "reality_baseline",
    "options_first",
    "options_more",
    "options_more",
    "options_bold",
    "options_pick",
    "will_action",
    "will_when",
    "will_support",
    "will_obstacle",
    "will_if_then",
    "will_commitment",
)


def expected_path(goal_text: str) -> tuple[str, ...]:
    """The question steps a committed session with this goal goes through, in order."""
    if is_vague(goal_text, load_content("en")):
        return (*GROW_PATH[:1], "goal_concrete", *GROW_PATH[1:])
    return GROW_PATH


@dataclass(frozen=True)
class StoredAnswer:
    session_id: str
    step: str
    text: str


@dataclass
class Snapshot:
    """Everything the reliability tests look at, per Telegram user id."""

    users: dict[str, int]
    answers: dict[str, list[StoredAnswer]]
    sessions: dict[str, list[tuple[str, str, str | None]]]  # (id, kind, outcome) by start
    conversations: dict[str, tuple[str, str]]
    checkins: dict[str, list[tuple[int, str, str]]]  # (id, kind, status)
    flags: dict[str, list[str]]
    orphan_answers: int


def engine_for(url: str) -> Engine:
    # The bot's keys, found as the bot finds them (its key file, or the tests' key in
    # the environment), so the free text reads back decrypted.
    set_keyring(unconfigured_keyring(url))
    return create_engine(url)


def snapshot(url: str) -> Snapshot:
    engine = engine_for(url)
    try:
        with engine.connect() as db:
            users = {
                row.external_id: row.id for row in db.execute(select(LeaderRow.external_id, LeaderRow.id))
            }
            by_id = {user_id: external for external, user_id in users.items()}
            answers: dict[str, list[StoredAnswer]] = {}
            for row in db.execute(
                select(AnswerRow.user_id, AnswerRow.session_id, AnswerRow.step, AnswerRow.text).order_by(
                    AnswerRow.id
                )
            ):
                answers.setdefault(by_id[row.user_id], []).append(
                    StoredAnswer(row.session_id, row.step, row.text)
                )
            sessions: dict[str, list[tuple[str, str, str | None]]] = {}
            for row in db.execute(
                select(
                    CoachingSessionRow.user_id,
                    CoachingSessionRow.id,
                    CoachingSessionRow.kind,
                    CoachingSessionRow.outcome,
                ).order_by(CoachingSessionRow.started_at, CoachingSessionRow.id)
            ):
                sessions.setdefault(by_id[row.user_id], []).append((row.id, row.kind, row.outcome))
            conversations = {
                by_id[row.user_id]: (row.flow, row.state)
                for row in db.execute(
                    select(ConversationRow.user_id, ConversationRow.flow, ConversationRow.state)
                )
            }
            checkins: dict[str, list[tuple[int, str, str]]] = {}
            for row in db.execute(
                select(CheckinRow.user_id, CheckinRow.id, CheckinRow.kind, CheckinRow.status).order_by(
                    CheckinRow.due_at
                )
            ):
                checkins.setdefault(by_id[row.user_id], []).append((row.id, row.kind, row.status))
            flags: dict[str, list[str]] = {}
            for row in db.execute(select(SafetyFlagRow.user_id, SafetyFlagRow.category)):
                flags.setdefault(by_id[row.user_id], []).append(row.category)
            orphans = db.execute(
                text(
                    "SELECT count(*) FROM answers a LEFT JOIN coaching_sessions s ON s.id = a.session_id "
                    "WHERE s.id IS NULL OR s.user_id <> a.user_id"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return Snapshot(users, answers, sessions, conversations, checkins, flags, int(orphans))


def all_stored_text(url: str) -> list[tuple[str, str, str]]:
    """(table, column, value) for every non-null value of every column of every table."""
    engine = engine_for(url)
    found: list[tuple[str, str, str]] = []
    try:
        tables = inspect(engine).get_table_names()
        with engine.connect() as db:
            for table in tables:
                result = db.execute(text(f'SELECT * FROM "{table}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        if isinstance(value, str) and is_encrypted(value):
                            # What is stored encrypted is still stored: checked in clear.
                            value = current_keyring().decrypt(value, f"{table}.{column}")
                        if value is not None:
                            found.append((table, column, str(value)))
    finally:
        engine.dispose()
    return found


def grow_answers(snap: Snapshot, external_id: str) -> tuple[str | None, list[StoredAnswer]]:
    """The leader's GROW session id and its answers in the order they were stored."""
    grow = [session for session in snap.sessions.get(external_id, []) if session[1] == "grow"]
    if not grow:
        return None, []
    session_id = grow[-1][0]
    return session_id, [a for a in snap.answers.get(external_id, []) if a.session_id == session_id]


def checkin_messages(messages: Sequence[SentMessage]) -> list[SentMessage]:
    """Check-ins the bot sent on its own: not the question repeated in reply to /start."""
    found = []
    replies = CATALOG.with_kinds(messages)
    for position, (message, kind) in enumerate(replies):
        if kind in ("checkin.did", "checkin.offer"):
            previous = replies[position - 1][1] if position else None
            if previous not in WELCOMES:
                found.append(message)
    return found


async def gather_bounded(coroutines: Sequence[Any], timeout: float, what: str) -> list[Any]:
    """Run concurrently; fail (and cancel the rest) if they take longer than `timeout`."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        raise AssertionError(f"{what}: {len(pending)} of {len(tasks)} did not finish within {timeout:.0f} s")
    return [task.result() for task in tasks]


class DelayedSends:
    """Which sendMessage calls the emulator processed but answered late (deliver_delayed).

    The bot cannot tell such a send from a lost one: its client gave up waiting, yet the
    message is in the chat. Tests use this to tell a retry of one of those (an identical
    message right after it) from a genuine duplicate.
    """

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.messages: set[tuple[int, int]] = set()  # (chat id, message id)
        self._armed = False
        decide, record = emulator.faults.decide, emulator.server.record

        def deciding(method: str) -> Any:
            fault = decide(method)
            self._armed = method == "sendmessage" and isinstance(fault, Delay) and fault.deliver
            return fault

        def recording(method: str, params: dict[str, Any], status: int) -> None:
            record(method, params, status)
            # decide -> handler -> record run without an await in between for sendMessage,
            # so the armed flag belongs to this call.
            if self._armed and method == "sendMessage":
                self._armed = False
                if status == 200:
                    chat = emulator.state.resolve_chat(params.get("chat_id"))
                    self.messages.add((chat.id, chat.last_message_id))

        emulator.faults.decide = deciding  # type: ignore[method-assign]
        emulator.server.record = recording

    def __contains__(self, message: SentMessage) -> bool:
        return (message.chat_id, message.message_id) in self.messages


TAG = re.compile(r"\(L\d+ (\w+)\)$")


def misfiled(answers: Iterable[StoredAnswer]) -> list[StoredAnswer]:
    """Stored answers given to another question than the one they are stored under.

    Every free-text answer of a SimLeader ends with the step it answered. The option a
    leader picks is stored as that option's own words, so it carries another step's tag.
    """
    return [
        answer
        for answer in answers
        if answer.step != "options_pick" and (tag := TAG.search(answer.text)) and tag.group(1) != answer.step
    ]
