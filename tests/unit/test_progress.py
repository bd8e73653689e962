"""The text summary a leader gets with each progress chart: the chart's numbers, in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.content import load_content
from flows.progress import (
    LISTED_RATINGS,
    ActionCounts,
    CommitmentPoint,
    GoalProgress,
    RatingPoint,
    chart_words,
    progress_summary,
)

CONTENT = load_content("en")
START = datetime(2024, 12, 1, 8, 30, tzinfo=UTC)


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def six_weeks() -> GoalProgress:
    return GoalProgress(
        goal="Hold back my solution in 1:1s until my report has said theirs",
        baseline=4,
        baseline_at=START,
        # Out of order on purpose: storage may hand check-ins and reviews over separately.
        ratings=[
            RatingPoint(day(42), 7, "review"),
            RatingPoint(day(7), 5, "checkin"),
            RatingPoint(day(21), 5, "checkin"),
            RatingPoint(day(35), 6, "checkin"),
        ],
        commitments=[CommitmentPoint(START, 7), CommitmentPoint(day(14), 8), CommitmentPoint(day(42), 9)],
        sessions=[START, day(14), day(42)],
        actions=ActionCounts(done=2, partly=1, not_yet=1),
        sessions_held=3,
        sessions_planned=6,
        timezone="Europe/London",
    )


def test_the_summary_carries_the_charts_numbers() -> None:
    lines = progress_summary(six_weeks(), CONTENT).splitlines()
    assert lines == [
        'Progress on "Hold back my solution in 1:1s until my report has said theirs"',
        "Self-rating: 4 at the start (1 Dec), 7 now (12 Jan): +3",
        "Every rating, oldest first: 4, 5, 5, 6, 7",
        "Commitment: 7/10 at first (1 Dec), 9/10 most recently (12 Jan)",
        "Actions: 2 done, 1 partly, 1 not yet",
        "Sessions held: 3 of 6 planned, the last on 12 Jan",
    ]


def test_a_drop_and_no_change_read_as_such() -> None:
    base = six_weeks()
    lower = GoalProgress(goal="g", baseline=6, baseline_at=START, ratings=[RatingPoint(day(9), 4, "checkin")])
    same = GoalProgress(goal="g", baseline=6, baseline_at=START, ratings=[RatingPoint(day(9), 6, "review")])
    assert base.change == 3 and lower.change == -2 and same.change == 0
    assert "6 at the start (1 Dec), 4 now (10 Dec): −2" in progress_summary(lower, CONTENT)
    assert "6 now (10 Dec): no change" in progress_summary(same, CONTENT)


def test_dates_are_the_leaders_calendar_days() -> None:
    # 23:30 UTC on 1 Dec is already 2 Dec in Auckland.
    late = datetime(2024, 12, 1, 23, 30, tzinfo=UTC)
    progress = GoalProgress(
        goal="g",
        baseline=3,
        baseline_at=late,
        ratings=[RatingPoint(late + timedelta(days=7), 5, "checkin")],
        timezone="Pacific/Auckland",
    )
    assert "3 at the start (2 Dec), 5 now (9 Dec)" in progress_summary(progress, CONTENT)
    naive = GoalProgress(goal="g", baseline=3, baseline_at=late.replace(tzinfo=None))
    assert "3 at the start (1 Dec)" in progress_summary(naive, CONTENT), "naive means UTC"


def test_a_year_of_data_names_the_years_and_lists_only_the_latest_ratings() -> None:
    ratings = [RatingPoint(day(7 * week + 3), 3 + week // 10, "checkin") for week in range(1, 53)]
    progress = GoalProgress(goal="g", baseline=2, baseline_at=START, ratings=ratings, sessions_held=26)
    text = progress_summary(progress, CONTENT)
    last = ratings[-1]
    assert f"2 at the start (1 Dec 2024), {last.value} now (3 Dec 2025): +{last.value - 2}" in text
    listed = ", ".join(str(point.value) for point in ratings[-LISTED_RATINGS:])
    assert f"The last {LISTED_RATINGS} of 53 ratings, oldest first: {listed}" in text
    assert "Sessions held: 26" in text
    assert "Actions: none reviewed yet" in text


def test_nothing_yet_and_one_rating() -> None:
    empty = GoalProgress(goal="Delegate the Friday report")
    assert progress_summary(empty, CONTENT).splitlines() == [
        'Progress on "Delegate the Friday report"',
        "No self-ratings yet.",
        "Actions: none reviewed yet",
        "Sessions held: 0",
    ]
    only_baseline = GoalProgress(goal="g", baseline=5, baseline_at=START, sessions_held=1, sessions_planned=8)
    text = progress_summary(only_baseline, CONTENT)
    assert "Self-rating: 5 at the start (1 Dec); no new rating since." in text
    assert "Sessions held: 1 of 8 planned" in text
    assert "oldest first" not in text
    no_baseline = GoalProgress(goal="g", ratings=[RatingPoint(day(3), 6, "checkin")])
    assert "Self-rating: 6 now (4 Dec); no starting rating was recorded." in progress_summary(
        no_baseline, CONTENT
    )


@pytest.mark.parametrize(
    ("score", "line"),
    [
        (-2, "Goal attainment: -2 (much less than expected)"),
        (0, "Goal attainment: 0 (as expected)"),
        (1, "Goal attainment: +1 (more than expected)"),
    ],
)
def test_goal_attainment_is_shown_with_its_meaning(score: int, line: str) -> None:
    progress = GoalProgress(goal="g", attainment=score)
    assert progress_summary(progress, CONTENT).splitlines()[-1] == line


def test_a_long_goal_is_trimmed_in_the_summary_title() -> None:
    goal = "Make space for the quieter people in my team to speak first " * 7
    first = progress_summary(GoalProgress(goal=goal), CONTENT).splitlines()[0]
    assert first.startswith('Progress on "Make space for the quieter people')
    assert first.endswith('…"') and len(first) < 100


def test_the_charts_words_match_the_summary() -> None:
    words = chart_words(six_weeks(), CONTENT)
    assert words.subtitle == "Start 4 → now 7: +3"
    assert words.footer == "Actions: 2 done, 1 partly, 1 not yet · Sessions held: 3 of 6 planned"
    assert set(words.series) == {"baseline", "checkin", "review", "commitment", "session", "stakeholders"}
    assert len(words.months) == 12 and words.months[0] == "Jan"


@pytest.mark.parametrize(
    "bad",
    [
        {"baseline": 11, "baseline_at": START},
        {"baseline": 4},
        {"ratings": [RatingPoint(START, 3, "baseline")]},
        {"attainment": 3},
        {"sessions_held": -1},
    ],
)
def test_impossible_data_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        GoalProgress(goal="g", **bad)  # type: ignore[arg-type]


def test_impossible_points_are_refused() -> None:
    with pytest.raises(ValueError):
        RatingPoint(START, -1, "checkin")
    with pytest.raises(ValueError):
        RatingPoint(START, 5, "peer")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CommitmentPoint(START, 0)
    with pytest.raises(ValueError):
        ActionCounts(done=-1)
