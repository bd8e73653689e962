"""Several webhook workers on one PostgreSQL: the inbox, the turns and the shared send pace.

Workers here are `CoachService`s on one database, each with its own name, as N
`grow-coach run` processes would be; tests/e2e/test_shared_workers.py runs the real thing.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text, update

from bot.coaching.service import CoachService
from storage import send_pace
from storage.db import Database, alembic_config
from storage.models import AnswerRow, LeaderTurnRow, SendPaceRow, UpdateInboxRow
from tests.support.checkins import ONBOARDING, grow_answers, new_service, say

CHAT = ("telegram", "4242")


def payload(update_id: int, words: str = "I keep putting off the hard conversation") -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": words}}


@pytest.fixture
def pg(database: Database) -> Database:
    if database.dialect != "postgresql":
        pytest.skip("several workers share PostgreSQL; SQLite keeps the in-process order")
    return database


def turn_rows(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as session:
        return [(r.channel, r.external_id, r.owner) for r in session.scalars(select(LeaderTurnRow))]


def inbox_ids(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(UpdateInboxRow.update_id).order_by(UpdateInboxRow.update_id)))


def test_the_turn_holder_handles_every_workers_updates_in_id_order_then_gives_the_turn_back(
    pg: Database,
) -> None:
    a, b = new_service(pg), new_service(pg)
    first = a.receive_update(*CHAT, 10, payload(10), "worker-a")
    assert [(row.update_id, row.payload) for row in first] == [(10, payload(10))]
    # B received the leader's next updates while A was still busy: it only stores them.
    assert b.receive_update(*CHAT, 11, payload(11, "by Friday"), "worker-b") == []
    assert b.receive_update(*CHAT, 12, payload(12, "ask Sam first"), "worker-b") == []
    assert inbox_ids(pg) == [10, 11, 12]

    following = a.finish_updates(*CHAT, [10], "worker-a")
    assert [row.payload["message"]["text"] for row in following] == ["by Friday", "ask Sam first"]  # type: ignore[index]
    assert a.receive_update(*CHAT, 13, payload(13), "worker-a") == []  # A's drain comes to it
    assert [row.update_id for row in a.finish_updates(*CHAT, [11, 12], "worker-a")] == [13]
    assert a.finish_updates(*CHAT, [13], "worker-a") == []
    # Nothing left: no inbox row and no turn row keep this chat's id.
    assert inbox_ids(pg) == [] and turn_rows(pg) == []
    # The next update finds the turn free, whichever worker gets it.
    assert [row.update_id for row in b.receive_update(*CHAT, 14, payload(14), "worker-b")] == [14]


def test_an_update_posted_twice_is_stored_once(pg: Database) -> None:
    a, b = new_service(pg), new_service(pg)
    assert a.receive_update(*CHAT, 20, payload(20), "worker-a") != []
    # Telegram saw no answer from A and posted it again, to B.
    assert b.receive_update(*CHAT, 20, payload(20), "worker-b") == []
    assert inbox_ids(pg) == [20]


def test_a_killed_workers_chats_are_taken_over_once_its_lease_runs_out(pg: Database) -> None:
    a, b = new_service(pg), new_service(pg)
    assert a.receive_update(*CHAT, 30, payload(30), "worker-a") != []
    assert b.receive_update(*CHAT, 31, payload(31), "worker-b") == []
    # A's lease is still good: nothing to take over.
    assert b.take_stale_turns("worker-b", 10) == []
    with pg.session() as session:
        session.execute(update(LeaderTurnRow).values(until=func.clock_timestamp() - timedelta(seconds=1)))
    taken = b.take_stale_turns("worker-b", 10)
    assert [(c, e, [row.update_id for row in rows]) for c, e, rows in taken] == [(*CHAT, [30, 31])]
    assert turn_rows(pg) == [(*CHAT, "worker-b")]
    # A comes back from its stall: it lost the turn, so it stops and B goes on.
    assert a.finish_updates(*CHAT, [30], "worker-a") == []
    assert b.finish_updates(*CHAT, [30, 31], "worker-b") == []
    assert inbox_ids(pg) == []


def test_the_payload_is_encrypted_at_rest(pg: Database) -> None:
    new_service(pg).receive_update(*CHAT, 40, payload(40, "my manager undermines me"), "worker-a")
    with pg.session() as session:
        stored = session.scalar(text("SELECT payload FROM update_inbox"))
    assert stored is not None and "undermines" not in stored


def test_three_workers_posted_to_at_random_handle_every_update_once_and_in_order(pg: Database) -> None:
    """The race the turn row's lock settles: an update committed while its holder is
    giving the turn back is either seen by the holder or finds the turn free."""
    leaders = [str(5000 + n) for n in range(8)]
    handled: dict[str, list[int]] = {leader: [] for leader in leaders}
    lock = threading.Lock()
    services = [new_service(pg) for _ in range(3)]
    pools = [ThreadPoolExecutor(max_workers=4) for _ in services]
    drains = []

    def drain(index: int, leader: str, update_ids: list[int]) -> None:
        while update_ids:
            with lock:
                handled[leader].extend(update_ids)
            following = services[index].finish_updates("telegram", leader, update_ids, f"w{index}")
            update_ids = [row.update_id for row in following]

    def post(leader: str, update_id: int) -> None:
        index = random.randrange(3)
        first = services[index].receive_update("telegram", leader, update_id, payload(update_id), f"w{index}")
        if first:
            drains.append(pools[index].submit(drain, index, leader, [row.update_id for row in first]))

    # Telegram posts a chat's next update once the previous one was answered: per
    # leader in order, leaders interleaved.
    sent: dict[str, list[int]] = {leader: [] for leader in leaders}
    with ThreadPoolExecutor(max_workers=len(leaders)) as posters:

        def leader_posts(position: int, leader: str) -> None:
            for step in range(40):
                update_id = 100_000 + step * len(leaders) + position
                sent[leader].append(update_id)
                post(leader, update_id)

        list(posters.map(leader_posts, range(len(leaders)), leaders))
    for future in list(drains):
        future.result(timeout=60)
    for pool in pools:
        pool.shutdown(wait=True)
    assert handled == sent
    assert inbox_ids(pg) == [] and turn_rows(pg) == []


def test_the_send_pace_is_one_slot_per_interval_for_every_worker(pg: Database) -> None:
    interval = timedelta(milliseconds=200)
    with pg.session() as session:
        assert send_pace.take_slot(session, interval) == 0.0
    with pg.session() as session:
        wait = send_pace.take_slot(session, interval)
    assert 0.0 < wait <= 0.2
    # Twenty asks from four threads at once: at most the slots time allows are granted.
    granted = []

    def ask(_: int) -> float:
        with pg.session() as session:
            return send_pace.take_slot(session, interval)

    with ThreadPoolExecutor(max_workers=4) as pool:
        granted = [w for w in pool.map(ask, range(20)) if w == 0.0]
    assert len(granted) <= 1
    with pg.session() as session:
        assert session.scalar(select(func.count()).select_from(SendPaceRow)) == 1


@pytest.fixture
def database_at_0009(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
    try:
        yield db
    finally:
        db.dispose()


def test_upgrading_from_0009_leaves_a_leader_mid_session_where_they_were(database_at_0009: Database) -> None:
    db = database_at_0009
    before: CoachService = new_service(db)
    answers = grow_answers()
    for message in (*ONBOARDING, "UTC", *answers[:3]):
        say(before, 77, message)
    db.upgrade()
    after = new_service(db)
    for message in answers[3:]:
        handled = say(after, 77, message)
    assert "9/10" in handled.replies[-1].text
    with db.session() as session:
        stored = list(session.scalars(select(AnswerRow.text).order_by(AnswerRow.id)))
        assert session.scalar(select(func.count()).select_from(UpdateInboxRow)) == 0
    # The last answer before the upgrade and the first after it, both kept, in that order.
    assert stored.index(answers[2]) < stored.index(answers[3])
    if db.dialect == "postgresql":
        assert after.receive_update("telegram", "77", 1, payload(1), "worker-a") != []
