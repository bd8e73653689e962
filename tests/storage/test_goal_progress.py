"""Progress and goal attainment, stored: the Lookup builds each goal's chart data from
its rows, /progress sends a drawn chart, the expected outcome and attainment are in
/export and gone after /delete, and migration 0004 upgrades a database at 0003."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, select, text

from flows.progress import ActionCounts, CommitmentPoint, RatingPoint
from flows.records import (
    ActionAgreed,
    CheckinPlanned,
    CheckinResolved,
    EngagementDeclined,
    ExpectedOutcomeSet,
    GoalAttainmentRated,
    GoalOpened,
    Record,
    SessionClosed,
    SessionOpened,
)
from storage.db import Database, alembic_config
from storage.leader_history import LeaderHistory
from storage.models import CheckinRow, GoalRow
from tests.support.checkins import GOAL, by_kind, new_service, rows, say, seed_leader
from tests.support.coach_driver import GROW_PATH
from tests.support.migrations import database_at, insert_bare_leader

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
EXPECTED = dict(GROW_PATH)["goal_measure"]


def apply(db: Database, user_id: int, records: list[Record], now: datetime = NOW) -> None:
    with db.session() as session:
        LeaderHistory(session, user_id).apply(records, now)


def answer_checkin(db: Database, service: object, user: int, kind: str, at: datetime, *answers: str) -> None:
    """Deliver the leader's check-in of `kind` at `at`, answer it, then leave it."""
    user_id = say(service, user, "/checkins", at).user_id  # type: ignore[arg-type]
    checkin = by_kind(db, user_id)[kind]
    with db.session() as session:
        session.execute(CheckinRow.__table__.update().where(CheckinRow.id == checkin.id).values(due_at=at))
    claimed = [
        c
        for c in service.claim_checkins("telegram", at, "w1", 10, timedelta(days=30))  # type: ignore[attr-defined]
        if c.checkin_id == checkin.id
    ]
    assert claimed, kind
    service.deliver_checkin(claimed[0], "w1", at)  # type: ignore[attr-defined]
    for message in (*answers, "/cancel"):
        say(service, user, message, at)  # type: ignore[arg-type]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_lookup_builds_a_goal_s_progress_from_its_stored_rows(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 801, timezone="Europe/Berlin", now=NOW)
    first, second = NOW + timedelta(days=3), NOW + timedelta(days=6)
    answer_checkin(database, service, 801, "first", first, "Partly", "the launch got in the way", "6")
    answer_checkin(database, service, 801, "midway", second, "Done", "I said it straight", "7")

    with database.session() as session:
        (progress,) = LeaderHistory(session, user_id).goal_progress()
    (goal,) = rows(database, GoalRow, GoalRow.user_id == user_id)
    assert (progress.goal_id, progress.goal, progress.expected) == (goal.id, GOAL, EXPECTED)
    assert (progress.baseline, progress.baseline_at) == (4, NOW)
    assert list(progress.ratings) == [RatingPoint(first, 6, "checkin"), RatingPoint(second, 7, "checkin")]
    assert list(progress.commitments) == [CommitmentPoint(NOW, 9)]
    assert list(progress.sessions) == [NOW] and progress.sessions_held == 1
    # Two answers about one action: the last word counts, once.
    assert progress.actions == ActionCounts(done=1, partly=0, not_yet=0)
    assert progress.sessions_planned == 6  # the engagement agreed with the first session: 3 months
    assert (progress.timezone, progress.attainment) == ("Europe/Berlin", None)

    # /progress: the service draws the chart after the commit; the caption's numbers are the rows'.
    handled = say(service, 801, "/progress", second)
    (chart,) = [reply for reply in handled.replies if reply.attachment is not None]
    assert chart.chart is None and chart.attachment is not None
    assert chart.attachment.media_type == "image/png"
    assert png_size(chart.attachment.content) == (1080, 1080)
    assert "Self-rating: 4 at the start (25 Nov), 7 now (1 Dec): +3" in chart.text
    assert "Commitment: 9/10 (25 Nov)" in chart.text
    assert "Actions: 1 done, 0 partly, 0 not yet" in chart.text
    assert "Sessions held: 1 of 6 planned, the last on 25 Nov" in chart.text


def test_sessions_planned_is_the_latest_engagement_s_and_follows_a_new_length(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 404, now=NOW)

    def planned() -> int | None:
        with database.session() as session:
            (progress,) = LeaderHistory(session, user_id).goal_progress()
        return progress.sessions_planned

    assert planned() == 6
    say(service, 404, "/engagement", NOW)
    say(service, 404, "five months", NOW)
    assert planned() == 10
    # A later engagement the leader declined plans nothing: the one agreed still counts.
    apply(database, user_id, [EngagementDeclined("declined-1")], NOW + timedelta(days=1))
    assert planned() == 10
    shown = say(service, 404, "/progress", NOW + timedelta(days=1)).replies
    (photo_caption,) = [r.text for r in shown if r.attachment is not None]
    assert "Sessions held: 1 of 10 planned" in photo_caption


def test_without_an_engagement_nothing_is_planned(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 405, now=NOW)
    with database.session() as session:
        session.execute(text("DELETE FROM engagements"))
    with database.session() as session:
        (progress,) = LeaderHistory(session, user_id).goal_progress()
    assert progress.sessions_planned is None


