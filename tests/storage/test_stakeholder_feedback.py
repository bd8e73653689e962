"""The stakeholder pulse through the real service and database: a leader's link, three
people answering, the aggregate held back until the third, a second round, and what the
raw database keeps (no stakeholder's Telegram id, only a hash of each code)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.coaching.access import AccessPolicy
from bot.coaching.contract import Handled
from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Event
from storage.db import Database
from storage.encryption import KeyRing, set_keyring
from storage.models import FeedbackResponseRow, FeedbackRoundRow
from tests.support.coach_driver import path_for

GOAL = "stop avoiding difficult conversations with my team"
LEADER = "4242"
STAKEHOLDERS = ("1001", "1002", "1003")


@pytest.fixture(autouse=True)
def keyring() -> Iterator[None]:
    set_keyring(KeyRing(os.urandom(32)))
    yield
    set_keyring(None)


def make_service(database: Database, access: AccessPolicy | None = None) -> CoachService:
    return CoachService(database, CoachEngine(), access, feedback_key=b"k" * 32)


def say(service: CoachService, who: str, message: str, at: datetime | None = None) -> Handled:
    now = at or datetime.now(UTC)
    if message.startswith("/"):
        event = Event.command(message.split()[0], now=now, text=message)
    else:
        event = Event.message(message, now=now)
    return service.handle("telegram", who, event)


def texts(handled: Handled) -> str:
    return "\n".join(reply.text for reply in handled.replies)


def leader_with_goal(service: CoachService) -> None:
    path = [answer for state, answer in path_for("open") if state != "goal_concrete"]
    path[0] = GOAL
    for message in ["hi", "yes", "Ann", "2", "UTC", *path]:
        say(service, LEADER, message)


def invite(service: CoachService) -> tuple[str, Handled]:
    handled = say(service, LEADER, "/feedback")
    linked = [r for r in handled.replies if r.start_param]
    assert len(linked) == 1
    return f"/start {linked[0].start_param}", handled


def answer(service: CoachService, who: str, start: str, rating: str, keep: str, change: str) -> list[Handled]:
    return [
        say(service, who, start),
        say(service, who, "1"),  # a peer
        say(service, who, rating),
        say(service, who, keep),
        say(service, who, change),
    ]


def test_the_leader_sees_the_aggregate_only_after_the_third_answer(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, handled = invite(service)
    assert re.fullmatch(r"/start fb_[A-Za-z0-9_-]{32}", start)
    assert "{start_link}" in next(r for r in handled.replies if r.start_param).text

    opened = say(service, STAKEHOLDERS[0], start)
    assert "Ann asked for your honest view" in texts(opened)
    assert "anonymous" in texts(opened)
    assert GOAL in texts(opened)
    assert [c.value for c in opened.replies[-1].choices] == ["peer", "report", "manager", "other"]
    for reply_text in (
        "1",
        "seven I'd say",
        "She asks for our view in 1:1s",
        "Let people finish before jumping in",
    ):
        say(service, STAKEHOLDERS[0], reply_text)
    say(service, STAKEHOLDERS[1], start)
    for reply_text in ("3", "5", "keeps us informed", "more direct feedback pls"):
        say(service, STAKEHOLDERS[1], reply_text)

    early = texts(say(service, LEADER, "/feedback"))
    assert "2 answered" in early
    assert "at least 3" in early
    assert "jumping in" not in early and "informed" not in early

    thanks = answer(service, STAKEHOLDERS[2], start, "9", "calm in meetings", "say no earlier")[-1]
    assert "/withdraw" in texts(thanks)
    shown = texts(say(service, LEADER, "/feedback"))
    assert "3 answered" in shown
    assert "7.0/10 from 3 people" in shown  # (7 + 5 + 9) / 3
    for comment in (
        "1:1s",
        "jumping in",
        "informed",
        "direct feedback",
        "calm in meetings",
        "say no earlier",
    ):
        assert comment in shown
    # Two peers and a direct report: no split by relationship could hide who said what.
    assert "By relationship" not in shown


def test_a_second_round_shows_the_change(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    first, _ = invite(service)
    for who, rating in zip(STAKEHOLDERS, ("4", "5", "6"), strict=True):
        answer(service, who, first, rating, "listening", "interrupting")
    menu = say(service, LEADER, "/feedback")
    second_round = service.handle("telegram", LEADER, Event.pick("cmd:fb_round", menu.replies[-1].question))
    second = next(f"/start {r.start_param}" for r in second_round.replies if r.start_param)
    assert "round 2" in texts(second_round)
    # The first round's link stops working once the next round opens.
    assert "doesn't work" in texts(say(service, "1009", first))
    for who, rating in zip(STAKEHOLDERS, ("7", "8", "9"), strict=True):
        answer(service, who, second, rating, "listening", "interrupting")
    shown = texts(say(service, LEADER, "/feedback"))
    assert "round 2: 3 answered" in shown
    assert "5.0 → 8.0 (+3.0)" in shown


def test_no_one_answers_twice_and_the_leader_cannot_answer_their_own_link(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    answer(service, STAKEHOLDERS[0], start, "6", "x", "y")
    assert "already answered" in texts(say(service, STAKEHOLDERS[0], start))
    assert "your own feedback link" in texts(say(service, LEADER, start))
    with database.session() as session:
        assert session.scalar(select(text("count(*)")).select_from(FeedbackResponseRow)) == 1


def test_withdraw_and_delete(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    for who in STAKEHOLDERS:
        answer(service, who, start, "6", "keep it", "change it")
    assert "removed" in texts(say(service, STAKEHOLDERS[0], "/withdraw"))
    assert "no feedback answers" in texts(say(service, STAKEHOLDERS[0], "/withdraw"))
    assert "erased" in texts(say(service, STAKEHOLDERS[1], "/delete"))
    after = texts(say(service, LEADER, "/feedback"))
    assert "1 answered" in after and "keep it" not in after
    # The leader's /delete takes the rounds and every answer given to them.
    erase = say(service, LEADER, "/delete")
    service.handle("telegram", LEADER, Event.pick("erase", erase.replies[-1].question))
    with database.session() as session:
        assert session.scalars(select(FeedbackRoundRow)).all() == []
        assert session.scalars(select(FeedbackResponseRow)).all() == []


def test_a_link_expires_and_can_be_switched_off(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    later = datetime.now(UTC) + timedelta(days=15)
    assert "doesn't work" in texts(say(service, STAKEHOLDERS[0], start, at=later))
    menu = say(service, LEADER, "/feedback")
    switched = service.handle("telegram", LEADER, Event.pick("cmd:fb_revoke", menu.replies[-1].question))
    assert "switched off" in texts(switched)
    assert "doesn't work" in texts(say(service, STAKEHOLDERS[0], start))


def test_stakeholders_need_no_invite_and_stay_strangers(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)  # the leader came in before invite mode was switched on
    start, _ = invite(service)
    guarded = make_service(database, AccessPolicy("invite"))
    answer(guarded, STAKEHOLDERS[0], start, "8", "clear goals", "más paciencia 🙏")
    assert "invite" in texts(say(guarded, STAKEHOLDERS[0], "hello")).lower()
    with database.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("users", "feedback_rounds", "feedback_responses", "conversations")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
        stored_hashes = list(connection.execute(text("SELECT code_hash FROM feedback_rounds")).scalars())
    assert STAKEHOLDERS[0] not in dump
    assert "paciencia" not in dump and "clear goals" not in dump  # encrypted at rest
    assert start.split("fb_")[1] not in dump
    assert len(stored_hashes[0]) == 64


def test_a_leader_giving_feedback_mid_session_returns_to_their_question(database: Database) -> None:
    service = make_service(database)
    leader_with_goal(service)
    start, _ = invite(service)
    other = "5005"
    for message in ["hi", "yes", "Bo", "2"]:
        say(service, other, message)
    asked = texts(say(service, other, "UTC"))  # set up, and asked for a goal
    answer_steps = answer(service, other, start, "8", "listens", "decides faster")
    assert "/withdraw" in texts(answer_steps[-1])
    assert asked.splitlines()[-1] in texts(answer_steps[-1])
