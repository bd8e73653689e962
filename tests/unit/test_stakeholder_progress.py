"""Stakeholder feedback beside the leader's own rating: in /progress (words and chart) and
in the closing review, only from rounds that reached the anonymity minimum."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime, timedelta

from PIL import Image

from flows.feedback_summary import stakeholder_points, summarise, with_stakeholders
from flows.progress import GoalProgress, RatingPoint, StakeholderPoint, chart_words, stakeholder_line
from flows.progress_chart import render_progress_png
from flows.views import EngagementView, FeedbackRoundView, StakeholderAnswer
from tests.support.coach_driver import CONTENT, Coach, FakeLookup, consented, goal_view
from tests.unit.test_engine_progress import GOAL, START, feedback_goal

EXPIRES = datetime(2027, 1, 30, tzinfo=UTC)


def a_round(number: int, ratings: list[int], *, behaviour: str = GOAL, days: int = 0) -> FeedbackRoundView:
    answers = tuple(StakeholderAnswer("peer", r, f"keep {i}", f"change {i}") for i, r in enumerate(ratings))
    return FeedbackRoundView(
        number,
        behaviour,
        len(answers),
        EXPIRES,
        False,
        # Storage holds the answers back below the minimum; so does this fake.
        answers if len(answers) >= 3 else (),
        opened_at=START + timedelta(days=days),
    )


def progress_coach(*rounds: FeedbackRoundView) -> Coach:
    lookup = FakeLookup(progress=[feedback_goal()])
    lookup.rounds = list(rounds)
    return Coach(conv=consented(level="experienced"), lookup=lookup)


def progress_text(coach: Coach) -> str:
    coach.command("progress")
    return next(reply.text for reply in coach.replies if reply.chart is not None)


def test_progress_shows_the_stakeholders_change_under_the_self_rating() -> None:
    coach = progress_coach(a_round(1, [6, 5, 7, 6, 6]), a_round(2, [8, 7, 7, 8, 8], days=20))
    text = progress_text(coach)
    lines = text.splitlines()
    own = next(i for i, line in enumerate(lines) if line.startswith("Self-rating:"))
    assert lines[own + 1] == "Stakeholders: 6.0 → 7.6 on average (+1.6), 5 answers each round"
    chart = next(reply.chart for reply in coach.replies if reply.chart is not None)
    assert chart is not None and [p.mean for p in chart.stakeholders] == [6.0, 7.6]


def test_a_round_below_the_minimum_shows_nothing_not_even_its_count() -> None:
    # Round 2 has two answers: neither its mean nor that it exists may show.
    text = progress_text(progress_coach(a_round(1, [6, 5, 7]), a_round(2, [10, 10], days=20)))
    assert "Stakeholders: 6.0/10 on average from 3 people" in text
    assert "10.0" not in text
    assert "2 answers" not in text and "→" not in text.split("Stakeholders:")[1]
    only_small = progress_text(progress_coach(a_round(1, [9, 1])))
    assert "Stakeholders" not in only_small


def test_rounds_on_another_behaviour_stay_off_this_goal() -> None:
    coach = progress_coach(a_round(1, [6, 5, 7], behaviour="say no to late asks"))
    assert "Stakeholders" not in progress_text(coach)
    # The same words with other spacing or capitals are the same behaviour.
    summary = summarise(
        [a_round(1, [6, 5, 7], behaviour="  Stop avoiding DIFFICULT conversations with my team")], 3
    )
    assert [p.mean for p in stakeholder_points(summary, GOAL)] == [6.0]


def test_the_closing_line_puts_the_leaders_own_change_beside_the_stakeholders() -> None:
    points = (StakeholderPoint(START, 6.0, 5), StakeholderPoint(START + timedelta(days=60), 7.5, 4))
    line = stakeholder_line(points, CONTENT, own=(4, 7))
    assert line == (
        "Your own rating: 4 → 7 (+3). Stakeholders: 6.0 → 7.5 (+1.5), "
        "5 answers in the first round, 4 in the latest."
    )
    fell = stakeholder_line((points[1], StakeholderPoint(START + timedelta(days=90), 7.0, 4)), CONTENT)
    assert fell == "Stakeholders: 7.5 → 7.0 on average (−0.5), 4 answers each round"


def test_the_chart_draws_the_stakeholder_series_and_names_it() -> None:
    plain = GoalProgress(
        goal=GOAL,
        baseline=4,
        baseline_at=START,
        ratings=[RatingPoint(START + timedelta(days=30), 6, "checkin")],
    )
    summary = summarise([a_round(1, [6, 5, 7]), a_round(2, [8, 8, 8], days=40)], 3)
    (with_them,) = with_stakeholders([plain], summary)
    words = chart_words(with_them, CONTENT)
    assert words.series["stakeholders"] == "Stakeholders (average)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = render_progress_png(with_them, title_text=GOAL, words=words)
        without = render_progress_png(plain, title_text=GOAL, words=chart_words(plain, CONTENT))
    assert drawn != without
    # The Okabe-Ito orange of the stakeholder series is on the picture only when it has points.
    assert _has_colour(drawn, (0xE6, 0x9F, 0x00)) and not _has_colour(without, (0xE6, 0x9F, 0x00))


def _has_colour(png: bytes, rgb: tuple[int, int, int]) -> bool:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return any(colour == rgb for _, colour in image.getcolors(maxcolors=1 << 20) or [])


def test_the_closing_review_shows_both_changes_and_draws_the_stakeholders() -> None:
    goal = goal_view()  # baseline 4
    lookup = FakeLookup(
        [goal],
        engagement=EngagementView("engagement-1", "active", 3, 6, 5, START),
        progress=[feedback_goal(goal=goal.text, goal_id=goal.goal_id)],
    )
    lookup.rounds = [
        a_round(1, [5, 6, 4], behaviour=goal.text),
        a_round(2, [8, 7, 9], behaviour=goal.text, days=60),
    ]
    coach = Coach(conv=consented(), lookup=lookup)
    coach.command("new")
    for answer in ("7", "I raise issues the same day", "launch weeks", "+1", "the weekly slot"):
        coach.say(answer)
    summary = next(text for text in coach.texts if "4 → 7" in text)
    assert "Your own rating: 4 → 7 (+3). Stakeholders: 5.0 → 8.0 (+3.0), 3 answers each round." in summary
    (chart,) = [reply.chart for reply in coach.replies if reply.chart is not None]
    assert chart is not None and [p.mean for p in chart.stakeholders] == [5.0, 8.0]
