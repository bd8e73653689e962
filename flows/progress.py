"""A goal's progress as plain data, and the text summary that goes with its chart.

`/progress` and each review send one chart per goal (flows/progress_chart.py) and,
always, this summary: the same numbers in words, for a leader who cannot or would
rather not look at a picture, and for the terminal chat, which shows no pictures.
Storage fills `GoalProgress`; nothing here knows SQL or Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from flows.content import Content

RatingSource = Literal["baseline", "checkin", "review"]
RATING_SOURCES: tuple[RatingSource, ...] = ("baseline", "checkin", "review")
# The ratings the summary lists one by one; a year of weekly check-ins would drown it.
LISTED_RATINGS = 12
SUMMARY_GOAL_LIMIT = 80
YEARLESS_SPAN = timedelta(days=300)


@dataclass(frozen=True, slots=True)
class RatingPoint:
    """A 0-10 self-rating of the goal's behaviour."""

    at: datetime
    value: int
    source: RatingSource

    def __post_init__(self) -> None:
        if self.source not in RATING_SOURCES:
            raise ValueError(f"unknown rating source {self.source!r}")
        if not 0 <= self.value <= 10:
            raise ValueError(f"a rating is 0 to 10, not {self.value}")


@dataclass(frozen=True, slots=True)
class CommitmentPoint:
    """A 1-10 commitment score given at the close of a session or a /rescore."""

    at: datetime
    value: int

    def __post_init__(self) -> None:
        if not 1 <= self.value <= 10:
            raise ValueError(f"a commitment is 1 to 10, not {self.value}")


@dataclass(frozen=True, slots=True)
class StakeholderPoint:
    """The average 0-10 rating the people around the leader gave the goal's behaviour in
    one feedback round. Only rounds that reached the anonymity minimum become points;
    a point is dated by when the leader opened the round, never by anyone's answer."""

    at: datetime
    mean: float
    answered: int

    def __post_init__(self) -> None:
        if not 0 <= self.mean <= 10:
            raise ValueError(f"a stakeholder mean is 0 to 10, not {self.mean}")


@dataclass(frozen=True, slots=True)
class ActionCounts:
    """How the agreed actions went, as the leader said at check-ins."""

    done: int = 0
    partly: int = 0
    not_yet: int = 0

    def __post_init__(self) -> None:
        if min(self.done, self.partly, self.not_yet) < 0:
            raise ValueError("action counts cannot be negative")

    @property
    def total(self) -> int:
        return self.done + self.partly + self.not_yet


@dataclass(frozen=True)
class GoalProgress:
    """Everything a goal's chart and summary show.

    `baseline` is the rating given when the goal was set; `ratings` are the later ones
    (check-ins and reviews), kept in time order whatever order they arrive in.
    `timezone` (an IANA name) is the leader's: every date is shown on their calendar.
    Naive datetimes are taken as UTC.
    """

    goal: str
    baseline: int | None = None
    baseline_at: datetime | None = None
    ratings: Sequence[RatingPoint] = ()
    commitments: Sequence[CommitmentPoint] = ()
    sessions: Sequence[datetime] = ()
    actions: ActionCounts = field(default_factory=ActionCounts)
    sessions_held: int = 0
    sessions_planned: int | None = None
    attainment: int | None = None
    timezone: str | None = None
    # What "as expected" looks like, in the leader's words (goal attainment scaling).
    expected: str | None = None
    goal_id: str | None = None
    # Stakeholder feedback on this goal's behaviour, round by round (flows/feedback_summary.py).
    stakeholders: Sequence[StakeholderPoint] = ()

    def __post_init__(self) -> None:
        if (self.baseline is None) != (self.baseline_at is None):
            raise ValueError("a baseline needs both its rating and its date")
        if self.baseline is not None and not 0 <= self.baseline <= 10:
            raise ValueError(f"a baseline is 0 to 10, not {self.baseline}")
        if any(point.source == "baseline" for point in self.ratings):
            raise ValueError("the baseline goes in baseline/baseline_at, not among the ratings")
        if self.sessions_held < 0 or (self.sessions_planned is not None and self.sessions_planned < 0):
            raise ValueError("session counts cannot be negative")
        if self.attainment is not None and not -2 <= self.attainment <= 2:
            raise ValueError(f"goal attainment is -2 to +2, not {self.attainment}")
        # Frozen, so the normalised copies go in through object.__setattr__.
        object.__setattr__(self, "ratings", tuple(sorted(self.ratings, key=lambda p: _utc(p.at))))
        object.__setattr__(self, "commitments", tuple(sorted(self.commitments, key=lambda p: _utc(p.at))))
        object.__setattr__(self, "sessions", tuple(sorted(self.sessions, key=_utc)))
        object.__setattr__(self, "stakeholders", tuple(sorted(self.stakeholders, key=lambda p: _utc(p.at))))

    @property
    def baseline_point(self) -> RatingPoint | None:
        if self.baseline is None or self.baseline_at is None:
            return None
        return RatingPoint(self.baseline_at, self.baseline, "baseline")

    @property
    def rating_points(self) -> tuple[RatingPoint, ...]:
        """The baseline (if any) and every later rating, oldest first."""
        first = self.baseline_point
        return ((first,) if first else ()) + tuple(self.ratings)

    @property
    def latest(self) -> RatingPoint | None:
        """The most recent rating after the baseline."""
        return self.ratings[-1] if self.ratings else None

    @property
    def change(self) -> int | None:
        """Latest rating minus baseline; None without both."""
        if self.baseline is None or self.latest is None:
            return None
        return self.latest.value - self.baseline

    def local(self, moment: datetime) -> datetime:
        """`moment` on the leader's clock, without tzinfo (what a chart axis wants)."""
        return _utc(moment).astimezone(ZoneInfo(self.timezone or "UTC")).replace(tzinfo=None)

    def moments(self) -> list[datetime]:
        """Every dated thing the chart shows, as local times."""
        points: Iterable[datetime] = (
            *(p.at for p in self.rating_points),
            *(p.at for p in self.commitments),
            *self.sessions,
            *(p.at for p in self.stakeholders),
        )
        return [self.local(moment) for moment in points]


