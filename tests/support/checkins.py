"""Shared set-up for the check-in, dispatch and /rescore tests (this module has no tests).

Leaders are seeded through the real `CoachService` on the test's own database, the way
the bot itself would store them (channel "telegram", external id = the Telegram user
id), so a bot process started afterwards on the same database finds them as its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.coaching.contract import Handled
from bot.coaching.service import CoachService
from devtools.bot_process import wait_until_polling
from devtools.telegram_emulator import BotApiEmulator, SentMessage
from flows.engine import CoachEngine
from flows.events import Event, Reply
from flows.settings import CoachSettings
from storage.db import Database
from storage.models import Base, CheckinRow, CoachingSessionRow, ConversationRow, GoalRow, LeaderRow
from tests.support.bot_harness import TOKEN, BotProcess, Leader, bot_env, ends_with
from tests.support.coach_driver import GROW_PATH, phrasings

CHANNEL = "telegram"
ACTION = "talk to Sam about deadlines"
# The if-then plan GROW_PATH makes: every check-in on its action recalls it.
PLAN = dict(GROW_PATH)["will_if_then"]
GOAL = "be a better leader — stop avoiding difficult conversations with my team"
ONBOARDING = ("hello", "yes", "Ann", "first time")
# Ten days out: a first check-in, a mid-way nudge, the action's own and the next session.
ACTION_WHEN = "in 10 days"
# Quiet hours off and the first check-in two seconds after the session, as bot_env does.
FAST = CoachSettings(first_after=timedelta(seconds=2), quiet_hours=None)

Row = TypeVar("Row", bound=Base)


def grow_answers(commitment: int = 9, when: str = ACTION_WHEN) -> list[str]:
    """GROW_PATH up to the commitment; a low one goes on to "keep it for now"."""
    answers = []
    for state, answer in GROW_PATH:
        if state == "will_commitment":
            answers.append(str(commitment))
            if commitment >= 8:
                break
        elif state == "will_when":
            answers.append(when)
        else:
            answers.append(answer)
    return answers


def say(
    service: CoachService, user: int, message: str, now: datetime | None = None, *, channel: str = CHANNEL
) -> Handled:
    event = (
        Event.command(message.split()[0].lstrip("/"), now=now, text=message)
        if message.startswith("/")
        else Event.message(message, now)
    )
    return service.handle(channel, str(user), event)


def seed_leader(
    service: CoachService,
    user: int,
    *,
    timezone: str = "UTC",
    commitment: int = 9,
    when: str = ACTION_WHEN,
    now: datetime | None = None,
    channel: str = CHANNEL,
) -> int:
    """A leader who finished onboarding and one GROW session; returns their users.id."""
    handled = None
    for message in (*ONBOARDING, timezone, *grow_answers(commitment, when)):
        handled = say(service, user, message, now, channel=channel)
    assert handled is not None
    recap = handled.replies[-1].text
    assert f"{commitment}/10" in recap, recap
    return handled.user_id


def seed_another_goal(service: CoachService, user: int, *, now: datetime | None = None) -> None:
    """A second committed GROW session, on a goal of its own."""
    answers = grow_answers(9)
    answers[0] = "run better one-to-ones"  # concrete: no follow-up question
    del answers[1]
    handled = say(service, user, "/new", now)
    # With a goal behind them, a session opens with where they stand: this is another goal.
    handled = say(service, user, "another", now)
    for message in answers:
        handled = say(service, user, message, now)
    assert "9/10" in handled.replies[-1].text, handled.replies[-1].text


def new_service(db: Database, settings: CoachSettings = FAST) -> CoachService:
    return CoachService(db, CoachEngine(settings))


def rows(db: Database, model: type[Row], *where: Any) -> list[Row]:
    """Rows as stored now, detached so they can be read after the session ends."""
    with db.session() as session:
        # Primary-key order: insertion order for the integer keys.
        order = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
        found = list(session.scalars(select(model).where(*where).order_by(*order)))
        session.expunge_all()
    return found


def checkins(db: Database, user_id: int) -> list[CheckinRow]:
    with db.session() as session:
        found = list(
            session.scalars(
                select(CheckinRow).where(CheckinRow.user_id == user_id).order_by(CheckinRow.due_at)
            )
        )
        session.expunge_all()
    return found


def by_kind(db: Database, user_id: int) -> dict[str, CheckinRow]:
    return {row.kind: row for row in checkins(db, user_id)}


def set_due(db: Database, checkin_id: int, due_at: datetime, **values: Any) -> None:
    """Move a check-in in time, as if the clock had run on to (or past) it."""
    with db.session() as session:
        session.execute(update(CheckinRow).where(CheckinRow.id == checkin_id).values(due_at=due_at, **values))


def goal_of(db: Database, user_id: int) -> GoalRow:
    goals = rows(db, GoalRow, GoalRow.user_id == user_id)
    assert len(goals) == 1, goals
    return goals[0]


def user_row(db: Database, user_id: int) -> LeaderRow:
    with db.session() as session:
        user = session.get(LeaderRow, user_id)
        assert user is not None
        session.expunge(user)
    return user


def now_utc() -> datetime:
    return datetime.now(UTC)


def texts(replies: Sequence[Reply | SentMessage]) -> list[str]:
    return [reply.text or "" for reply in replies]


def checkin_questions(messages: Sequence[SentMessage]) -> list[SentMessage]:
    """The bot's "did you do it?" questions (first, mid-way or due) among these messages."""
    asked = {
        text
        for key in ("ask", "recall_plan", "midway")
        for text in phrasings("checkin", "did", key, "guided", name="Ann", action=ACTION, if_then=PLAN)
    }
    # A check-in's question ends its message: a line before it is joined to it.
    return [message for message in messages if ends_with(message, asked)]


