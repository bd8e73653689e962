"""Stakeholder feedback as a leader may see it: aggregates only, never one person's answer.

A round shows nothing until at least `min_responses` people answered it. Ratings are split
by relationship only when every group shown (small ones pooled into "other") is itself that
large: otherwise the overall mean and one group's mean would give away the rest. Comments
come shuffled, with no relationship, name or time attached.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flows.progress import GoalProgress, StakeholderPoint
from flows.views import FeedbackRoundView, StakeholderAnswer

# The floor under [feedback] min_responses: fewer would let a leader guess who said what.
MIN_RESPONSES_FLOOR = 3
RELATIONSHIPS = ("peer", "report", "manager", "other")


@dataclass(frozen=True)
class GroupResult:
    relationship: str
    count: int
    mean: float


@dataclass(frozen=True)
class RoundResult:
    number: int
    behaviour: str
    answered: int
    link_open: bool
    expires_at: datetime
    shown: bool  # enough answers to show anything beyond the count
    mean: float | None = None
    groups: tuple[GroupResult, ...] = ()  # empty when a split would expose someone
    keep: tuple[str, ...] = ()  # shuffled
    change: tuple[str, ...] = ()  # shuffled
    opened_at: datetime | None = None  # when the leader opened the round


@dataclass(frozen=True)
class FeedbackSummary:
    rounds: tuple[RoundResult, ...]

    @property
    def shown(self) -> tuple[RoundResult, ...]:
        return tuple(r for r in self.rounds if r.shown)

    @property
    def baseline(self) -> RoundResult | None:
        return self.shown[0] if self.shown else None

    @property
    def latest(self) -> RoundResult | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def change(self) -> float | None:
        """Latest shown mean minus the first shown mean; None until two rounds show."""
        shown = self.shown
        if len(shown) < 2 or shown[0].mean is None or shown[-1].mean is None:
            return None
        return round(shown[-1].mean - shown[0].mean, 1)


def threshold(configured: int) -> int:
    return max(MIN_RESPONSES_FLOOR, configured)


def summarise(
    rounds: list[FeedbackRoundView], min_responses: int, rng: random.Random | None = None
) -> FeedbackSummary:
    least = threshold(min_responses)
    shuffle = (rng or random.SystemRandom()).shuffle
    ordered = sorted(rounds, key=lambda r: r.number)
    return FeedbackSummary(tuple(_round(view, least, shuffle) for view in ordered))


def _round(view: FeedbackRoundView, least: int, shuffle: Callable[[list[str]], None]) -> RoundResult:
    answers = view.answers
    hidden = RoundResult(
        view.number,
        view.behaviour,
        view.answered,
        view.link_open,
        view.expires_at,
        shown=False,
        opened_at=view.opened_at,
    )
    if view.answered < least or len(answers) < least:
        return hidden
    keep = [a.keep for a in answers if a.keep]
    change = [a.change for a in answers if a.change]
    shuffle(keep)
    shuffle(change)
    return replace(
        hidden,
        shown=True,
        mean=_mean(answers),
        groups=_groups(answers, least),
        keep=tuple(keep),
        change=tuple(change),
    )


def _mean(answers: tuple[StakeholderAnswer, ...] | list[StakeholderAnswer]) -> float:
    return round(sum(a.rating for a in answers) / len(answers), 1)


def _groups(answers: tuple[StakeholderAnswer, ...], least: int) -> tuple[GroupResult, ...]:
    by: dict[str, list[StakeholderAnswer]] = defaultdict(list)
    for answer in answers:
        by[answer.relationship].append(answer)
    pooled: dict[str, list[StakeholderAnswer]] = defaultdict(list)
    for relationship, group in by.items():
        pooled[relationship if len(group) >= least and relationship != "other" else "other"].extend(group)
    if len(pooled) < 2 or any(len(group) < least for group in pooled.values()):
        # One group says nothing the overall mean does not; a small one says too much.
        return ()
    return tuple(
        GroupResult(relationship, len(pooled[relationship]), _mean(pooled[relationship]))
        for relationship in RELATIONSHIPS
        if relationship in pooled
    )


def stakeholder_points(summary: FeedbackSummary, behaviour: str) -> tuple[StakeholderPoint, ...]:
    """The rounds on `behaviour` (a goal's words) that reached the minimum, oldest first:
    a round below it contributes nothing, not even its count."""
    wanted = _folded(behaviour)
    return tuple(
        StakeholderPoint(r.opened_at, r.mean, r.answered)
        for r in summary.shown
        if r.mean is not None and r.opened_at is not None and _folded(r.behaviour) == wanted
    )


def with_stakeholders(progress: Sequence[GoalProgress], summary: FeedbackSummary) -> list[GoalProgress]:
    """Each goal's progress with the stakeholder rounds asked about its behaviour."""
    return [replace(goal, stakeholders=stakeholder_points(summary, goal.goal)) for goal in progress]


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()
