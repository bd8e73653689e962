"""The terminal chat: the same engine and database as Telegram, in a shell.

Choices are shown numbered and can be answered by number or by their words. When
standard input is not a terminal, each line is one message, so a whole conversation
can be scripted: `printf '...' | grow-coach chat`.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bot.coaching.contract import StoreUnavailable
from bot.coaching.service import CoachService
from bot.frontend_texts import frontend_texts
from flows.events import Event, Reply

CHANNEL = "terminal"


def render(reply: Reply) -> str:
    lines = [reply.text]
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


def run_chat(
    service: CoachService,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user: str = "local",
) -> int:
    stdin = stdin or sys.stdin
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
            print(speaker + render(reply).replace("\n", "\n" + " " * len(speaker)), file=stdout)
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
