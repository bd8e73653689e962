"""storage/checkin_delivery.py on SQLite and PostgreSQL: claiming, leases, staleness, cancelling.

Clocks are explicit: every function takes `now`, so "two minutes later" is an argument,
not a sleep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.checkin_delivery import (
    CLAIM_LEASE,
    cancel_one,
    cancel_pending,
    claim_due,
    count_by_status,
    due_for_leader,
    expire_stale,
    mark_sent,
    release,
)
from storage.db import Database
from storage.models import CheckinRow, CoachingSessionRow, GoalRow
from tests.support.checkins import add_checkin, add_leader, add_session, statuses

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
GRACE = timedelta(days=1)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def claim(db: Database, now: datetime = NOW, worker: str = "w1", limit: int = 100) -> list[int]:
    with db.session() as session:
        return [c.checkin_id for c in claim_due(session, now, worker, limit)]


def expire(db: Database, now: datetime = NOW, grace: timedelta = GRACE) -> int:
    with db.session() as session:
        return expire_stale(session, now, grace)


def row(db: Database, checkin_id: int) -> CheckinRow:
    with db.session() as session:
        found = session.get(CheckinRow, checkin_id)
        assert found is not None
        session.expunge(found)
    return found


# claiming


def test_claim_takes_due_check_ins_oldest_first_and_marks_them(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1, timezone="Europe/Berlin")
        later = add_checkin(session, add_leader(session, 2), "action_due", NOW - minutes(1))
        older = add_checkin(session, ann, "first", NOW - minutes(5))
        not_yet = add_checkin(session, add_leader(session, 3), "next_session", NOW + minutes(1))
    with database.session() as session:
        claimed = claim_due(session, NOW, "w1", 10)
    assert [c.checkin_id for c in claimed] == [older, later]
    first = claimed[0]
    assert (first.external_id, first.channel, first.timezone) == ("1", "telegram", "Europe/Berlin")
    assert first.due_at == NOW - minutes(5)
    stored = row(database, older)
    assert (stored.status, stored.claimed_by, stored.claimed_at, stored.attempts) == ("claimed", "w1", NOW, 1)
    assert row(database, not_yet).status == "pending"


def test_claim_for_one_leader_leaves_everyone_else_pending(database: Database) -> None:
    with database.session() as session:
        ann = add_checkin(session, add_leader(session, 1), "first", NOW - minutes(5))
        bob = add_checkin(session, add_leader(session, 2), "first", NOW - minutes(9))
    with database.session() as session:
        claimed = claim_due(session, NOW, "w1", 10, leader=("telegram", "1"))
    assert [c.checkin_id for c in claimed] == [ann]
    assert row(database, bob).status == "pending"
    with database.session() as session:
        assert claim_due(session, NOW, "w1", 10, leader=("terminal", "2")) == []
    assert row(database, bob).status == "pending"


def test_claim_for_one_channel_leaves_the_other_channels_leaders_pending(database: Database) -> None:
    with database.session() as session:
        on_telegram = add_checkin(session, add_leader(session, 1), "first", NOW - minutes(5))
        terminal_leader = add_leader(session, 2, channel="terminal")
        in_terminal = add_checkin(session, terminal_leader, "first", NOW - minutes(9))
    with database.session() as session:
        claimed = claim_due(session, NOW, "w1", 10, channel="telegram")
    assert [(c.checkin_id, c.channel) for c in claimed] == [(on_telegram, "telegram")]
    assert row(database, in_terminal).status == "pending"
    with database.session() as session:
        claimed = claim_due(session, NOW, "w2", 10, channel="terminal")
    assert [(c.checkin_id, c.channel, c.external_id) for c in claimed] == [(in_terminal, "terminal", "2")]
    assert [row(database, on_telegram).claimed_by, row(database, in_terminal).claimed_by] == ["w1", "w2"]


def test_claim_respects_the_limit(database: Database) -> None:
    with database.session() as session:
        leaders = [add_leader(session, n) for n in range(5)]
        ids = [add_checkin(session, leader, "first", NOW - minutes(n)) for n, leader in enumerate(leaders)]
    assert claim(database, limit=2) == [ids[4], ids[3]]
    assert claim(database, limit=2) == [ids[2], ids[1]]
    assert claim(database, limit=2) == [ids[0]]
    assert claim(database, limit=2) == []


@pytest.mark.parametrize(
    "who",
    [
        {"active": False},  # blocked the bot
        {"paused": True},
        {"flow": "grow"},  # mid-session: waits for the flow to end, keeps its due time
    ],
    ids=["blocked", "paused", "mid-flow"],
)
def test_claim_skips_leaders_who_must_not_get_one_now(database: Database, who: dict[str, object]) -> None:
    with database.session() as session:
        leader = add_leader(session, 1, **who)  # type: ignore[arg-type]
        checkin_id = add_checkin(session, leader, "first", NOW - minutes(1))
    assert claim(database) == []
    stored = row(database, checkin_id)
    assert (stored.status, stored.due_at, stored.attempts) == ("pending", NOW - minutes(1), 0)


def test_one_check_in_per_leader_at_a_time(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        session.add(GoalRow(id="goal-1b", user_id=ann[0], text="another goal"))
        second = add_session(session, ann, "b")
        session.get(CoachingSessionRow, second).goal_id = "goal-1b"  # type: ignore[union-attr]
        older = add_checkin(session, ann, "first", NOW - minutes(9))
        other_goal = add_checkin(session, (ann[0], "goal-1b", second), "first", NOW - minutes(5))
        bobs = add_checkin(session, add_leader(session, 2), "first", NOW - minutes(1))
    assert claim(database) == [older, bobs]
    # The second stays as it was: due, pending, for when the first check-in ends.
    stored = row(database, other_goal)
    assert (stored.status, stored.due_at, stored.attempts) == ("pending", NOW - minutes(5), 0)
    with database.session() as session:
        assert due_for_leader(session, ann[0], NOW) == other_goal


def test_a_claim_is_not_taken_again_within_its_lease(database: Database) -> None:
    with database.session() as session:
        checkin_id = add_checkin(session, add_leader(session, 1), "first", NOW - minutes(1))
    assert claim(database, worker="w1") == [checkin_id]
    assert claim(database, NOW + CLAIM_LEASE, worker="w2") == []
    assert row(database, checkin_id).claimed_by == "w1"


def test_a_dead_workers_claim_is_taken_over_after_the_lease(database: Database) -> None:
    with database.session() as session:
        checkin_id = add_checkin(session, add_leader(session, 1), "first", NOW - minutes(1))
    assert claim(database, worker="dead") == [checkin_id]
    later = NOW + CLAIM_LEASE + timedelta(seconds=1)
    assert claim(database, later, worker="w2") == [checkin_id]
    stored = row(database, checkin_id)
    assert (stored.claimed_by, stored.claimed_at, stored.attempts) == ("w2", later, 2)
    # The first worker comes back to life: its claim is gone, so it cannot mark it sent.
    with database.session() as session:
        assert not mark_sent(session, checkin_id, later, "dead")
    with database.session() as session:
        assert mark_sent(session, checkin_id, later, "w2")
    stored = row(database, checkin_id)
    assert (stored.status, stored.sent_at) == ("sent", later)
    assert claim(database, later + CLAIM_LEASE * 10, worker="w3") == []


def test_mark_sent_without_a_worker_only_for_a_pending_check_in(database: Database) -> None:
    with database.session() as session:
        leader = add_leader(session, 1)
        waiting = add_checkin(session, leader, "first", NOW - minutes(1))
        claimed = add_checkin(session, leader, "midway", NOW - minutes(1), status="claimed", claimed_by="w1")
    with database.session() as session:
        assert mark_sent(session, waiting, NOW, None)
        assert not mark_sent(session, claimed, NOW, None)
        # Twice is never: the second time finds it sent.
        assert not mark_sent(session, waiting, NOW, None)
    assert statuses(database, waiting, claimed) == ["sent", "claimed"]


def test_release_puts_a_claim_back_for_later(database: Database) -> None:
    with database.session() as session:
        checkin_id = add_checkin(session, add_leader(session, 1), "first", NOW - minutes(1))
    claim(database)
    with database.session() as session:
        release(session, checkin_id, NOW + timedelta(hours=9))
    stored = row(database, checkin_id)
    assert (stored.status, stored.due_at, stored.claimed_by, stored.claimed_at) == (
        "pending",
        NOW + timedelta(hours=9),
        None,
        None,
    )
    assert claim(database) == []
    assert claim(database, NOW + timedelta(hours=9)) == [checkin_id]


def test_release_never_brings_back_a_check_in_another_worker_sent(database: Database) -> None:
    with database.session() as session:
        checkin_id = add_checkin(session, add_leader(session, 1), "first", NOW - minutes(1))
    claim(database, worker="slow")
    later = NOW + CLAIM_LEASE + minutes(1)
    claim(database, later, worker="fast")
    with database.session() as session:
        assert mark_sent(session, checkin_id, later, "fast")
    # The slow worker, far past its lease, finds the leader in quiet hours and lets go.
    with database.session() as session:
        release(session, checkin_id, later + timedelta(hours=9))
    stored = row(database, checkin_id)
    assert (stored.status, stored.due_at) == ("sent", NOW - minutes(1))
    assert claim(database, later + timedelta(hours=10)) == []


# staleness


def test_after_downtime_only_the_latest_per_goal_within_grace_is_kept(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        too_old = add_checkin(session, ann, "first", NOW - timedelta(days=3))
        overtaken = add_checkin(session, ann, "midway", NOW - timedelta(hours=5))
        latest = add_checkin(session, ann, "action_due", NOW - timedelta(hours=1))
        ahead = add_checkin(session, ann, "next_session", NOW + timedelta(days=2))
        bob = add_leader(session, 2)
        bobs = add_checkin(session, bob, "first", NOW - timedelta(hours=20))
        carla = add_leader(session, 3)
        carlas_old = add_checkin(session, carla, "first", NOW - timedelta(days=2))
    assert expire(database) == 3
    assert statuses(database, too_old, overtaken, latest, ahead, bobs, carlas_old) == [
        "expired",
        "expired",
        "pending",
        "pending",
        "pending",
        "expired",
    ]
    assert claim(database) == [bobs, latest]
    assert expire(database) == 0


def test_an_older_check_in_is_moot_once_a_later_one_was_sent(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        second = add_session(session, ann, "again")
        older = add_checkin(session, ann, "first", NOW - timedelta(hours=3))
        add_checkin(session, ann, "first", NOW - timedelta(hours=1), status="sent", session_id=second)
        cancelled = add_checkin(session, ann, "midway", NOW - timedelta(minutes=30), status="cancelled")
        assert cancelled
    assert expire(database) == 1
    assert statuses(database, older) == ["expired"]


def test_a_cancelled_or_expired_later_one_does_not_overtake(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        waiting = add_checkin(session, ann, "first", NOW - timedelta(hours=3))
        add_checkin(session, ann, "midway", NOW - timedelta(hours=2), status="cancelled")
        add_checkin(session, ann, "action_due", NOW - timedelta(hours=1), status="expired")
    assert expire(database) == 0
    assert claim(database) == [waiting]


def test_two_due_at_the_same_instant_count_once(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        one = add_checkin(session, ann, "action_due", NOW - minutes(10))
        two = add_checkin(session, ann, "next_session", NOW - minutes(10))
    assert expire(database) == 1
    assert statuses(database, one, two) == ["expired", "pending"]


def test_a_snoozed_check_in_is_not_overtaken_by_one_that_came_before_it(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        add_checkin(session, ann, "next_session", NOW - timedelta(hours=20), status="sent")
        snoozed = add_checkin(session, ann, "first", NOW - minutes(1))
    assert expire(database) == 0
    assert claim(database) == [snoozed]


def test_a_claim_left_by_a_dead_process_goes_stale_like_any_other(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        three_days = NOW - timedelta(days=3)
        stale = add_checkin(session, ann, "first", three_days, status="claimed", claimed_at=three_days)
        bob = add_leader(session, 2)
        two_hours = NOW - timedelta(hours=2)
        overtaken = add_checkin(session, bob, "first", two_hours, status="claimed", claimed_at=two_hours)
        bobs_latest = add_checkin(session, bob, "midway", NOW - timedelta(hours=1))
        carla = add_leader(session, 3)
        in_flight = add_checkin(session, carla, "first", three_days, status="claimed", claimed_at=NOW)
    assert expire(database) == 2
    # A claim still within its lease is some live process's business.
    assert statuses(database, stale, overtaken, bobs_latest, in_flight) == [
        "expired",
        "expired",
        "pending",
        "claimed",
    ]
    assert claim(database) == [bobs_latest]


def test_expiry_leaves_future_and_finished_check_ins_alone(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        finished = [
            add_checkin(session, ann, kind, NOW - timedelta(days=5), status=status)
            for kind, status in (("first", "sent"), ("midway", "answered"), ("action_due", "cancelled"))
        ]
        future = add_checkin(session, ann, "next_session", NOW + timedelta(days=5))
    assert expire(database) == 0
    assert statuses(database, *finished, future) == ["sent", "answered", "cancelled", "pending"]


# cancelling and the flow-end path


def test_cancel_pending_stops_everything_not_yet_sent_for_that_leader_only(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1)
        ids = [
            add_checkin(session, ann, kind, NOW, status=status)
            for kind, status in (("first", "pending"), ("midway", "claimed"), ("action_due", "sent"))
        ]
        bobs = add_checkin(session, add_leader(session, 2), "first", NOW)
    with database.session() as session:
        assert cancel_pending(session, ann[0]) == 2
    assert statuses(database, *ids, bobs) == ["cancelled", "cancelled", "sent", "pending"]
    with database.session() as session:
        cancel_one(session, bobs)
        cancel_one(session, ids[2])
    assert statuses(database, bobs, ids[2]) == ["cancelled", "sent"]
    with database.session() as session:
        assert count_by_status(session) == {"cancelled": 3, "sent": 1}


def test_due_for_user_is_the_latest_due_pending_one_of_that_leader(database: Database) -> None:
    with database.session() as session:
        ann = add_leader(session, 1, flow="grow")
        add_checkin(session, ann, "first", NOW - minutes(30))
        latest = add_checkin(session, ann, "midway", NOW - minutes(10))
        add_checkin(session, ann, "action_due", NOW + minutes(10))
        add_checkin(session, ann, "next_session", NOW - minutes(5), status="claimed")
        bob = add_leader(session, 2, flow="grow")
        add_checkin(session, bob, "first", NOW - minutes(1))
    with database.session() as session:
        assert due_for_leader(session, ann[0], NOW) == latest
        assert due_for_leader(session, ann[0], NOW - minutes(40)) is None


# PostgreSQL: several processes at once


def pg_only(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SKIP LOCKED between open transactions is PostgreSQL's; SQLite runs one dispatcher")


def test_two_open_claims_on_postgresql_take_disjoint_rows(database: Database) -> None:
    pg_only(database)
    with database.session() as session:
        leaders = [add_leader(session, n) for n in range(10)]
        ids = {add_checkin(session, leader, "first", NOW - minutes(n)) for n, leader in enumerate(leaders)}
    with database.session() as first:
        taken_first = {c.checkin_id for c in claim_due(first, NOW, "w1", 4)}
        # The first transaction still holds its rows: the second skips them, not waits.
        with database.session() as second:
            taken_second = {c.checkin_id for c in claim_due(second, NOW, "w2", 100)}
            assert due_for_leader(second, leaders[9][0], NOW) is None
    assert len(taken_first) == 4
    assert taken_first.isdisjoint(taken_second)
    assert taken_first | taken_second == ids
    with database.session() as session:
        owners = {c.id: c.claimed_by for c in session.query(CheckinRow)}
    assert {owners[i] for i in taken_first} == {"w1"}
    assert {owners[i] for i in taken_second} == {"w2"}


def test_a_locked_check_in_is_skipped_by_the_flow_end_path_on_postgresql(database: Database) -> None:
    pg_only(database)
    with database.session() as session:
        ann = add_leader(session, 1)
        checkin_id = add_checkin(session, ann, "first", NOW - minutes(1))
    with database.session() as dispatcher:
        assert [c.checkin_id for c in claim_due(dispatcher, NOW, "w1", 10)] == [checkin_id]
        with database.session() as leader:
            assert due_for_leader(leader, ann[0], NOW) is None
    assert statuses(database, checkin_id) == ["claimed"]
