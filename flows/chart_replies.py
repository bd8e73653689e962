"""Charts drawn into the replies that asked for one, after the engine is done.

The engine only says which goal's progress to show (`Reply.chart`); drawing takes about
a hundred milliseconds a goal, so it is done once the answer is committed, never inside
the transaction and never on a front end's event loop: the service process draws
before its reply crosses the wire, and an in-process coach draws on a worker thread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from flows.content import Content
from flows.events import Attachment, Reply
from flows.feedback_summary import FeedbackSummary, with_stakeholders
from flows.progress import GoalProgress, chart_words, progress_summary, progress_title

PNG = "image/png"
SLUG_LIMIT = 40


def progress_replies(
    progress: Sequence[GoalProgress], content: Content, feedback: FeedbackSummary | None = None
) -> list[Reply]:
    """One reply per goal: its numbers in words, and its chart to draw. What /progress
    sends, and what a review sends for the goals it looked at
    (`turn.replies += progress_replies(turn.lookup.goal_progress([goal_id]), turn.content)`).
    With `feedback`, each goal also shows the stakeholder rounds on its behaviour."""
    shown = with_stakeholders(progress, feedback) if feedback is not None else progress
    return [Reply(progress_summary(goal, content), chart=goal) for goal in shown]


def needs_drawing(replies: Sequence[Reply]) -> bool:
    return any(reply.chart is not None for reply in replies)


def draw_charts(replies: Sequence[Reply], content: Content, now: datetime | None = None) -> list[Reply]:
    """The replies with every chart drawn as a PNG attachment; the others as they were."""
    if not needs_drawing(replies):
        return list(replies)
    from flows.progress_chart import render_progress_png  # matplotlib: only when drawing

    moment = now or datetime.now(UTC)
    drawn = []
    for reply in replies:
        progress = reply.chart
        if progress is None:
            drawn.append(reply)
            continue
        png = render_progress_png(
            progress,
            title_text=progress_title(progress, content, limit=None),
            words=chart_words(progress, content),
        )
        attachment = Attachment(chart_filename(progress, moment), PNG, png)
        drawn.append(replace(reply, chart=None, attachment=attachment))
    return drawn


def chart_filename(progress: GoalProgress, now: datetime) -> str:
    """progress-<goal words>-<the leader's date>.png: a name that says what it shows."""
    day = progress.local(now).date().isoformat()
    return f"progress-{slug(progress.goal) or (progress.goal_id or 'goal')[:8]}-{day}.png"


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(words) <= SLUG_LIMIT:
        return words
    cut = words[: SLUG_LIMIT + 1].rfind("-")  # at a word's end where there is one
    return words[: cut if cut > 0 else SLUG_LIMIT].rstrip("-")
