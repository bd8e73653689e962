"""What the check-in and soak benchmarks share: bulk seeding, a clocked emulator, process probes.

Seeding writes rows straight through the storage models' tables in large executemany
batches (the schema itself comes from the bot's own migrations), so 10,000 leaders or
a million check-ins take seconds, not the hours that going through the engine would.
The rows are the ones a committed GROW session leaves: an onboarded leader, an idle
conversation, an open goal, a committed session with an action, and its check-ins.
"""

from __future__ import annotations

import random
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.orm import Session

from bench.driver import REPO, TimingEmulator, log
from devtools.bot_process import BotProcess, bot_env
from storage.db import Database
from storage.models import CheckinRow, CoachingSessionRow, ConversationRow, GoalRow, LeaderRow, ScoreRow

CHANNEL = "telegram"
GOAL = "stop avoiding difficult conversations with my team"
ACTION = "talk to Sam about deadlines"
CHECKIN_KINDS = ("first", "midway", "action_due", "next_session")
CHUNK = 20_000  # rows per executemany


# --- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    external_ids: list[int]  # the Telegram user ids of the leaders (= their private chat ids)
    checkins: int
    seconds: float


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _bulk(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        # Core executemany: no ORM objects, no RETURNING, one statement per chunk.
        session.execute(insert(table.__table__), list(chunk))


def _advance_user_ids(session: Session) -> None:
    """Move PostgreSQL's id sequence past the ids written here, or the bot's next new
    leader collides with a seeded one (SQLite takes max(id) + 1 by itself)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))")
        )


def _next_user_id(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(LeaderRow.id), 0))) or 0) + 1


def _user(user_id: int, external_id: int, now: datetime) -> dict[str, Any]:
    """An onboarded leader: consented, with a level and a time zone."""
    return {
        "id": user_id,
        "channel": CHANNEL,
        "external_id": str(external_id),
        "name": "Ana",
        "level": "first_time",
        "timezone": "UTC",
        "consented_at": now,
        "active": True,
        "paused": False,
        "created_at": now,
        "updated_at": now,
    }


def _idle(user_id: int, now: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "flow": "idle",
        "state": "idle",
        "data": {},
        "question_seq": 22,
        "updated_at": now,
    }


def _leaders(
    session: Session, external_ids: Sequence[int], now: datetime, sessions_per_leader: int
) -> list[tuple[int, str, list[str]]]:
    """Onboarded, idle leaders with one open goal and committed sessions; (user id, goal, sessions)."""
    first_id = _next_user_id(session)
    users, conversations, goals, sessions, scores = [], [], [], [], []
    made: list[tuple[int, str, list[str]]] = []
    for offset, external_id in enumerate(external_ids):
        user_id = first_id + offset
        goal_id = uuid.uuid4().hex
        users.append(_user(user_id, external_id, now))
        conversations.append(_idle(user_id, now))
        goals.append(
            {
                "id": goal_id,
                "user_id": user_id,
                "text": GOAL,
                "status": "open",
                "created_at": now,
                "updated_at": now,
            }
        )
        session_ids = []
        for _ in range(sessions_per_leader):
            session_id = uuid.uuid4().hex
            session_ids.append(session_id)
            sessions.append(
                {
                    "id": session_id,
                    "user_id": user_id,
                    "goal_id": goal_id,
                    "kind": "grow",
                    "started_at": now,
                    "closed_at": now,
                    "outcome": "committed",
                    "action": ACTION,
                    "action_due": date.today() + timedelta(days=3),
                    "support": "my manager",
                    "obstacle": "I will put it off",
                    "if_then": "if I put it off then I book a room at once",
                }
            )
        scores.append(
            {
                "user_id": user_id,
                "goal_id": goal_id,
                "session_id": session_ids[0],
                "kind": "commitment",
                "value": 9,
                "created_at": now,
            }
        )
        made.append((user_id, goal_id, session_ids))
    _bulk(session, LeaderRow, users)
    _advance_user_ids(session)
    _bulk(session, ConversationRow, conversations)
    _bulk(session, GoalRow, goals)
    _bulk(session, CoachingSessionRow, sessions)
    _bulk(session, ScoreRow, scores)
    return made


def seed_onboarded(database_url: str, external_ids: Sequence[int]) -> float:
    """Leaders who finished onboarding and sit idle, with no goal yet: ready for /new."""
    started = time.perf_counter()
    db = Database(database_url)
    try:
        db.upgrade()
        now = datetime.now(UTC)
        with db.session() as session:
            first_id = _next_user_id(session)
            _bulk(
                session,
                LeaderRow,
                [_user(first_id + n, external_id, now) for n, external_id in enumerate(external_ids)],
            )
            _advance_user_ids(session)
            _bulk(session, ConversationRow, [_idle(first_id + n, now) for n in range(len(external_ids))])
    finally:
        db.dispose()
    return time.perf_counter() - started


def _checkin(user_id: int, goal_id: str, session_id: str, kind: str, due_at: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "goal_id": goal_id,
        "session_id": session_id,
        "kind": kind,
        "due_at": due_at,
        "status": "pending",
        "attempts": 0,
        "sent_at": None,
        "claimed_at": None,
        "claimed_by": None,
        "outcome": None,
    }


def seed_due_leaders(database_url: str, count: int, first_external_id: int, due_at: datetime) -> Seeded:
    """`count` onboarded idle leaders, each with one "action_due" check-in falling due at `due_at`."""
    started = time.perf_counter()
    db = Database(database_url)
    try:
        db.upgrade()
        external_ids = list(range(first_external_id, first_external_id + count))
        with db.session() as session:
            leaders = _leaders(session, external_ids, datetime.now(UTC), 1)
            rows = [
                _checkin(user_id, goal_id, sessions[0], "action_due", due_at)
                for user_id, goal_id, sessions in leaders
            ]
            _bulk(session, CheckinRow, rows)
    finally:
        db.dispose()
    return Seeded(external_ids, len(rows), time.perf_counter() - started)


def seed_future_checkins(
    database_url: str,
    total: int,
    leaders: int,
    first_external_id: int,
    *,
    earliest: timedelta = timedelta(hours=1),
    latest: timedelta = timedelta(days=90),
    seed: int = 11,
) -> Seeded:
    """`total` pending check-ins due between `earliest` and `latest` from now, over `leaders` leaders.

    A committed session plans at most one check-in of each kind (unique session_id, kind),
    so every leader gets total / leaders / 4 sessions to hang them on.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    per_leader = -(-total // leaders)
    sessions_per_leader = -(-per_leader // len(CHECKIN_KINDS))
    db = Database(database_url)
    now = datetime.now(UTC)
    span = (latest - earliest).total_seconds()
    written = 0
    try:
        db.upgrade()
        external_ids = list(range(first_external_id, first_external_id + leaders))
        with db.session() as session:
            made = _leaders(session, external_ids, now, sessions_per_leader)
        log(f"    {leaders} leaders with {leaders * sessions_per_leader} sessions written")
        batch: list[dict[str, Any]] = []
        for user_id, goal_id, sessions in made:
            for session_id in sessions:
                for kind in CHECKIN_KINDS:
                    if written >= total:
                        break
                    due = now + earliest + timedelta(seconds=rng.random() * span)
                    batch.append(_checkin(user_id, goal_id, session_id, kind, due))
                    written += 1
            if len(batch) >= 100_000:
                with db.session() as session:
                    _bulk(session, CheckinRow, batch)
                log(f"    {written} check-ins written")
                batch = []
        if batch:
            with db.session() as session:
                _bulk(session, CheckinRow, batch)
    finally:
        db.dispose()
    return Seeded(external_ids, written, time.perf_counter() - started)


def analyze(database_url: str) -> None:
    """PostgreSQL: fresh planner statistics, as autovacuum would soon have after a bulk load."""
    db = Database(database_url)
    try:
        if db.dialect == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
    finally:
        db.dispose()


def checkin_statuses(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        with db.session() as session:
            rows = session.execute(select(CheckinRow.status, func.count()).group_by(CheckinRow.status))
            return {str(status): int(count) for status, count in rows}
    finally:
        db.dispose()


# --- the claim query, as the bot runs it --------------------------------------------------


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any


def captured(engine: Engine, work: Callable[[Session], object]) -> list[Statement]:
    """Run `work` in a transaction that is rolled back, noting every SQL statement it sends."""
    statements: list[Statement] = []

    def note(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with Session(engine) as session:
            session.begin()
            try:
                work(session)
            finally:
                session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return statements


def explain(engine: Engine, statement: Statement) -> list[str]:
    """The database's plan for one captured statement (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters)
                return [str(row[-1]) for row in rows]
            rows = connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", statement.parameters
            )
            return [str(row[0]) for row in rows]
        finally:
            transaction.rollback()


def timed(engine: Engine, statement: Statement, repeat: int = 5) -> float:
    """Median wall time of the statement in ms, each run in a rolled-back transaction."""
    samples = []
    for _ in range(repeat):
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                started = time.perf_counter()
                result = connection.exec_driver_sql(statement.sql, statement.parameters)
                if result.returns_rows:
                    result.fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            finally:
                transaction.rollback()
    return sorted(samples)[len(samples) // 2]


# --- the emulator, with a clock on every call ---------------------------------------------


class ClockedEmulator(TimingEmulator):
    """TimingEmulator that also notes the first call of each method and every delivered send."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.first_call: dict[str, float] = {}
        self.sends: list[tuple[float, int]] = []  # (perf_counter, chat id) of each sendMessage that got 200
        self.statuses: Counter[tuple[str, int]] = Counter()
        # Sends identical to the chat's previous one (text and keyboard): a retried send that
        # had got through the first time shows twice.
        self.repeats = 0
        self._last_sent: dict[int, tuple[object, object]] = {}

    async def __aenter__(self) -> ClockedEmulator:
        await self.start()
        return self

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        arrived = time.perf_counter()
        super()._record(method, params, status)
        key = method.lower()
        self.first_call.setdefault(key, arrived)
        self.statuses[(key, status)] += 1
        if key == "sendmessage" and status == 200:
            chat = _int(params.get("chat_id"))
            if chat is not None:
                self.sends.append((arrived, chat))
                sent = (params.get("text"), params.get("reply_markup"))
                self.repeats += self._last_sent.get(chat) == sent
                self._last_sent[chat] = sent


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


# --- the bot process ------------------------------------------------------------------------


_LEVEL = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) (\S+): (.*)$")
_FAILED = re.compile(r"handler failed: (\w+)")


def log_errors(text: str) -> Counter[str]:
    """ERROR/CRITICAL lines of a bot log, grouped by logger and exception (or message head)."""
    kinds: Counter[str] = Counter()
    for line in text.splitlines():
        match = _LEVEL.match(line)
        if match is None:
            continue
        level, logger, message = match.groups()
        failed = _FAILED.search(message)
        what = f"handler failed: {failed.group(1)}" if failed else message[:60]
        kinds[f"{level} {logger}: {what}"] += 1
    return kinds


def revision() -> str:
    """The commit the bot code was at, marked + when product code has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot", "flows", "storage"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty else "")


def checkin_bot(emulator: TimingEmulator, database_url: str, workdir: Path, **overrides: str) -> BotProcess:
    """The real bot, set to deliver check-ins as soon as they are due: the dispatcher every
    second, no quiet hours, a day's grace."""
    env = bot_env(
        emulator,
        database_url,
        workdir,
        GROW_COACH_CHECKINS_DISPATCH_EVERY="1s",
        GROW_COACH_CHECKINS_QUIET_HOURS="",
        GROW_COACH_CHECKINS_GRACE="1d",
        **overrides,
    )
    return BotProcess(env, workdir / "bot.log")