def test_actions_are_counted_by_the_leader_s_last_word_on_each(database: Database) -> None:
    user_id = say(new_service(database), 802, "/start", NOW).user_id
    day = timedelta(days=1)
    apply(database, user_id, [GoalOpened("g", "delegate the weekly report")])
    # Three sessions ten days apart, three actions; the second is re-dated at a check-in.
    for index, action in enumerate(("brief Ana", "hand over the report", "review with Ana")):
        session = [
            SessionOpened(f"s{index}", "g", "grow"),
            ActionAgreed("g", f"s{index}", action, date(2026, 12, 1)),
            SessionClosed(f"s{index}", "committed"),
        ]
        apply(database, user_id, session, NOW + index * 10 * day)
    plan = [
        CheckinPlanned("g", "s0", "first", NOW + day),
        CheckinPlanned("g", "s0", "action_due", NOW + 2 * day),
        CheckinPlanned("g", "s1", "first", NOW + 11 * day),
    ]
    apply(database, user_id, plan)
    ids = {
        (row.session_id, row.kind): row.id
        for row in rows(database, CheckinRow, CheckinRow.user_id == user_id)
    }
    apply(
        database,
        user_id,
        [
            CheckinResolved(ids[("s0", "first")], "not_yet"),
            CheckinResolved(ids[("s0", "action_due")], "partly"),
            CheckinResolved(ids[("s1", "first")], "not_yet"),
            SessionOpened("c1", "g", "checkin"),
            ActionAgreed("g", "c1", "Hand over  the report", date(2026, 12, 20)),
            CheckinPlanned("g", "c1", "action_due", NOW + 15 * day),
            SessionClosed("c1", "rescheduled"),
        ],
        NOW + 12 * day,
    )
    redated = next(r.id for r in rows(database, CheckinRow, CheckinRow.session_id == "c1"))
    apply(database, user_id, [CheckinResolved(redated, "done")], NOW + 15 * day)
    with database.session() as session:
        (progress,) = LeaderHistory(session, user_id).goal_progress(["g"])
    # brief Ana: partly (its last word); the report: done after the new date; the review: none yet.
    assert progress.actions == ActionCounts(done=1, partly=1, not_yet=0)
    # Check-in sessions are not coaching sessions.
    assert progress.sessions_held == 3


def test_attainment_and_expected_outcome_are_exported_and_erased(database: Database) -> None:
    service = new_service(database)
    user_id = seed_leader(service, 803, now=NOW)
    (goal,) = rows(database, GoalRow, GoalRow.user_id == user_id)
    assert goal.expected_outcome == EXPECTED
    apply(database, user_id, [GoalAttainmentRated(goal.id, 1)], NOW + timedelta(days=90))
    # Out of the scale, or another leader's goal: nothing changes.
    other = say(service, 804, "/start", NOW).user_id
    apply(database, other, [GoalAttainmentRated(goal.id, -2), ExpectedOutcomeSet(goal.id, "theirs")])
    apply(database, user_id, [GoalAttainmentRated(goal.id, 3)])
    (goal,) = rows(database, GoalRow, GoalRow.user_id == user_id)
    assert (goal.attainment, goal.attainment_at, goal.expected_outcome) == (
        1,
        NOW + timedelta(days=90),
        EXPECTED,
    )

    with database.session() as session:
        exported = LeaderHistory(session, user_id).export()
        (progress,) = LeaderHistory(session, user_id).goal_progress()
    assert progress.attainment == 1
    (entry,) = exported["goals"]
    assert (entry["expected_outcome"], entry["attainment"]) == (EXPECTED, 1)
    assert entry["attainment_at"] == (NOW + timedelta(days=90)).isoformat()
    replies = say(service, 803, "/export", NOW).replies
    [markdown] = [r.attachment for r in replies if r.attachment and r.attachment.filename.endswith(".md")]
    shown = markdown.content.decode("utf-8")
    assert f"As expected, in your words: {EXPECTED}" in shown
    assert "Goal attainment (−2 much less … +2 much more than expected): +1 (2027-02-23)" in shown
    [complete] = [r.attachment for r in replies if r.attachment and r.attachment.filename.endswith(".json")]
    assert b'"expected_outcome": "' + EXPECTED.encode() in complete.content
    progress_text = say(service, 803, "/progress", NOW).replies[1].text
    assert "Goal attainment: +1 (more than expected)" in progress_text

    say(service, 803, "/delete", NOW)
    say(service, 803, "yes", NOW)
    assert rows(database, GoalRow, GoalRow.user_id == user_id) == []
    with database.engine.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM goals WHERE expected_outcome = :e OR attainment IS NOT NULL"),
            {"e": EXPECTED},
        ).scalar_one()
    assert left == 0


def test_upgrading_from_0003_adds_attainment_to_existing_goals(database_url: str) -> None:
    with database_at(database_url, "0003") as db:
        stamp = NOW.isoformat()
        with db.engine.begin() as connection:
            insert_bare_leader(connection, "ann", stamp)
            connection.execute(
                text(
                    "INSERT INTO goals (id, user_id, text, status, version, created_at, updated_at)"
                    " VALUES ('g1', 1, 'delegate the report', 'open', 1, :t, :t)"
                ),
                {"t": stamp},
            )
        db.upgrade()
        columns = {column["name"] for column in inspect(db.engine).get_columns("goals")}
        assert {"expected_outcome", "attainment", "attainment_at"} <= columns
        apply(
            db, 1, [ExpectedOutcomeSet("g1", "the report goes out without me"), GoalAttainmentRated("g1", 0)]
        )
        with db.session() as session:
            row = session.scalars(select(GoalRow)).one()
            assert (row.text, row.expected_outcome, row.attainment) == (
                "delegate the report",
                "the report goes out without me",
                0,
            )
        # Down again: the leader's words do not stay behind in the file.
        with db.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0003")
        with db.engine.connect() as connection:
            goals = connection.execute(text("SELECT * FROM goals")).mappings().all()
        assert [goal["text"] for goal in goals] == ["delegate the report"]
        assert all(goal.get("expected_outcome") is None for goal in goals)
        db.upgrade()