@dataclass(frozen=True)
class ChartWords:
    """The words a chart carries, taken from the content files by `chart_words`."""

    series: dict[str, str]
    months: tuple[str, ...]
    empty: str
    # Templates for the time axis's labels, filled in by the chart: {day} {month} {year}.
    day_month: str = "{day} {month}"
    month_year: str = "{month} {year}"
    subtitle: str = ""
    footer: str = ""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def format_day(day: date, content: Content, *, with_year: bool = False) -> str:
    months = content.items("progress", "dates", "months")
    month = months[day.month - 1]
    if with_year:
        return content.text(
            "progress", "dates", "long", values={"day": day.day, "month": month, "year": day.year}
        )
    return content.text("progress", "dates", "short", values={"day": day.day, "month": month})


def _dater(progress: GoalProgress, content: Content) -> Callable[[datetime], str]:
    """Formats a moment as a day on the leader's calendar, with the year once the data
    covers so long that "12 Jan" could mean two different days."""
    moments = progress.moments()
    with_year = bool(moments) and max(moments) - min(moments) > YEARLESS_SPAN

    def day_of(moment: datetime) -> str:
        return format_day(progress.local(moment).date(), content, with_year=with_year)

    return day_of


def format_change(change: float, content: Content) -> str:
    """+3, −2 or "no change"; a float (a change in stakeholders' average) with one decimal."""
    shown = (lambda d: f"{d:.1f}") if isinstance(change, float) else str
    if change > 0:
        return content.text("progress", "change", "up", values={"difference": shown(change)})
    if change < 0:
        return content.text("progress", "change", "down", values={"difference": shown(-change)})
    return content.text("progress", "change", "same")


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def progress_title(
    progress: GoalProgress, content: Content, *, limit: int | None = SUMMARY_GOAL_LIMIT
) -> str:
    goal = _short(progress.goal, limit) if limit else " ".join(progress.goal.split())
    return content.text("progress", "title", values={"goal": goal})


def rating_line(progress: GoalProgress, content: Content) -> str:
    day_of = _dater(progress, content)
    latest, baseline_at = progress.latest, progress.baseline_at
    if progress.baseline is not None and baseline_at is not None and latest is not None:
        return content.text(
            "progress",
            "rating",
            "change",
            values={
                "baseline": progress.baseline,
                "baseline_date": day_of(baseline_at),
                "latest": latest.value,
                "latest_date": day_of(latest.at),
                "change": format_change(latest.value - progress.baseline, content),
            },
        )
    if progress.baseline is not None and baseline_at is not None:
        return content.text(
            "progress",
            "rating",
            "baseline_only",
            values={"baseline": progress.baseline, "baseline_date": day_of(baseline_at)},
        )
    if latest is not None:
        return content.text(
            "progress",
            "rating",
            "no_baseline",
            values={"latest": latest.value, "latest_date": day_of(latest.at)},
        )
    return content.text("progress", "rating", "none")


def chart_subtitle(progress: GoalProgress, content: Content) -> str:
    """The line under a chart's title: where the rating started and where it is now."""
    latest = progress.latest
    if progress.baseline is not None and latest is not None:
        return content.text(
            "progress",
            "rating",
            "chart_change",
            values={
                "baseline": progress.baseline,
                "latest": latest.value,
                "change": format_change(latest.value - progress.baseline, content),
            },
        )
    if progress.baseline is not None:
        return content.text(
            "progress", "rating", "chart_baseline_only", values={"baseline": progress.baseline}
        )
    if latest is not None:
        return content.text("progress", "rating", "chart_no_baseline", values={"latest": latest.value})
    return ""


