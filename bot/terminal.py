"""The terminal chat: the same engine and database as Telegram, in a shell.

Choices are shown numbered and can be answered by number or by their words. When
standard input is not a terminal, each line is one message, so a whole conversation
can be scripted: `printf '...' | grow-coach chat`. Files a reply carries are written to
a directory and their paths printed: the /export files, and the /progress charts (a
terminal shows no pictures; the chart's numbers are in the summary above its path).

Check-ins reach the leader here too: those already due when the chat opens, then any
that fall due while it is open (`bot.terminal_checkins`).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import TextIO

from bot.coaching.contract import StoreUnavailable
from bot.coaching.service import CoachService
from bot.frontend_texts import FrontendTexts, frontend_texts
from bot.terminal_checkins import CheckinPoller, deliver_due
from flows.events import Event, Reply

CHANNEL = "terminal"
PROMPT = "> "
DEFAULT_EXPORT_DIR = "grow-coach-export"
DEFAULT_CHART_DIR = "grow-coach-progress"
PICTURES = ("image/png", "image/jpeg")


def render(reply: Reply, saved: Path | None = None) -> str:
    # The terminal has no links: a stakeholder types the command a Telegram link would send.
    lines = [reply.with_link(f"/start {reply.start_param}").text]
    if saved is not None:
        lines.append(f"  {saved}")
    if reply.choices and reply.layout == "grid":
        lines.append("   " + "  ".join(choice.label for choice in reply.choices))
    else:
        lines += [f"  {number}) {choice.label}" for number, choice in enumerate(reply.choices, 1)]
    return "\n".join(lines)


def to_event(line: str, last: Reply | None) -> Event:
    text = line.rstrip("\r\n")
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
        # "/log had the one-to-one": the command's own words travel with it, as on Telegram.
        return Event.command(stripped.split()[0], text=stripped)
    if last is not None and last.choices and last.layout == "list":
        wanted = stripped.lower()
        for number, choice in enumerate(last.choices, 1):
            if wanted in (str(number), choice.label.lower()):
                return Event.pick(choice.value, last.question)
    return Event.message(text)


def _line_editing() -> ModuleType | None:
    """GNU readline, if this Python has it: input() then edits lines, and a check-in can
    put back what the leader had typed. It must be imported before input() is called."""
    try:
        import readline
    except ImportError:
        return None
    return readline


class Screen:
    """The coach's side of the terminal, written by the chat and by the check-in poller.

    One message at a time; and a check-in printed while the leader is typing clears
    the prompt line first, then puts the prompt and their unfinished words back.
    """

    def __init__(
        self, stdout: TextIO, speaker: str, interactive: bool, readline: ModuleType | None = None
    ) -> None:
        self.stdout = stdout
        self.speaker = speaker
        self.interactive = interactive
        self.readline = readline
        self.at_prompt = False
        self._lock = threading.Lock()

    def show(self, replies: list[Reply], saved: list[Path | None] | None = None) -> None:
        """`saved`: where each reply's file (if any) was written, in the same order."""
        if not replies:
            return
        indent = "\n" + " " * len(self.speaker)
        paths = saved or [None] * len(replies)
        with self._lock:
            interrupting = self.interactive and self.at_prompt
            if interrupting:
                self.stdout.write("\r\x1b[K")
            for reply, path in zip(replies, paths, strict=True):
                self.stdout.write(self.speaker + render(reply, path).replace("\n", indent) + "\n")
            if interrupting:
                typed = self.readline.get_line_buffer() if self.readline is not None else ""
                self.stdout.write(PROMPT + typed)
            self.stdout.flush()

    def say(self, text: str) -> None:
        self.show([Reply(text)])

    def echo(self, line: str) -> None:
        """A scripted line, shown as if typed, so a transcript reads like the chat."""
        with self._lock:
            self.stdout.write(f"{PROMPT}{line.rstrip()}\n")

    def waiting(self, at_prompt: bool) -> None:
        with self._lock:
            self.at_prompt = at_prompt


