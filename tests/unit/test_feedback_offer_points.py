"""When a feedback round is offered: once the first session has set the goal (the start)
and at the end of the session before the closing review, each point once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.feedback_offers import CLOSING, START, point_due
from flows.views import EngagementView, FeedbackRoundView

BEGAN = datetime(2026, 9, 1, tzinfo=UTC)


def engaged(offered: tuple[str, ...] = (), status: str = "active") -> EngagementView:
    return EngagementView("e1", status, 3, 6, 0, BEGAN, offered)


def opened(days: int) -> FeedbackRoundView:
    return FeedbackRoundView(
        1, "listen first", 0, BEGAN + timedelta(days=60), True, (), BEGAN + timedelta(days=days)
    )


@pytest.mark.parametrize(
    ("number", "offered", "rounds", "due"),
    [
        (1, (), [], START),
        (2, (), [], START),  # not offered at session 1 (say, feedback was off): later then
        (1, (START,), [], None),  # declined or taken: never again
        (1, (), [opened(1)], None),  # they opened one by hand already
        (1, (), [opened(-30)], START),  # a round from before this engagement does not count
        (5, (START,), [opened(1)], CLOSING),
        (5, (START,), [], CLOSING),
        (5, (START, CLOSING), [opened(1)], None),
        (5, (START,), [opened(1), opened(40)], None),  # two rounds this engagement already
        (6, (START,), [opened(1)], None),  # the closing review itself
        (0, (), [], None),
    ],
)
def test_the_point_due_after_a_session(
    number: int, offered: tuple[str, ...], rounds: list[FeedbackRoundView], due: str | None
) -> None:
    assert point_due(engaged(offered), number, rounds) == due


def test_nothing_is_offered_once_the_engagement_is_closed() -> None:
    assert point_due(engaged(status="closed"), 1, []) is None
