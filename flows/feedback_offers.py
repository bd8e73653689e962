"""Feedback rounds offered at the engagement's two points, with one tap.

The start: once the first session has set the goal, so stakeholders are asked about a
behaviour the leader has named (right after agreeing the engagement there is often no
goal yet). The close: at the end of the session before the closing review, so answers
have a session's interval to come in and the review can show the change.

Each point is offered once (`FeedbackOffered`), whatever the leader answers: one who says
"not this time" is not asked again for that point, and /feedback stays open to them.
Accepting gives exactly what /feedback gives: a new round, its link and the message to
forward.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.events import Choice, Reply
from flows.feedback_summary import threshold
from flows.records import FeedbackOffered
from flows.turn import Turn
from flows.views import EngagementView, FeedbackRoundView

START = "start"
CLOSING = "closing"
# Buttons that stay usable after later messages: a check-in that fell due during the
# session often follows the offer at once. "Yes" names its point, so a second tap shows
# the round already opened instead of opening another.
ACCEPT = {START: "fb_offer_start", CLOSING: "fb_offer_closing"}
SKIP = "fb_skip"
STANDING_BUTTONS = frozenset({*ACCEPT.values(), SKIP})


def point_due(view: EngagementView, number: int, rounds: Sequence[FeedbackRoundView]) -> str | None:
    """The point a round is offered at once session `number` is held, if any.

    No offer after the closing review itself, nor for a point already offered; none at
    the start if a round was opened during the engagement already, none at the close if
    two were.
    """
    if view.status not in ("active", "paused") or number < 1 or number >= view.planned:
        return None
    point = CLOSING if number == view.planned - 1 else START
    if point in view.feedback_offered or answered(point, view, rounds):
        return None
    return point


def taken(point: str, view: EngagementView) -> bool:
    return f"{point}.taken" in view.feedback_offered


def answered(point: str, view: EngagementView, rounds: Sequence[FeedbackRoundView]) -> bool:
    """Whether the rounds opened during the engagement already cover `point`: one for the
    start, two by the close."""
    opened = [r for r in rounds if r.opened_at is not None and r.opened_at >= view.started_at]
    return len(opened) >= (2 if point == CLOSING else 1)


def offer_after_session(turn: Turn, number: int) -> None:
    """At the end of engagement session `number`: offer a round if one is due now."""
    if not turn.settings.feedback_enabled or not number:
        return
    view = turn.fresh_engagement or turn.lookup.engagement()
    if view is None:
        return
    rounds = turn.lookup.feedback_rounds()
    point = point_due(view, number, rounds)
    if point is None:
        return
    turn.record(FeedbackOffered(view.engagement_id, point))
    # Before the close, a leader with an earlier round hears that the two will be compared.
    field = "closing_again" if point == CLOSING and rounds else point
    turn.conv.question_seq += 1
    labels = turn.content.labels("feedback", "offer")
    offered = (Choice(labels["yes"], f"cmd:{ACCEPT[point]}"), Choice(labels["no"], f"cmd:{SKIP}"))
    text = turn.text("feedback", "offer", field, least=threshold(turn.settings.feedback_min_responses))
    last = turn.replies[-1] if turn.replies else None
    if last is not None and not last.choices and last.attachment is None and last.chart is None:
        # It rides on the session's closing words (the recap): one message, and the last
        # message of a session stays the one that sums it up.
        turn.replies[-1] = Reply(f"{last.text}\n\n{text}", offered, "list", turn.conv.question_seq)
    else:
        turn.replies.append(Reply(text, offered, "list", turn.conv.question_seq))
