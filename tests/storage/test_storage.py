"""Storage round trips, run on SQLite and (given a URL) on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select

from flows.conversation import Conversation
from flows.records import (
    ActionAgreed,
    AnswerGiven,
    CheckinPlanned,
    CheckinResolved,
    CheckinsCancelled,
    CheckinSnoozed,
    DataErased,
    GoalClosed,
    GoalOpened,
    GoalRevised,
    PauseChanged,
    ProfileUpdated,
    Record,
    SafetyFlagged,
    ScoreGiven,
    SessionClosed,
    SessionGoalSet,
    SessionOpened,
)
from flows.views import Lookup
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.leader_history import LeaderHistory
from storage.leaders import PRUNE_EVERY, LeaderRepository
from storage.models import (
    AnswerRow,
    CheckinRow,
    CoachingSessionRow,
    ConversationRow,
    GoalRow,
    LeaderRow,
    SafetyFlagRow,
    ScoreRow,
    SeenUpdateRow,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_user(db: Database, external_id: str = "1001") -> int:
    with db.session() as session:
        return LeaderRepository(session).get_or_create("telegram", external_id).id


def apply(db: Database, user_id: int, records: list[Record], now: datetime = T0) -> None:
    with db.session() as session:
        LeaderHistory(session, user_id).apply(records, now)


def grow_session(goal: str = "g1", session: str = "s1", text: str = "Delegate more") -> list[Record]:
    """The records of one complete GROW conversation, in the order the engine emits them."""
    return [
        SessionOpened(session_id=session, goal_id=None, kind="grow"),
        GoalOpened(goal_id=goal, text=text),
        SessionGoalSet(session_id=session, goal_id=goal),
        AnswerGiven(session_id=session, step="goal", text=text),
        ScoreGiven(goal_id=goal, session_id=session, kind="baseline", value=3),
        AnswerGiven(session_id=session, step="reality", text="I do it all myself"),
        AnswerGiven(session_id=session, step="options", text="Hand over the weekly report"),
        ActionAgreed(
            goal_id=goal,
            session_id=session,
            action="Hand the report to Sam",
            due=date(2025, 3, 10),
            support="my manager",
            obstacle="Sam is busy",
            if_then="If Sam is busy, then I ask Kim",
        ),
        ScoreGiven(goal_id=goal, session_id=session, kind="commitment", value=8),
        SessionClosed(session_id=session, outcome="committed"),
        CheckinPlanned(goal_id=goal, session_id=session, kind="first", due_at=at(60 * 24)),
        CheckinPlanned(goal_id=goal, session_id=session, kind="action_due", due_at=at(60 * 24 * 7)),
    ]


def count(db: Database, model: type, user_id: int) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(model).where(model.user_id == user_id)  # type: ignore[attr-defined]
            )
            or 0
        )


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


# --- database --------------------------------------------------------------------------


def test_upgrade_twice_is_harmless(database: Database) -> None:
    user_id = new_user(database)
    database.upgrade()
    database.upgrade()
    with database.session() as session:
        assert LeaderRepository(session).get(user_id) is not None
        tables = set(inspect(session.connection()).get_table_names())
    assert {
        "alembic_version",
        "users",
        "goals",
        "coaching_sessions",
        "answers",
        "scores",
        "conversations",
        "checkins",
        "safety_flags",
        "invites",
    } <= tables


def test_session_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        LeaderRepository(session).get_or_create("terminal", "ghost")
        raise RuntimeError("engine crashed")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(LeaderRow)) == 0


def test_sqlite_file_gets_its_parent_directory(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "nested" / "dir" / "coach.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.upgrade()
        assert path.exists()
        with db.session() as session:
            assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        db.dispose()


# --- users -----------------------------------------------------------------------------


def test_get_or_create_returns_the_same_user(database: Database) -> None:
    with database.session() as session:
        users = LeaderRepository(session)
        first = users.get_or_create("telegram", "42")
        again = users.get_or_create("telegram", "42")
        other_channel = users.get_or_create("terminal", "42")
        assert first.id == again.id
        assert other_channel.id != first.id
        assert first.active and not first.paused
        assert_utc(first.created_at)


def test_seen_update_dedupes(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session:
        users = LeaderRepository(session)
        assert users.seen_update(user_id, 100) is False
        assert users.seen_update(user_id, 100) is True
        assert users.seen_update(user_id, 101) is False
    with database.session() as session:
        assert LeaderRepository(session).seen_update(user_id, 101) is True
        # Telegram update ids exceed 32 bits over a bot's lifetime.
        assert LeaderRepository(session).seen_update(user_id, 2**40) is False


def test_seen_update_takes_lower_ids_after_a_reset(database: Database) -> None:
    """Telegram restarts update ids at a lower value: those updates are new, not duplicates."""
    user_id = new_user(database)
    with database.session() as session:
        users = LeaderRepository(session)
        assert users.seen_update(user_id, 900_000) is False
        assert users.seen_update(user_id, 17) is False
        assert users.seen_update(user_id, 18) is False
        assert users.seen_update(user_id, 17) is True


def test_seen_update_is_per_leader(database: Database) -> None:
    ana, ben = new_user(database, "1"), new_user(database, "2")
    with database.session() as session:
        users = LeaderRepository(session)
        assert users.seen_update(ana, 5) is False
        assert users.seen_update(ben, 5) is False


def test_seen_updates_are_forgotten_after_two_days(database: Database) -> None:
    user_id = new_user(database)
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    with database.session() as session:
        users = LeaderRepository(session)
        assert users.seen_update(user_id, 3, now) is False
        assert users.seen_update(user_id, 4, now + timedelta(hours=47)) is False
        # The prune runs on every PRUNE_EVERY-th id.
        assert users.seen_update(user_id, PRUNE_EVERY * 3, now + timedelta(hours=49)) is False
    with database.session() as session:
        kept = session.scalars(select(SeenUpdateRow.update_id).order_by(SeenUpdateRow.update_id))
        assert list(kept) == [4, PRUNE_EVERY * 3]


def test_seen_update_rolled_back_counts_as_unseen(database: Database) -> None:
    user_id = new_user(database)
    with pytest.raises(RuntimeError), database.session() as session:
        assert LeaderRepository(session).seen_update(user_id, 7) is False
        raise RuntimeError("handling failed")
    with database.session() as session:
        assert LeaderRepository(session).seen_update(user_id, 7) is False


def test_set_active(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session:
        LeaderRepository(session).set_active(user_id, False)
    with database.session() as session:
        user = LeaderRepository(session).get(user_id)
        assert user is not None and user.active is False
        LeaderRepository(session).set_active(user_id, True)
    with database.session() as session:
        user = LeaderRepository(session).get(user_id)
        assert user is not None and user.active is True


# --- conversations ---------------------------------------------------------------------


def test_new_user_gets_a_default_conversation(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session:
        conversation = ConversationRepository(session).load(user_id)
    assert conversation == Conversation()


def test_conversation_round_trip_with_unicode(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, [ProfileUpdated(name="Zoë Ångström", level="senior")])
    data = {
        "goal": "Mehr delegieren — 委任する 🚀",
        "scores": [3, 8],
        "nested": {"ok": True, "none": None, "ratio": 0.5},
    }
    with database.session() as session:
        conversations = ConversationRepository(session)
        conversation = conversations.load(user_id)
        conversation.flow, conversation.state = "grow", "reality"
        conversation.data = data
        conversation.question_seq = 7
        conversations.save(user_id, conversation)
    with database.session() as session:
        loaded = ConversationRepository(session).load(user_id)
    assert (loaded.flow, loaded.state, loaded.data, loaded.question_seq) == (
        "grow",
        "reality",
        data,
        7,
    )
    assert loaded.profile.name == "Zoë Ångström"
    assert loaded.profile.level == "senior"
    assert loaded.profile.style == "open"


def test_conversation_data_mutated_in_place_is_saved(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session:
        conversations = ConversationRepository(session)
        conversation = conversations.load(user_id)
        conversation.data["answers"] = ["one"]
        conversations.save(user_id, conversation)
    with database.session() as session:
        conversations = ConversationRepository(session)
        conversation = conversations.load(user_id)
        conversation.data["answers"].append("two")
        conversation.question_seq += 1
        conversations.save(user_id, conversation)
    with database.session() as session:
        loaded = ConversationRepository(session).load(user_id)
    assert loaded.data == {"answers": ["one", "two"]}
    assert loaded.question_seq == 1


def test_save_does_not_write_the_profile(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session:
        conversations = ConversationRepository(session)
        conversation = conversations.load(user_id)
        conversation.profile.name = "Not saved"
        conversations.save(user_id, conversation)
    with database.session() as session:
        assert ConversationRepository(session).load(user_id).profile.name is None


def test_load_unknown_user_raises(database: Database) -> None:
    with database.session() as session, pytest.raises(LookupError):
        ConversationRepository(session).load(424242)


# --- records ---------------------------------------------------------------------------


def test_profile_updated_writes_only_given_fields(database: Database) -> None:
    user_id = new_user(database)
    consent = datetime(2025, 3, 3, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    apply(
        database,
        user_id,
        [ProfileUpdated(name="Ana", level="first_time", timezone="Europe/Berlin")],
    )
    apply(database, user_id, [ProfileUpdated(consented_at=consent)])
    apply(database, user_id, [ProfileUpdated(level="experienced")])
    with database.session() as session:
        users = LeaderRepository(session)
        user = users.get(user_id)
        assert user is not None
        profile = users.profile(user)
        assert (profile.name, profile.level, profile.timezone) == (
            "Ana",
            "experienced",
            "Europe/Berlin",
        )
        assert profile.consented
        assert user.consented_at == consent
        assert_utc(user.consented_at)


def test_grow_session_round_trip(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    with database.session() as session:
        # Annotated so a type checker proves LeaderHistory satisfies the protocol.
        leader: Lookup = LeaderHistory(session, user_id)
        [goal] = leader.open_goals()
        assert goal.goal_id == "g1"
        assert goal.text == "Delegate more"
        assert goal.status == "open"
        assert goal.created_at == at(0)
        assert (goal.baseline, goal.commitment) == (3, 8)
        assert goal.commitment_at == at(0)
        assert goal.action == "Hand the report to Sam"
        assert goal.action_due == date(2025, 3, 10)
        assert goal.session_id == "s1"
        assert goal.answers == {
            "goal": "Delegate more",
            "reality": "I do it all myself",
            "options": "Hand over the weekly report",
        }
        assert leader.goal("g1") == goal

        coaching = session.get(CoachingSessionRow, "s1")
        assert coaching is not None
        assert (coaching.goal_id, coaching.kind, coaching.outcome) == ("g1", "grow", "committed")
        assert (coaching.support, coaching.obstacle, coaching.if_then) == (
            "my manager",
            "Sam is busy",
            "If Sam is busy, then I ask Kim",
        )
        assert coaching.started_at == at(0)
        assert coaching.closed_at == at(0)

        first, action_due = leader.pending_checkins()
        assert (first.kind, first.goal_id, first.goal_text) == ("first", "g1", "Delegate more")
        assert first.status == "pending"
        assert first.action == "Hand the report to Sam"
        assert first.due_at == at(60 * 24)
        assert_utc(first.due_at)
        assert action_due.kind == "action_due"
        assert leader.checkin(first.checkin_id) == first


def test_answers_land_only_in_the_leaders_own_session(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    owner, intruder = new_user(database, "1001"), new_user(database, "1002")
    apply(database, owner, grow_session(), now=at(0))
    with caplog.at_level("WARNING", logger="grow_coach.storage"):
        apply(database, intruder, [AnswerGiven(session_id="s1", step="goal", text="planted words")])
        apply(database, intruder, [AnswerGiven(session_id="nope", step="goal", text="lost words")])
    assert count(database, AnswerRow, intruder) == 0
    assert count(database, AnswerRow, owner) == 3
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2 and all("AnswerGiven ignored" in w for w in warnings)
    assert not any("words" in w for w in warnings)
    with database.session() as session:
        stored = session.scalars(select(AnswerRow).where(AnswerRow.step == "reality")).one()
        assert (stored.user_id, stored.text, stored.created_at) == (owner, "I do it all myself", at(0))
        assert_utc(stored.created_at)


def test_goal_view_shows_the_latest_facts(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    apply(
        database,
        user_id,
        [
            SessionOpened(session_id="s2", goal_id="g1", kind="rescore"),
            AnswerGiven(session_id="s2", step="reality", text="Sam took the report"),
            ScoreGiven(goal_id="g1", session_id="s2", kind="commitment", value=9),
            ScoreGiven(goal_id="g1", session_id="s2", kind="checkin", value=5),
            ActionAgreed(goal_id="g1", session_id="s2", action="Delegate hiring", due=date(2025, 4, 1)),
            SessionClosed(session_id="s2", outcome="committed"),
            # A later session with no action must not hide the last agreed one.
            SessionOpened(session_id="s3", goal_id="g1", kind="checkin"),
        ],
        now=at(90),
    )
    with database.session() as session:
        goal = LeaderHistory(session, user_id).goal("g1")
    assert goal is not None
    assert (goal.commitment, goal.commitment_at, goal.baseline) == (9, at(90), 3)
    assert (goal.action, goal.action_due, goal.session_id) == (
        "Delegate hiring",
        date(2025, 4, 1),
        "s2",
    )
    assert goal.answers["reality"] == "Sam took the report"
    assert goal.answers["options"] == "Hand over the weekly report"


def test_open_goals_newest_first_and_closed_goals_left_out(database: Database) -> None:
    user_id = new_user(database)
    # A goal becomes open once its session agrees an action; "draft" is one that never did.
    for minute, (goal_id, text) in enumerate(
        [("old", "Old goal"), ("mid", "Middle goal"), ("new", "New goal"), ("draft", "Half-set goal")]
    ):
        records: list[Record] = [
            SessionOpened(session_id=f"s-{goal_id}", goal_id=None, kind="grow"),
            GoalOpened(goal_id=goal_id, text=text),
            SessionGoalSet(session_id=f"s-{goal_id}", goal_id=goal_id),
        ]
        if goal_id != "draft":
            records.append(ActionAgreed(goal_id, f"s-{goal_id}", "Act", date(2025, 3, 10)))
        apply(database, user_id, records, now=at(minute))
    apply(
        database,
        user_id,
        [GoalRevised(goal_id="old", text="Old goal, revised"), GoalClosed(goal_id="mid")],
        now=at(5),
    )
    with database.session() as session:
        leader = LeaderHistory(session, user_id)
        assert [g.goal_id for g in leader.open_goals()] == ["new", "old"]
        old = leader.goal("old")
        mid = leader.goal("mid")
        assert old is not None and old.text == "Old goal, revised"
        assert mid is not None and mid.status == "closed"
        assert old.commitment is None and old.answers == {}
        assert leader.goal("draft") is not None and leader.goal("draft").status == "draft"  # type: ignore[union-attr]
        assert leader.goal("missing") is None


def test_duplicate_checkin_planned_is_a_no_op(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    again = CheckinPlanned(goal_id="g1", session_id="s1", kind="first", due_at=at(999))
    apply(database, user_id, [again, again])
    with database.session() as session:
        rows = session.scalars(select(CheckinRow).where(CheckinRow.kind == "first")).all()
        assert len(rows) == 1
        assert rows[0].due_at == at(60 * 24)
    assert count(database, CheckinRow, user_id) == 2


def test_checkins_cancelled_for_one_goal_or_all(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session("g1", "s1"), now=at(0))
    apply(database, user_id, grow_session("g2", "s2", "Give feedback"), now=at(1))
    with database.session() as session:
        leader = LeaderHistory(session, user_id)
        answered = leader.pending_checkins()[0]
        leader.apply([CheckinResolved(checkin_id=answered.checkin_id, outcome="done")], at(2))

    apply(database, user_id, [CheckinsCancelled(goal_id="g1")])
    with database.session() as session:
        statuses = dict(
            session.execute(select(CheckinRow.id, CheckinRow.status).where(CheckinRow.goal_id == "g1")).all()
        )
        assert statuses[answered.checkin_id] == "answered"
        assert sorted(statuses.values()) == ["answered", "cancelled"]
        assert [c.goal_id for c in LeaderHistory(session, user_id).pending_checkins()] == [
            "g2",
            "g2",
        ]

    with database.session() as session:
        # One mid-delivery, one delivered and unanswered: neither is scheduled any more.
        claimed, sent = session.scalars(
            select(CheckinRow).where(CheckinRow.goal_id == "g2").order_by(CheckinRow.id)
        ).all()
        claimed.status, claimed.claimed_by, claimed.claimed_at = "claimed", "worker-1", at(3)
        sent.status, sent.sent_at = "sent", at(3)
    with database.session() as session:
        assert LeaderHistory(session, user_id).pending_checkins() == []

    apply(database, user_id, [CheckinsCancelled()])
    with database.session() as session:
        # The claim is withdrawn so the dispatcher does not send it; the sent one is
        # already in the leader's conversation and stays as it is.
        assert session.get(CheckinRow, claimed.id).status == "cancelled"  # type: ignore[union-attr]
        assert session.get(CheckinRow, sent.id).status == "sent"  # type: ignore[union-attr]


def test_checkin_resolved_and_snoozed(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    with database.session() as session:
        first = LeaderHistory(session, user_id).pending_checkins()[0]
        row = session.get(CheckinRow, first.checkin_id)
        assert row is not None
        # As the dispatcher would leave it after delivering.
        row.status, row.sent_at, row.attempts = "sent", at(5), 1
        row.claimed_at, row.claimed_by = at(4), "worker-1"

    apply(database, user_id, [CheckinSnoozed(checkin_id=first.checkin_id, due_at=at(600))])
    with database.session() as session:
        snoozed = LeaderHistory(session, user_id).checkin(first.checkin_id)
        assert snoozed is not None
        assert (snoozed.status, snoozed.due_at) == ("pending", at(600))
        row = session.get(CheckinRow, first.checkin_id)
        assert row is not None
        assert (row.attempts, row.sent_at, row.claimed_at, row.claimed_by) == (0, None, None, None)

    apply(database, user_id, [CheckinResolved(checkin_id=first.checkin_id, outcome="partly")])
    with database.session() as session:
        resolved = LeaderHistory(session, user_id).checkin(first.checkin_id)
        assert resolved is not None and resolved.status == "answered"
        row = session.get(CheckinRow, first.checkin_id)
        assert row is not None and row.outcome == "partly"
        assert first.checkin_id not in [
            c.checkin_id for c in LeaderHistory(session, user_id).pending_checkins()
        ]


def test_checkin_of_a_session_without_action_names_the_goals_action(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    apply(
        database,
        user_id,
        [
            # A check-in that kept the action with a new date agrees no action itself.
            SessionOpened(session_id="c1", goal_id="g1", kind="checkin"),
            SessionClosed(session_id="c1", outcome="done"),
            CheckinPlanned(goal_id="g1", session_id="c1", kind="midway", due_at=at(30)),
        ],
        now=at(10),
    )
    with database.session() as session:
        leader = LeaderHistory(session, user_id)
        midway = leader.pending_checkins()[0]
        assert (midway.kind, midway.action) == ("midway", "Hand the report to Sam")
        assert leader.checkin(midway.checkin_id) == midway


def test_pending_checkins_in_due_order_with_limit(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    apply(
        database,
        user_id,
        [
            CheckinPlanned(goal_id="g1", session_id="s1", kind="midway", due_at=at(60)),
            CheckinPlanned(goal_id="g1", session_id="s1", kind="next_session", due_at=at(10**5)),
        ],
    )
    with database.session() as session:
        leader = LeaderHistory(session, user_id)
        assert [c.kind for c in leader.pending_checkins()] == [
            "midway",
            "first",
            "action_due",
            "next_session",
        ]
        assert [c.kind for c in leader.pending_checkins(limit=2)] == ["midway", "first"]


def test_pause_keeps_checkins_pending(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, grow_session(), now=at(0))
    apply(database, user_id, [PauseChanged(paused=True)])
    with database.session() as session:
        assert ConversationRepository(session).load(user_id).profile.paused is True
        assert len(LeaderHistory(session, user_id).pending_checkins()) == 2
    apply(database, user_id, [PauseChanged(paused=False)])
    with database.session() as session:
        assert ConversationRepository(session).load(user_id).profile.paused is False


def test_safety_flag_keeps_only_the_category(database: Database) -> None:
    user_id = new_user(database)
    apply(database, user_id, [SafetyFlagged(category="self_harm")], now=at(3))
    with database.session() as session:
        [flag] = session.scalars(select(SafetyFlagRow)).all()
        assert (flag.user_id, flag.category, flag.created_at) == (user_id, "self_harm", at(3))
        assert {c.name for c in SafetyFlagRow.__table__.columns} == {
            "id",
            "user_id",
            "category",
            "created_at",
        }


def test_unknown_record_type_is_refused(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session, pytest.raises(TypeError):
        LeaderHistory(session, user_id).apply(["not a record"], T0)  # type: ignore[list-item]


# --- erasure and export ----------------------------------------------------------------


def test_data_erased_removes_the_leader_and_only_them(database: Database) -> None:
    user_id = new_user(database, "1")
    other_id = new_user(database, "2")
    for uid in (user_id, other_id):
        apply(
            database,
            uid,
            [
                ProfileUpdated(name="Ana", level="senior", timezone="UTC", consented_at=T0),
                PauseChanged(paused=True),
                SafetyFlagged(category="crisis"),
                *grow_session(goal=f"g-{uid}", session=f"s-{uid}"),
            ],
        )
        with database.session() as session:
            assert LeaderRepository(session).seen_update(uid, 500) is False
            conversations = ConversationRepository(session)
            conversation = conversations.load(uid)
            conversation.flow, conversation.data = "grow", {"draft": "secret"}
            conversations.save(uid, conversation)

    with database.session() as session:
        ConversationRepository(session).load(user_id)
        history = LeaderHistory(session, user_id)
        history.apply([DataErased()], at(5))
        assert history.erased

    tables = (GoalRow, CoachingSessionRow, AnswerRow, ScoreRow, CheckinRow, SafetyFlagRow, ConversationRow)
    for model in tables:
        assert count(database, model, user_id) == 0, model.__name__
        assert count(database, model, other_id) > 0, model.__name__
    with database.session() as session:
        assert session.get(LeaderRow, user_id) is None
        assert LeaderRepository(session).find("telegram", "1") is None
        assert LeaderHistory(session, other_id).goal(f"g-{other_id}") is not None
        assert LeaderRepository(session).seen_update(other_id, 500) is True


def test_nothing_is_stored_after_data_erased_in_the_same_turn(database: Database) -> None:
    user_id = new_user(database)
    with database.session() as session:
        ConversationRepository(session).save(user_id, Conversation(flow="grow"))
    apply(database, user_id, [DataErased(), *grow_session(goal="fresh", session="s-fresh")])
    assert count(database, ConversationRow, user_id) == 0
    with database.session() as session:
        assert session.scalars(select(GoalRow.id)).all() == []
        assert session.scalars(select(LeaderRow.id)).all() == []


def test_export_is_json_and_complete(database: Database) -> None:
    user_id = new_user(database)
    other_id = new_user(database, "other")
    apply(database, other_id, grow_session("g-other", "s-other", "Not yours"))
    apply(
        database,
        user_id,
        [
            ProfileUpdated(name="Ana", level="first_time", timezone="Europe/Paris", consented_at=T0),
            SessionOpened(session_id="s0", goal_id=None, kind="grow"),
            AnswerGiven(session_id="s0", step="goal", text="Something I dropped"),
            *grow_session(),
            SafetyFlagged(category="crisis"),
        ],
    )
    with database.session() as session:
        exported = LeaderRepository(session).export(user_id)
        assert LeaderHistory(session, user_id).export() == exported
    assert json.loads(json.dumps(exported)) == exported
    assert exported["profile"]["name"] == "Ana"
    assert exported["profile"]["consented_at"] == T0.isoformat()
    [goal] = exported["goals"]
    assert goal["text"] == "Delegate more"
    [grow] = goal["sessions"]
    assert grow["action"] == "Hand the report to Sam"
    assert grow["action_due"] == "2025-03-10"
    assert [a["step"] for a in grow["answers"]] == ["goal", "reality", "options"]
    assert [(s["kind"], s["value"]) for s in goal["scores"]] == [("baseline", 3), ("commitment", 8)]
    assert [c["kind"] for c in goal["checkins"]] == ["first", "action_due"]
    [dropped] = exported["sessions_without_goal"]
    assert dropped["answers"][0]["text"] == "Something I dropped"
    assert exported["safety_flags"][0]["category"] == "crisis"
    assert "Not yours" not in json.dumps(exported)


# --- scoping ---------------------------------------------------------------------------


def test_leader_cannot_read_another_leaders_goal_or_checkin(database: Database) -> None:
    alice = new_user(database, "alice")
    bob = new_user(database, "bob")
    apply(database, alice, grow_session(), now=at(0))
    with database.session() as session:
        checkin_id = LeaderHistory(session, alice).pending_checkins()[0].checkin_id
        as_bob = LeaderHistory(session, bob)
        assert as_bob.goal("g1") is None
        assert as_bob.checkin(checkin_id) is None
        assert as_bob.open_goals() == []
        assert as_bob.pending_checkins() == []


def test_leader_cannot_change_another_leaders_rows(database: Database) -> None:
    alice = new_user(database, "alice")
    bob = new_user(database, "bob")
    apply(database, alice, grow_session(), now=at(0))
    with database.session() as session:
        before = LeaderHistory(session, alice).export()
        checkin_id = LeaderHistory(session, alice).pending_checkins()[0].checkin_id

    apply(database, bob, [SessionOpened(session_id="s-bob", goal_id=None, kind="grow")])
    apply(
        database,
        bob,
        [
            GoalOpened(goal_id="g1", text="Bob takes over g1"),
            GoalRevised(goal_id="g1", text="Hijacked"),
            GoalClosed(goal_id="g1"),
            SessionOpened(session_id="s1", goal_id=None, kind="grow"),
            SessionOpened(session_id="s-bob-2", goal_id="g1", kind="grow"),
            SessionGoalSet(session_id="s-bob", goal_id="g1"),
            SessionGoalSet(session_id="s1", goal_id="g1"),
            AnswerGiven(session_id="s1", step="reality", text="Injected"),
            ScoreGiven(goal_id="g1", session_id="s1", kind="commitment", value=1),
            ScoreGiven(goal_id="g1", session_id="s-bob", kind="commitment", value=1),
            ActionAgreed(goal_id="g1", session_id="s1", action="Injected", due=date(2030, 1, 1)),
            ActionAgreed(goal_id="g1", session_id="s-bob", action="Injected", due=date(2030, 1, 1)),
            SessionClosed(session_id="s1", outcome="cancelled"),
            CheckinPlanned(goal_id="g1", session_id="s1", kind="midway", due_at=at(5)),
            CheckinsCancelled(goal_id="g1"),
            CheckinsCancelled(),
            CheckinResolved(checkin_id=checkin_id, outcome="done"),
            CheckinSnoozed(checkin_id=checkin_id, due_at=at(10**6)),
            DataErased(),
        ],
        now=at(50),
    )
    with database.session() as session:
        assert LeaderHistory(session, alice).export() == before
        # Bob's DataErased took only his own session; Alice's is the one left.
        assert session.scalars(select(CoachingSessionRow.id)).all() == ["s1"]
    assert count(database, GoalRow, bob) == 0


# --- timestamps ------------------------------------------------------------------------


def test_datetimes_come_back_aware_utc(database: Database) -> None:
    user_id = new_user(database)
    paris = timezone(timedelta(hours=1))
    local_due = datetime(2025, 3, 4, 10, 0, tzinfo=paris)
    records = [
        *grow_session()[:-2],
        CheckinPlanned(goal_id="g1", session_id="s1", kind="first", due_at=local_due),
    ]
    apply(database, user_id, records, now=at(0).astimezone(paris))
    with database.session() as session:
        user = session.get(LeaderRow, user_id)
        assert user is not None
        goal = LeaderHistory(session, user_id).goal("g1")
        assert goal is not None
        [checkin] = LeaderHistory(session, user_id).pending_checkins()
        row = session.get(CheckinRow, checkin.checkin_id)
        assert row is not None
        for value in (user.created_at, user.updated_at, goal.created_at, goal.commitment_at):
            assert_utc(value)
        assert_utc(checkin.due_at)
        assert checkin.due_at == local_due
        assert checkin.due_at.hour == 9
        # Compared in the database, as the dispatcher will: UTC on both sides.
        due = session.scalars(
            select(CheckinRow.id).where(CheckinRow.due_at <= datetime(2025, 3, 4, 9, 0, tzinfo=UTC))
        ).all()
        assert due == [checkin.checkin_id]
        not_yet = session.scalars(
            select(CheckinRow.id).where(CheckinRow.due_at <= datetime(2025, 3, 4, 8, 59, tzinfo=UTC))
        ).all()
        assert not_yet == []


def test_naive_datetimes_are_refused(database: Database) -> None:
    user_id = new_user(database)
    with pytest.raises(Exception, match="naive"), database.session() as session:
        LeaderHistory(session, user_id).apply([ProfileUpdated(consented_at=datetime(2025, 1, 1))], T0)
        session.flush()
