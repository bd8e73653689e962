"""Check-ins in the terminal chat, through the real `grow-coach chat` script.

With `[checkins] first_after` a few seconds long, the first check-in falls due moments
after a session ends: the leader sees it while the chat is still open, or the next time
it opens.
"""

from __future__ import annotations

import os
import queue
import select
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.test_terminal_chat import (
    CONCRETE,
    ONBOARDING,
    OPTIONS,
    REALITY,
    WILL,
    console_script,
    grow_coach_cli,
    messages,
    query,
    shown,
)

SESSION = [*ONBOARDING, CONCRETE, *REALITY, *OPTIONS, *WILL, "9"]
ACTION = "talk to Sam about deadlines"


def config(tmp_path: Path, first_after: str, dispatch_every: str) -> Path:
    path = tmp_path / "fast.toml"
    path.write_text(
        f'[checkins]\nfirst_after = "{first_after}"\ndispatch_every = "{dispatch_every}"\nquiet_hours = ""\n'
    )
    return path


def checkin_shown(stdout: str) -> bool:
    """The check-in's question, in any wording (with the leader's if-then plan or without)."""
    return any(
        shown(stdout, "checkin", "did", field, action=ACTION, if_then=WILL[-1])
        for field in ("ask", "recall_plan")
    )


def problems(stderr: str) -> list[str]:
    """What the chat wrote to stderr, but for the one line saying it created the
    encryption key beside a new database (said once, on first start)."""
    return [line for line in stderr.splitlines() if "created a new encryption key" not in line]


class OpenChat:
    """`grow-coach chat` kept open: lines go in when the test says, output is read as it comes."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GROW_COACH_")}
        environment["GROW_COACH_DATA_DIR"] = str(data_dir)
        self.process = subprocess.Popen(
            [console_script(), "chat", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            cwd=data_dir,
        )
        self.screen = ""
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def type(self, *lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines))
        self.process.stdin.flush()

    def wait_for(self, seen: Callable[[str], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not seen(self.screen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never shown; the screen:\n{self.screen}")
            try:
                self.screen += self._lines.get(timeout=left)
            except queue.Empty:
                continue

    def close(self) -> tuple[int, str, str]:
        assert self.process.stdin is not None
        self.process.stdin.close()
        returncode = self.process.wait(timeout=30)
        assert self.process.stderr is not None
        errors = self.process.stderr.read()
        while not self._lines.empty():
            self.screen += self._lines.get()
        return returncode, self.screen, errors


@pytest.fixture
def open_chat(tmp_path: Path) -> Iterator[list[OpenChat]]:
    chats: list[OpenChat] = []
    yield chats
    for chat in chats:
        if chat.process.poll() is None:
            chat.process.kill()
            chat.process.wait()


def test_a_check_in_falling_due_while_the_chat_is_open_is_shown(
    tmp_path: Path, open_chat: list[OpenChat]
) -> None:
    chat = OpenChat(tmp_path, "--config", str(config(tmp_path, "2s", "1s")))
    open_chat.append(chat)
    chat.type(*SESSION)
    chat.wait_for(lambda screen: "Commitment: 9/10" in screen)
    # Nothing more is typed: the check-in comes by itself once it falls due.
    chat.wait_for(checkin_shown)
    chat.type("1")  # Done, by number: the check-in's question is the one answered
    chat.type("/quit")
    returncode, screen, errors = chat.close()
    assert (returncode, problems(errors)) == (0, [])
    assert checkin_shown(screen)
    shown_in_order = messages(screen)
    recap = next(i for i, message in enumerate(shown_in_order) if "Commitment: 9/10" in message)
    assert ACTION in shown_in_order[recap + 1] and "1) Done" in shown_in_order[recap + 1]
    assert query(tmp_path, "SELECT kind, status FROM checkins WHERE kind = 'first'") == [
        ("first", "answered")
    ]


def test_a_check_in_that_fell_due_while_the_chat_was_closed_is_shown_when_it_opens(
    tmp_path: Path,
) -> None:
    # Looking only every hour: what the second chat shows, it shows on opening.
    settings = str(config(tmp_path, "1s", "1h"))
    first = grow_coach_cli(tmp_path, SESSION, "chat", "--config", settings)
    assert first.returncode == 0, first.stderr
    assert not checkin_shown(first.stdout)
    (due,) = query(tmp_path, "SELECT due_at FROM checkins WHERE kind = 'first'")[0]
    assert isinstance(due, str)
    wait = datetime.fromisoformat(due).replace(tzinfo=UTC) - datetime.now(UTC)
    time.sleep(max(wait.total_seconds(), 0) + 0.2)
    assert query(tmp_path, "SELECT status FROM checkins WHERE kind = 'first'") == [("pending",)]

    second = grow_coach_cli(tmp_path, [], "chat", "--config", settings)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert checkin_shown(second.stdout)
    last = messages(second.stdout)[-1]  # after the welcome back and the menu
    assert ACTION in last and "1) Done" in last
    assert query(tmp_path, "SELECT status FROM checkins WHERE kind = 'first'") == [("sent",)]


def test_a_check_in_arriving_mid_typing_keeps_the_half_typed_line(tmp_path: Path) -> None:
    """In a real terminal (a pseudo-terminal here) the nudge goes above the prompt, and
    what the leader had typed is put back and still sent whole."""
    pty = pytest.importorskip("pty")
    (tmp_path / "fast.toml").write_text(config(tmp_path, "3s", "1s").read_text())
    master, slave = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GROW_COACH_")}
    environment.update(GROW_COACH_DATA_DIR=str(tmp_path), TERM="dumb")
    process = subprocess.Popen(
        [console_script(), "chat", "--config", "fast.toml"],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=tmp_path,
    )
    os.close(slave)
    screen = b""

    def wait_for(seen: bytes, after: int = 0) -> None:
        nonlocal screen
        deadline = time.monotonic() + 30
        while seen not in screen[after:]:
            assert time.monotonic() < deadline, screen.decode(errors="replace")
            if select.select([master], [], [], 0.2)[0]:
                screen += os.read(master, 65536)

    try:
        wait_for(b"> ")
        for line in SESSION:
            os.write(master, f"{line}\r".encode())
        wait_for(b"Commitment: 9/10")
        typed_from = len(screen)
        os.write(master, b"/sta")  # not sent yet when the check-in arrives
        wait_for(b"4) Snooze a day\r\n> /sta", typed_from)
        assert b"\r\x1b[KCoach: " in screen[typed_from:]  # the prompt line was cleared first
        os.write(master, b"tus\r")
        wait_for(CONCRETE.encode(), screen.rindex(b"> /sta"))
    finally:
        process.kill()
        process.wait()
        os.close(master)
    # "/sta" + "tus" went out as one /status, answered with the goal (the check-in names
    # only the action).
    after = screen[screen.rindex(b"> /sta") :].decode()
    assert after.startswith("> /status\r\nCoach: ") and CONCRETE in after
    assert query(tmp_path, "SELECT status FROM checkins WHERE kind = 'first'") == [("sent",)]
    assert query(tmp_path, "SELECT flow FROM conversations") == [("checkin",)]
