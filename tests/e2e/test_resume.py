"""A restart at any GROW question loses nothing: /start asks the same question again.

Each test builds the real service on a real database (SQLite, and PostgreSQL when
GROW_COACH_TEST_DATABASE_URL is set), throws it away mid-session and builds a new one.
"""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event, Reply
from storage.db import Database
from storage.models import AnswerRow, CoachingSessionRow, ConversationRow, GoalRow, ScoreRow
from tests.support.coach_driver import GROW_PATH, phrasings

ONBOARDING = ("hello", "yes", "Ann", "first time", "UTC")
USER = "resume-leader"
# What storage keeps for an answer: the words of a picked option, the date, a choice's label.
SHOWN = {"options_pick": "book a weekly slot for hard talks", "will_low_next": "Keep it for now"}
POSITIONS = list(enumerate(state for state, _ in GROW_PATH))


@contextmanager
def service_on(url: str) -> Iterator[CoachService]:
    db = Database(url)
    db.upgrade()
    try:
        yield CoachService(db, CoachEngine())
    finally:
        db.dispose()


def send(service: CoachService, message: str) -> list[Reply]:
    event = Event.command(message) if message.startswith("/") else Event.message(message)
    return service.handle("terminal", USER, event).replies


def stored(url: str) -> tuple[ConversationRow, list[AnswerRow]]:
    db = Database(url)
    try:
        with db.session() as session:
            conversation = session.scalars(select(ConversationRow)).one()
            answers = list(session.scalars(select(AnswerRow).order_by(AnswerRow.id)))
            session.expunge_all()
        return conversation, answers
    finally:
        db.dispose()


@pytest.mark.parametrize(("position", "state"), POSITIONS, ids=[f"{i:02d}-{s}" for i, s in POSITIONS])
def test_a_restart_at_every_grow_question_asks_it_again(database_url: str, position: int, state: str) -> None:
    with service_on(database_url) as service:
        for message in ONBOARDING:
            replies = send(service, message)
        for _, answer in GROW_PATH[:position]:
            replies = send(service, answer)
        asked = replies[-1]
        assert asked.question is not None
    # The process is gone; a new one opens the same database.
    conversation, answers = stored(database_url)
    assert (conversation.flow, conversation.state) == ("grow", state)
    assert [row.step for row in answers] == [step for step, _ in GROW_PATH[:position]]
    for row, (step, answer) in zip(answers, GROW_PATH[:position], strict=True):
        if step == "will_when":
            assert date.fromisoformat(row.text) > date.today() - timedelta(days=1)
        else:
            assert row.text == SHOWN.get(step, answer)
    with service_on(database_url) as service:
        replies = send(service, "/start")
        assert replies[0].text in phrasings("common", "welcome_back")
        assert replies[-1] == asked
        # And the leader carries on to the end of the session from there.
        for _, answer in GROW_PATH[position:]:
            replies = send(service, answer)
    assert "Commitment: 5/10" in replies[-1].text
    assert (
        "Goal: “be a better leader — stop avoiding difficult conversations with my team”" in replies[-1].text
    )
    conversation, answers = stored(database_url)
    assert conversation.flow == "idle"
    assert [row.step for row in answers] == [s for s, _ in GROW_PATH]


def test_a_restart_mid_session_keeps_goal_scores_and_session(database_url: str) -> None:
    with service_on(database_url) as service:
        for message in (*ONBOARDING, *(answer for _, answer in GROW_PATH[:8])):
            send(service, message)
    with service_on(database_url) as service:
        send(service, "/start")
        with service.db.session() as session:
            goals = list(session.scalars(select(GoalRow)))
            scores = [(s.kind, s.value) for s in session.scalars(select(ScoreRow))]
            sessions = [(s.kind, s.closed_at, s.goal_id) for s in session.scalars(select(CoachingSessionRow))]
    assert [g.text for g in goals] == [
        "be a better leader — stop avoiding difficult conversations with my team"
    ]
    assert scores == [("baseline", 4)]
    assert sessions == [("grow", None, goals[0].id)]


# a real process, killed


def console_script() -> str:
    script = Path(sys.executable).parent / "grow-coach"
    assert script.exists(), script
    return str(script)


def chat_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROW_COACH_")}
    env["GROW_COACH_DATA_DIR"] = str(data_dir)
    return env


class Chat:
    """A `grow-coach chat` process fed line by line, its output read as it comes."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [console_script(), "chat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=chat_env(data_dir),
            cwd=data_dir,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def write(self, messages: Sequence[str]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{m}\n" for m in messages))
        self.process.stdin.flush()

    def wait_for(self, wanted: Sequence[str], timeout: float = 20.0) -> str:
        """Read output until a line contains one of `wanted`; return that line."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"none of {wanted} within {timeout}s; output so far: {self.seen[-10:]}")
            self.seen.append(line)
            if any(text in line for text in wanted):
                return line


def test_chat_killed_with_sigkill_resumes_where_it_stopped(tmp_path: Path) -> None:
    at = [state for state, _ in GROW_PATH].index("reality_baseline")
    # The baseline question names the leader's goal, the vague one sharpened.
    goal = f"{GROW_PATH[0][1]} — {GROW_PATH[1][1]}"
    baseline = phrasings("grow", "reality_baseline", goal=goal)
    chat = Chat(tmp_path)
    try:
        chat.write([*ONBOARDING, *(answer for _, answer in GROW_PATH[:at])])
        asked = chat.wait_for(baseline)
    finally:
        chat.process.send_signal(signal.SIGKILL)
        chat.process.wait(timeout=10)
    assert chat.process.returncode == -signal.SIGKILL
    rest = [answer for _, answer in GROW_PATH[at:]]
    rest[rest.index("5")] = "9"
    rest = rest[: rest.index("9") + 1]
    result = subprocess.run(
        [console_script(), "chat"],
        input="".join(f"{m}\n" for m in rest),
        capture_output=True,
        text=True,
        env=chat_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    # The restarted chat greets the leader back and repeats the very same question.
    assert lines[0].removeprefix("Coach: ") in phrasings("common", "welcome_back")
    assert lines[1] == asked
    assert "Commitment: 9/10" in result.stdout
    with sqlite3.connect(tmp_path / "grow-coach.db") as db:
        steps = [row[0] for row in db.execute("SELECT step FROM answers ORDER BY id")]
        checkins = db.execute("SELECT count(*) FROM checkins WHERE status = 'pending'").fetchone()[0]
    assert steps == [s for s, _ in GROW_PATH[:-2]]
    assert checkins >= 2
