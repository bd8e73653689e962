"""/progress in the engine, goal attainment's "as expected" in GROW, and charts drawn
into replies after the engine is done (issue 13)."""

from __future__ import annotations

import asyncio
import io
import struct
from datetime import UTC, datetime, timedelta

import pytest

from bot.processes.wire import frame, read_frame, receive_frame
from flows.chart_replies import chart_filename, draw_charts, slug
from flows.events import Reply
from flows.progress import ActionCounts, CommitmentPoint, GoalProgress, RatingPoint
from flows.records import ExpectedOutcomeSet, GoalOpened
from tests.support.coach_driver import CONTENT, Coach, FakeLookup, consented, grow_coach, records_of

START = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
GOAL = "stop avoiding difficult conversations with my team"


def feedback_goal(**changes: object) -> GoalProgress:
    values: dict[str, object] = {
        "goal": GOAL,
        "goal_id": "goal-1",
        "baseline": 3,
        "baseline_at": START,
        "ratings": (
            RatingPoint(START + timedelta(days=9), 5, "checkin"),
            RatingPoint(START + timedelta(days=23), 7, "checkin"),
        ),
        "commitments": (CommitmentPoint(START, 9),),
        "sessions": (START, START + timedelta(days=14)),
        "actions": ActionCounts(done=2, partly=1, not_yet=1),
        "sessions_held": 2,
        "timezone": "Europe/Berlin",
        "expected": "my team tells me about problems while they are still small",
    }
    values.update(changes)
    return GoalProgress(**values)  # type: ignore[arg-type]


def idle_coach(*progress: GoalProgress) -> Coach:
    return Coach(conv=consented(level="experienced"), lookup=FakeLookup(progress=progress))


# /progress


def test_progress_sends_one_chart_per_goal_with_its_numbers_in_words() -> None:
    second = feedback_goal(
        goal="let my team run the weekly meeting",
        goal_id="goal-2",
        baseline=6,
        ratings=(),
        commitments=(),
        sessions=(START,),
        actions=ActionCounts(),
        sessions_held=1,
        expected=None,
    )
    coach = idle_coach(feedback_goal(), second)
    coach.command("progress")

    charts = [reply for reply in coach.replies if reply.chart is not None]
    assert [reply.chart.goal_id for reply in charts] == ["goal-1", "goal-2"]  # type: ignore[union-attr]
    first = charts[0].text
    assert f'Progress on "{GOAL}"' in first
    assert "Self-rating: 3 at the start (1 Sep), 7 now (24 Sep): +4" in first
    assert "Every rating, oldest first: 3, 5, 7" in first
    assert "Commitment: 9/10 (1 Sep)" in first
    assert "Actions: 2 done, 1 partly, 1 not yet" in first
    assert "Sessions held: 2, the last on 15 Sep" in first
    assert 'As expected, in your words: "my team tells me about problems while they are still small"' in first
    other = charts[1].text
    assert "Self-rating: 6 at the start (1 Sep); no new rating since." in other
    assert "Actions: none reviewed yet" in other and "As expected" not in other
    # Nothing is stored by looking, and the leader stays where they were.
    assert coach.outcome.records == []
    assert coach.conv.flow == "idle"


def test_progress_with_sessions_planned_and_attainment_shows_both() -> None:
    coach = idle_coach(feedback_goal(sessions_planned=6, attainment=1))
    coach.command("progress")
    text = next(reply.text for reply in coach.replies if reply.chart is not None)
    assert "Sessions held: 2 of 6 planned, the last on 15 Sep" in text
    assert "Goal attainment: +1 (more than expected)" in text


def test_progress_without_goals_says_so_and_draws_nothing() -> None:
    coach = idle_coach()
    coach.command("progress")
    assert all(reply.chart is None for reply in coach.replies)
    assert CONTENT.text("progress", "none") in coach.texts


def test_progress_mid_session_shows_the_charts_then_asks_the_question_again() -> None:
    coach = grow_coach("experienced")
    coach.lookup = FakeLookup(progress=[feedback_goal()])
    coach.say(GOAL)
    asked = coach.question.text
    coach.command("progress")
    assert any(reply.chart is not None for reply in coach.replies)
    assert coach.question.text == asked
    assert coach.conv.state == "goal_measure"


def test_progress_needs_onboarding_first() -> None:
    coach = Coach(lookup=FakeLookup(progress=[feedback_goal()]))
    coach.command("start")
    coach.command("progress")
    assert all(reply.chart is None for reply in coach.replies)


# the "as expected" of goal attainment scaling


@pytest.mark.parametrize("level", ["first_time", "experienced"])
def test_how_you_will_know_it_worked_is_kept_as_the_goal_s_expected_outcome(level: str) -> None:
    coach = grow_coach(level)
    coach.say(GOAL)
    assert coach.asked("grow", "goal_measure")
    coach.say("  Sam and Priya bring me bad news within a day, not at the retro ")
    [opened] = records_of(coach.records, GoalOpened)
    assert records_of(coach.records, ExpectedOutcomeSet) == [
        ExpectedOutcomeSet(opened.goal_id, "Sam and Priya bring me bad news within a day, not at the retro")
    ]


def test_the_expected_outcome_question_asks_for_it_in_the_leader_s_own_words() -> None:
    for wording in CONTENT.items("grow", "goal_measure", "ask"):
        assert "expect" in wording and wording.count("?") == 1


# drawing after the engine


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_charts_are_drawn_into_attachments_and_other_replies_are_left_alone() -> None:
    plain = Reply("Where to next?")
    replies = [Reply("summary", chart=feedback_goal()), plain]
    now = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # already 1 October in Berlin
    drawn = draw_charts(replies, CONTENT, now)
    attachment = drawn[0].attachment
    assert attachment is not None and drawn[0].chart is None and drawn[0].text == "summary"
    assert attachment.media_type == "image/png"
    assert png_size(attachment.content) == (1080, 1080)
    assert attachment.filename == "progress-stop-avoiding-difficult-conversations-2026-10-01.png"
    assert drawn[1] is plain


def test_a_chart_file_name_is_safe_whatever_the_goal_says() -> None:
    now = datetime(2026, 9, 30, 12, tzinfo=UTC)
    assert slug("Délégation : ../../etc/passwd") == "delegation-etc-passwd"
    assert chart_filename(feedback_goal(goal="日本語の目標", goal_id="abcdef123456"), now) == (
        "progress-abcdef12-2026-09-30.png"
    )


def test_a_chart_crosses_the_process_wire_whole() -> None:
    """A drawn chart (about 100-150 KB) is one frame from the service child to the bot."""
    drawn = draw_charts([Reply("summary", chart=feedback_goal())], CONTENT)
    payload = drawn[0].attachment.content  # type: ignore[union-attr]
    big = payload + bytes(max(0, 150_000 - len(payload)))
    message = (7, True, [Reply("summary", attachment=drawn[0].attachment), Reply("x" * 10, chart=None)], big)
    data = frame(message)

    async def receive() -> object:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await receive_frame(reader)

    received = asyncio.run(receive())
    assert received == message
    assert read_frame(io.BytesIO(data)) == message
