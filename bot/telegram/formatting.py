"""Engine replies as Telegram messages: escaped HTML, merged or split at 4096, inline keyboards."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from flows.events import Reply

MESSAGE_LIMIT = 4096
CALLBACK_LIMIT = 64
GRID_ROW = 5


def callback_data(question: int | None, value: str) -> str:
    data = f"a:{question if question is not None else 0}:{value}"
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes for value {value!r}")
    return data


def parse_callback(data: str | None) -> tuple[int, str] | None:
    """(question, value) from a button, or None for data this bot never made."""
    if not data or not data.startswith("a:"):
        return None
    parts = data.split(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2]:
        return None
    return int(parts[1]), parts[2]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    buttons = [
        InlineKeyboardButton(c.label, callback_data=callback_data(reply.question, c.value))
        for c in reply.choices
    ]
    if reply.layout == "grid":
        # Scores sit in a compact grid: 1-10 as two rows of five, 0-10 as 6 + 5.
        split = (len(buttons) + 1) // 2 if len(buttons) > GRID_ROW * 2 else GRID_ROW
        rows = [buttons[:split], buttons[split:]]
    else:
        rows = [[button] for button in buttons]
    return InlineKeyboardMarkup([row for row in rows if row])


# Between replies merged into one message: they read as paragraphs of one answer.
PARAGRAPH = "\n\n"


def merged(replies: Iterable[Reply], limit: int = MESSAGE_LIMIT) -> list[Reply]:
    """The replies as few messages: a plain text joins the reply after it when both fit.

    Each message is a Bot API round trip, and the next one may only leave once the
    earlier one is confirmed (Telegram does not keep the order of concurrent sends), so
    "Noted." followed by the next question would keep the leader waiting one round trip
    longer for the question. Joined, they arrive together and in order. A reply with
    buttons ends its message (the buttons belong under it); files and charts are never
    joined; a start link is put in first (`Reply.with_link`), by the caller.
    """
    out: list[Reply] = []
    for reply in replies:
        previous = out[-1] if out else None
        if (
            previous is not None
            and _plain(previous)
            and _joinable(reply)
            and len(previous.text) + len(PARAGRAPH) + len(reply.text) <= limit
        ):
            out[-1] = dataclasses.replace(reply, text=previous.text + PARAGRAPH + reply.text)
        else:
            out.append(reply)
    return out


def _joinable(reply: Reply) -> bool:
    return (
        bool(reply.text.strip())
        and reply.attachment is None
        and reply.chart is None
        and reply.start_param is None
    )


def _plain(reply: Reply) -> bool:
    """Text alone: nothing that has to stay at the end of its own message."""
    return _joinable(reply) and not reply.choices


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return [piece for piece in pieces if piece] or [text[:limit]]


def as_html(text: str) -> str:
    return html.escape(text, quote=False)


def answered(text: str, label: str) -> str:
    """The question as it reads once answered: the keyboard replaced by the choice."""
    return f"{as_html(text)}\n\n✓ <b>{as_html(label)}</b>"