# rows straight into the tables, for storage-level tests and for volume


def add_leader(
    session: Session,
    number: int,
    *,
    timezone: str = "UTC",
    flow: str = "idle",
    active: bool = True,
    paused: bool = False,
    channel: str = CHANNEL,
) -> tuple[int, str, str]:
    """An onboarded leader with one goal and a session that agreed ACTION: (user, goal, session)."""
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    user = LeaderRow(
        channel=channel,
        external_id=str(number),
        name="Ann",
        level="first_time",
        timezone=timezone,
        consented_at=stamp,
        active=active,
        paused=paused,
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(user)
    session.flush()
    goal = GoalRow(id=f"goal-{number}", user_id=user.id, text=f"goal of leader {number}", created_at=stamp)
    coaching = CoachingSessionRow(
        id=f"session-{number}",
        user_id=user.id,
        goal_id=goal.id,
        kind="grow",
        started_at=stamp,
        closed_at=stamp,
        outcome="committed",
        action=ACTION,
        action_due=stamp.date(),
    )
    state = "idle" if flow == "idle" else "goal_measure"
    session.add_all([goal, coaching, ConversationRow(user_id=user.id, flow=flow, state=state, data={})])
    session.flush()
    return user.id, goal.id, coaching.id


def add_session(session: Session, leader: tuple[int, str, str], suffix: str) -> str:
    """Another committed session on the leader's goal, for a second set of check-ins."""
    user_id, goal_id, coaching_id = leader
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    row = CoachingSessionRow(
        id=f"{coaching_id}-{suffix}", user_id=user_id, goal_id=goal_id, kind="grow", started_at=stamp
    )
    session.add(row)
    session.flush()
    return row.id


def add_checkin(
    session: Session,
    leader: tuple[int, str, str],
    kind: str,
    due_at: datetime,
    *,
    status: str = "pending",
    session_id: str | None = None,
    **values: Any,
) -> int:
    user_id, goal_id, coaching_id = leader
    row = CheckinRow(
        user_id=user_id,
        goal_id=goal_id,
        session_id=session_id or coaching_id,
        kind=kind,
        due_at=due_at,
        status=status,
        attempts=values.pop("attempts", 0),
        **values,
    )
    session.add(row)
    session.flush()
    return row.id


def statuses(db: Database, *ids: int) -> list[str]:
    with db.session() as session:
        return [session.get(CheckinRow, checkin_id).status for checkin_id in ids]  # type: ignore[union-attr]


# the real bot


@asynccontextmanager
async def running_bot(
    database_url: str, workdir: Path, leaders: Sequence[int] = (), **env: str
) -> AsyncIterator[tuple[BotApiEmulator, BotProcess]]:
    """`grow-coach run` against a fresh emulator, check-ins due 2 s after a session.

    `leaders` get their private chat before the bot starts: a check-in already due goes
    out in its first second, and a chat the emulator does not know is "chat not found".
    """
    settings = {"GROW_COACH_CHECKINS_FIRST_AFTER": "2s", **env}
    async with BotApiEmulator(token=TOKEN, bot_username="grow_coach_bot") as emulator:
        for user in leaders:
            emulator.add_user(user, first_name="Ann")
        bot = BotProcess(bot_env(emulator, database_url, workdir, **settings), workdir / "bot.log")
        await bot.start()
        try:
            await wait_until_polling(emulator, bot)
            yield emulator, bot
        finally:
            await bot.stop()


def leader_of(emulator: BotApiEmulator, user: int) -> Leader:
    """A leader the bot may message first: their private chat exists in the emulator."""
    emulator.add_user(user, first_name="Ann")
    return Leader(emulator, user)


async def asked_checkins(leader: Leader, count: int, timeout: float = 20.0) -> list[SentMessage]:
    """Wait until the leader has been asked `count` check-in questions in all; return them.

    Counting what is on screen rather than "the next message" keeps a check-in that came
    in the same breath as a reply (or before this call) from being missed.
    """
    await leader.emulator.wait_for(lambda: len(checkin_questions(leader.messages)) >= count, timeout)
    return checkin_questions(leader.messages)


async def next_messages(leader: Leader, count: int = 1, timeout: float = 20.0) -> list[SentMessage]:
    """Wait for `count` more bot messages than the leader has now; return the new ones."""
    before = len(leader.messages)
    await leader.emulator.wait_for_bot_messages(leader.user_id, before + count, timeout=timeout)
    return leader.messages[before:]
