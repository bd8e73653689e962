"""The terminal chat: the same engine and database as Telegram, in a shell.

Choices are shown numbered and can be answered by number or by their words. When
standard input is not a terminal, each line is one message, so a whole conversation
can be scripted: `printf '...' | grow-coach chat`. Files a reply carries (/export) are
written to a directory and their paths printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.coaching.contract import StoreUnavailable
from bot.coaching.service import CoachService
from bot.frontend_texts import frontend_texts
from flows.events import Event, Reply

CHANNEL = "terminal"
DEFAULT_EXPORT_DIR = "grow-coach-export"


def render(reply: Reply, saved: Path | None = None) -> str:
    lines = [reply.text]
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
    if stripped.startswith("/") and len(stripped) > 1 and " " not in stripped:
        return Event.command(stripped)
    if last is not None and last.choices and last.layout == "list":
        wanted = stripped.lower()
        for number, choice in enumerate(last.choices, 1):
            if wanted in (str(number), choice.label.lower()):
                return Event.pick(choice.value, last.question)
    return Event.message(text)


def run_chat(
    service: CoachService,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user: str = "local",
    export_dir: Path | None = None,
) -> int:
    stdin = stdin or sys.stdin
    folder = export_dir or Path(DEFAULT_EXPORT_DIR)
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    last: Reply | None = None
    texts = frontend_texts(service.engine.settings.language)
    speaker = f"{texts.terminal_speaker}: "

    def send(event: Event) -> None:
        nonlocal last
        try:
            replies = service.handle(CHANNEL, user, event).replies
        except StoreUnavailable:
            print(speaker + texts.terminal_store_unavailable, file=stdout)
            return
        for reply in replies:
            saved = save(reply, folder) if reply.attachment is not None else None
            print(speaker + render(reply, saved).replace("\n", "\n" + " " * len(speaker)), file=stdout)
            if reply.question is not None:
                last = reply
        stdout.flush()

    send(Event.command("start"))
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            if interactive:
                print(file=stdout)
            return 0
        if not interactive:
            print(f"> {line.rstrip()}", file=stdout)
        if line.strip().lower() in ("/quit", "/exit"):
            return 0
        send(to_event(line, last))


def save(reply: Reply, folder: Path) -> Path:
    """Write the reply's file into `folder`, readable by its owner only: it holds
    everything the coach stored about the leader."""
    attachment = reply.attachment
    assert attachment is not None
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / Path(attachment.filename).name).resolve()
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(attachment.content)
    return path