class TerminalChat:
    """One leader's conversation; the chat and the poller take turns with the service."""

    def __init__(
        self,
        service: CoachService,
        screen: Screen,
        user: str,
        texts: FrontendTexts,
        grace: timedelta,
        export_dir: Path,
        chart_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.export_dir = export_dir
        self.chart_dir = chart_dir or Path(DEFAULT_CHART_DIR)
        self.screen = screen
        self.user = user
        self.texts = texts
        self.grace = grace
        self.last: Reply | None = None  # the message asking the current question
        self.turn = threading.Lock()

    def send_line(self, line: str) -> None:
        with self.turn:
            self._send(to_event(line, self.last))

    def send(self, event: Event) -> None:
        with self.turn:
            self._send(event)

    def _send(self, event: Event) -> None:
        try:
            handled = self.service.handle(CHANNEL, self.user, event)
        except StoreUnavailable:
            self.screen.say(self.texts.terminal_store_unavailable)
            return
        replies = handled.replies
        if event.kind == "command" and event.value == "help" and replies and not handled.refused:
            # /quit belongs to the terminal alone: its help lists it, Telegram's does not.
            extended = f"{replies[0].text}\n{self.texts.terminal_help_quit}"
            replies = [dataclasses.replace(replies[0], text=extended), *replies[1:]]
        self._show(replies)

    def deliver_checkins(self, worker: str) -> None:
        """Show this leader's due check-ins, if any; the database decides which are due."""
        with self.turn:
            self._show(deliver_due(self.service, (CHANNEL, self.user), worker, self.grace))

    def _show(self, replies: list[Reply]) -> None:
        saved = [self._save(reply) if reply.attachment is not None else None for reply in replies]
        for reply in replies:
            if reply.question is not None:
                self.last = reply
        self.screen.show(replies, saved)

    def _save(self, reply: Reply) -> Path:
        return save(reply, self.chart_dir if is_picture(reply) else self.export_dir)


def _read(stdin: TextIO, interactive: bool, screen: Screen) -> str:
    """One line from the leader; "" at the end of input."""
    if not interactive:
        return stdin.readline()
    if stdin is sys.stdin:
        # input() brings GNU readline's line editing, and with it what has been typed.
        screen.waiting(True)
        try:
            return input(PROMPT) + "\n"
        except EOFError:
            return ""
        finally:
            screen.waiting(False)
    screen.stdout.write(PROMPT)
    screen.stdout.flush()
    screen.waiting(True)
    try:
        return stdin.readline()
    finally:
        screen.waiting(False)


def run_chat(
    service: CoachService,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user: str = "local",
    *,
    checkin_every: timedelta = timedelta(seconds=5),
    grace: timedelta = timedelta(days=1),
    export_dir: Path | None = None,
    chart_dir: Path | None = None,
) -> int:
    """`export_dir`: where /export writes its files; `chart_dir`: where /progress
    charts go (grow-coach chat passes <data dir>/progress)."""
    charts = chart_dir or Path(DEFAULT_CHART_DIR)
    stdin = stdin or sys.stdin
    folder = export_dir or Path(DEFAULT_EXPORT_DIR)
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    texts = frontend_texts(service.engine.settings.language)
    editing = _line_editing() if interactive and stdin is sys.stdin else None
    screen = Screen(stdout, f"{texts.terminal_speaker}: ", interactive, editing)
    chat = TerminalChat(service, screen, user, texts, grace, folder, charts)

    # The chat opens as if the leader had sent /start; a script that begins with
    # /start has its own, and one is enough.
    first = "" if interactive else stdin.readline()
    if first.strip().lower() == "/start":
        screen.echo(first)
        first = ""
    chat.send(Event.command("start"))
    poller = CheckinPoller(chat.deliver_checkins, checkin_every)
    poller.deliver_now()  # what fell due while the chat was closed
    poller.start()
    try:
        while True:
            line = first or _read(stdin, interactive, screen)
            first = ""
            if not line:
                if interactive:
                    stdout.write("\n")
                return 0
            if not interactive:
                screen.echo(line)
            if line.strip().lower() in ("/quit", "/exit"):
                return 0
            chat.send_line(line)
    finally:
        poller.stop()


def is_picture(reply: Reply) -> bool:
    return reply.attachment is not None and reply.attachment.media_type in PICTURES


def save(reply: Reply, folder: Path) -> Path:
    """Write the reply's file into `folder`, readable by its owner only: it holds what
    the coach stored about the leader (an export, or a goal and its ratings)."""
    attachment = reply.attachment
    assert attachment is not None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = (folder / Path(attachment.filename).name).resolve()
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(attachment.content)
    return path
