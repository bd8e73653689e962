"""What goes into the engine (events) and what comes out (replies)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from flows.records import Record

if TYPE_CHECKING:
    from flows.progress import GoalProgress

EventKind = Literal["text", "choice", "command", "timer", "unsupported", "location"]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    text: str = ""
    value: str = ""  # a choice's value, a command's name, or a timer's name
    question: int | None = None  # the question a choice belongs to, to spot stale buttons
    checkin_id: int | None = None
    latitude: float | None = None  # a shared location (read for a time zone only)
    longitude: float | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def message(cls, text: str, now: datetime | None = None) -> Event:
        return cls("text", text=text, now=now or datetime.now(UTC))

    @classmethod
    def command(cls, name: str, now: datetime | None = None, text: str = "") -> Event:
        """`text` keeps the whole line, e.g. "/start CODE" from an invite link."""
        return cls("command", text=text, value=name.lstrip("/").lower(), now=now or datetime.now(UTC))

    @classmethod
    def pick(cls, value: str, question: int | None, now: datetime | None = None) -> Event:
        return cls("choice", value=value, question=question, now=now or datetime.now(UTC))

    @classmethod
    def timer(cls, name: str, checkin_id: int, now: datetime | None = None) -> Event:
        return cls("timer", value=name, checkin_id=checkin_id, now=now or datetime.now(UTC))

    @classmethod
    def location(cls, latitude: float, longitude: float, now: datetime | None = None) -> Event:
        """A location the leader shared; only a time-zone question reads it."""
        return cls("location", latitude=latitude, longitude=longitude, now=now or datetime.now(UTC))

    @classmethod
    def unsupported(cls, now: datetime | None = None) -> Event:
        """A sticker, photo, voice note or anything else that is not text."""
        return cls("unsupported", now=now or datetime.now(UTC))


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply (the /export documents, /progress charts); each
    front end decides how: Telegram sends a document or a photo, the terminal chat
    writes a file and prints its path."""

    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    text: str  # with an attachment, the words that go with the file
    choices: tuple[Choice, ...] = ()
    layout: Literal["list", "grid"] = "list"
    question: int | None = None  # set on the message that asks the current question
    attachment: Attachment | None = None
    # A chart still to draw: the engine only says what to show. The service draws it
    # into `attachment` after the commit, outside the transaction and off any event loop
    # (flows/chart_replies.py); a front end never sees a reply with a chart left in it.
    chart: GoalProgress | None = None
    # A start parameter ("fb_<code>") the front end turns into a link: it alone knows the
    # bot's address, and it puts the link where the text says START_LINK.
    start_param: str | None = None

    def with_link(self, link: str) -> Reply:
        if self.start_param is None:
            return self
        return dataclasses.replace(self, text=self.text.replace(START_LINK, link))


# Where a reply with a start_param wants its link; content templates write {start_link}.
START_LINK = "{start_link}"


@dataclass
class Outcome:
    replies: list[Reply]
    records: list[Record]
    deferred: bool = False  # a timer event that must wait until the current flow ends
    delivered: bool = False  # a timer event that produced a message for the leader
    expired: bool = False  # a choice from a stale or forged button: nothing was recorded
