"""`grow-coach admin stats`: the figures match what is stored, and none comes from fewer
than five leaders. Leaders are seeded through the storage models, not the chat."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from storage.db import Database
from storage.encryption import KeyRing, set_keyring
from storage.models import (
    CheckinRow,
    CoachingSessionRow,
    FeedbackResponseRow,
    FeedbackRoundRow,
    GoalRow,
    LeaderRow,
    ScoreRow,
)

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def keyring() -> Iterator[None]:
    set_keyring(KeyRing(os.urandom(32)))
    yield
    set_keyring(None)


def seed_leader(
    db: Database, n: int, *, baseline: int, latest: int, stakeholder: tuple[list[int], list[int]] | None
) -> None:
    with db.session() as session:
        leader = LeaderRow(
            channel="telegram",
            external_id=str(9000 + n),
            name=f"L{n}",
            level="experienced",
            timezone="UTC",
            consented_at=NOW - timedelta(days=40),
        )
        session.add(leader)
        session.flush()
        goal = GoalRow(
            id=f"g{n}",
            user_id=leader.id,
            text="delegate the weekly report",
            status="closed",
            closed_reason="achieved" if n % 2 else "dropped",
            closed_at=NOW,
        )
        session.add(goal)
        grow, left = (
            CoachingSessionRow(
                id=id_,
                user_id=leader.id,
                goal_id=goal.id,
                kind="grow",
                outcome=outcome,
                started_at=NOW - timedelta(days=3),
            )
            for id_, outcome in ((f"s{n}", "committed"), (f"s{n}b", "abandoned"))
        )
        check = CoachingSessionRow(
            id=f"c{n}", user_id=leader.id, goal_id=goal.id, kind="checkin", outcome="done"
        )
        session.add_all([grow, left, check])
        session.flush()
        session.add_all(
            [
                ScoreRow(
                    user_id=leader.id, goal_id=goal.id, session_id=grow.id, kind="baseline", value=baseline
                ),
                ScoreRow(user_id=leader.id, goal_id=goal.id, session_id=grow.id, kind="commitment", value=9),
                ScoreRow(
                    user_id=leader.id, goal_id=goal.id, session_id=check.id, kind="checkin", value=latest
                ),
                *(
                    CheckinRow(
                        user_id=leader.id,
                        goal_id=goal.id,
                        session_id=grow.id,
                        kind=kind,
                        due_at=NOW,
                        status=status,
                    )
                    for kind, status in (("first", "answered"), ("midway", "pending"))
                ),
            ]
        )
        if stakeholder is not None:
            for number, ratings in enumerate(stakeholder, 1):
                round_ = FeedbackRoundRow(user_id=leader.id, number=number, behaviour="x", expires_at=NOW)
                session.add(round_)
                session.flush()
                for index, rating in enumerate(ratings):
                    session.add(
                        FeedbackResponseRow(
                            round_id=round_.id,
                            responder=f"{n}-{index}",
                            step="done",
                            relationship="peer",
                            rating=rating,
                            keep="k",
                            change="c",
                        )
                    )


def stats(database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("GROW_COACH_DATABASE_URL", database_url)
    assert main(["admin", "stats", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["figures"]


def test_stats_match_the_stored_numbers(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six leaders; five asked for feedback twice, with three answers a round.
    changes = [(3, 6), (4, 7), (5, 5), (2, 8), (6, 7), (4, 4)]
    for n, (baseline, latest) in enumerate(changes):
        rounds = ([4, 5, 6], [6, 7, 8]) if n < 5 else None
        seed_leader(database, n, baseline=baseline, latest=latest, stakeholder=rounds)
    figures = stats(database_url, capsys, monkeypatch)
    assert figures["leaders_onboarded"]["value"] == 6
    assert figures["leaders_active_30d"]["value"] == 6
    assert figures["sessions_held"]["value"] == 6  # the abandoned ones are not held
    assert figures["checkins_answered"]["value"] == 6
    expected_self = round(sum(latest - baseline for baseline, latest in changes) / 6, 2)
    assert figures["mean_self_rating_change"]["value"] == expected_self
    assert figures["mean_stakeholder_rating_change"]["value"] == 2.0  # 7 - 5 for each of five
    # Three goals achieved, three dropped: each bucket from fewer than five leaders is withheld.
    assert figures["goal_attainment"]["value"] == {}
    dump = json.dumps(figures)
    assert "delegate" not in dump and "L1" not in dump  # never free text or names


def test_fewer_than_five_leaders_give_no_figure(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        seed_leader(database, n, baseline=3, latest=7, stakeholder=([5, 5, 5], [8, 8, 8]))
    figures = stats(database_url, capsys, monkeypatch)
    assert all(figure["value"] is None and figure["withheld"] for figure in figures.values()), figures