def stakeholder_line(
    points: Sequence[StakeholderPoint], content: Content, *, own: tuple[int, int] | None = None
) -> str | None:
    """The stakeholders' average, first round to latest, with the leader's own rating
    from first to latest (`own`) beside it when given. Nothing without a round shown."""
    if not points:
        return None
    first, last = points[0], points[-1]
    if len(points) == 1:
        return content.text(
            "progress", "stakeholders", "one", values={"mean": f"{last.mean:.1f}", "answered": last.answered}
        )
    if first.answered == last.answered:
        answers = content.text("progress", "stakeholders", "same_count", values={"count": last.answered})
    else:
        answers = content.text(
            "progress",
            "stakeholders",
            "counts",
            values={"first_count": first.answered, "last_count": last.answered},
        )
    first_mean, last_mean = f"{first.mean:.1f}", f"{last.mean:.1f}"
    change = format_change(round(last.mean - first.mean, 1), content)
    if own is None:
        return content.text(
            "progress",
            "stakeholders",
            "change",
            values={"first_mean": first_mean, "last_mean": last_mean, "change": change, "answers": answers},
        )
    return content.text(
        "progress",
        "stakeholders",
        "beside",
        values={
            "own_first": own[0],
            "own_last": own[1],
            "own_change": format_change(own[1] - own[0], content),
            "first_mean": first_mean,
            "last_mean": last_mean,
            "change": change,
            "answers": answers,
        },
    )


def ratings_line(progress: GoalProgress, content: Content) -> str | None:
    points = progress.rating_points
    if len(points) < 2:
        return None  # the rating line already says it all
    shown = points[-LISTED_RATINGS:]
    listed = ", ".join(str(point.value) for point in shown)
    if len(shown) == len(points):
        return content.text("progress", "ratings", "all", values={"ratings": listed})
    return content.text(
        "progress",
        "ratings",
        "recent",
        values={"ratings": listed, "shown": len(shown), "count": len(points)},
    )


def commitment_line(progress: GoalProgress, content: Content) -> str | None:
    if not progress.commitments:
        return None
    day_of = _dater(progress, content)
    first, last = progress.commitments[0], progress.commitments[-1]
    if len(progress.commitments) == 1:
        return content.text(
            "progress", "commitment", "one", values={"commitment": last.value, "date": day_of(last.at)}
        )
    return content.text(
        "progress",
        "commitment",
        "several",
        values={
            "first_commitment": first.value,
            "first_date": day_of(first.at),
            "commitment": last.value,
            "date": day_of(last.at),
        },
    )


def actions_line(progress: GoalProgress, content: Content) -> str:
    counts = progress.actions
    if not counts.total:
        return content.text("progress", "actions", "none")
    return content.text(
        "progress",
        "actions",
        values={"done": counts.done, "partly": counts.partly, "not_yet": counts.not_yet},
    )


def sessions_line(progress: GoalProgress, content: Content, *, with_last: bool = True) -> str:
    last = _dater(progress, content)(progress.sessions[-1]) if progress.sessions and with_last else None
    held, planned = progress.sessions_held, progress.sessions_planned
    if planned is not None and last is not None:
        return content.text(
            "progress",
            "sessions",
            "planned_last",
            values={"held": held, "planned": planned, "last_session": last},
        )
    if planned is not None:
        return content.text("progress", "sessions", "planned", values={"held": held, "planned": planned})
    if last is not None:
        return content.text("progress", "sessions", "held_last", values={"held": held, "last_session": last})
    return content.text("progress", "sessions", "held", values={"held": held})


def format_attainment(score: int) -> str:
    return f"{score:+d}" if score else "0"


def attainment_line(progress: GoalProgress, content: Content) -> str | None:
    if progress.attainment is None:
        return None
    score = format_attainment(progress.attainment)
    return content.text(
        "progress",
        "attainment",
        values={"attainment": score, "meaning": content.labels("progress", "attainment")[score]},
    )


def expected_line(progress: GoalProgress, content: Content) -> str | None:
    if not progress.expected or not progress.expected.strip():
        return None
    return content.text("progress", "expected", values={"expected": _short(progress.expected, 160)})


def progress_summary(progress: GoalProgress, content: Content) -> str:
    """The chart's numbers in words: one line per fact, the goal first."""
    lines = [
        progress_title(progress, content),
        expected_line(progress, content),
        rating_line(progress, content),
        stakeholder_line(progress.stakeholders, content),
        ratings_line(progress, content),
        commitment_line(progress, content),
        actions_line(progress, content),
        sessions_line(progress, content),
        attainment_line(progress, content),
    ]
    return "\n".join(line for line in lines if line)


def chart_words(progress: GoalProgress, content: Content) -> ChartWords:
    """The legend, month names, subtitle and footer for `render_progress_png`."""
    footer = " · ".join((actions_line(progress, content), sessions_line(progress, content, with_last=False)))
    return ChartWords(
        series=content.labels("progress", "chart"),
        months=tuple(content.items("progress", "dates", "months")),
        empty=content.text("progress", "chart", "empty"),
        day_month=content.items("progress", "dates", "short")[0],
        month_year=content.items("progress", "dates", "month_year")[0],
        subtitle=chart_subtitle(progress, content),
        footer=footer,
    )
