"""Stakeholder feedback: the leader's /feedback, and the three questions a stakeholder answers.

The leader side runs inside the engine like any command. The stakeholder side is a small
table of steps the service drives (`StakeholderFlow`): a stakeholder is not a leader, has
no conversation row and is never onboarded; storage keeps their progress with their answers.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from flows.content import Content
from flows.events import START_LINK, Choice, Event, Reply
from flows.feedback_offers import taken
from flows.feedback_summary import RELATIONSHIPS, FeedbackSummary, RoundResult, summarise, threshold
from flows.moves import idle_menu, reask
from flows.parsing import Invalid, clean_text, parse_score
from flows.quoting import quote
from flows.records import FeedbackLinkIssued, FeedbackLinkRevoked, FeedbackOffered
from flows.schedule import format_local
from flows.state import FlowName
from flows.turn import Turn
from flows.views import FeedbackRoundView

START_PREFIX = "fb_"
# 24 random bytes: 192 bits, 32 characters of [A-Za-z0-9_-]; with "fb_" well inside
# Telegram's 64-character start parameter.
CODE_BYTES = 24
_CODE = re.compile(r"^fb_([A-Za-z0-9_-]{16,61})$")
BUTTONS = ("cmd:fb_link", "cmd:fb_round", "cmd:fb_revoke")


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """What storage keeps: a link cannot be rebuilt from the database."""
    return hashlib.sha256(code.encode()).hexdigest()


def start_code(event: Event) -> str | None:
    """The code in "/start fb_<code>" (a stakeholder opening a link), else None."""
    if event.kind != "command" or event.value != "start":
        return None
    words = event.text.split()
    found = _CODE.match(words[-1]) if len(words) >= 2 else None
    return found.group(1) if found else None


# --- the leader -------------------------------------------------------------------


def command(turn: Turn) -> None:
    """/feedback: open round 1, or show where the latest round stands with what to do next."""
    if not turn.settings.feedback_enabled:
        turn.say("feedback", "not_set_up")
        idle_menu(turn)
        return
    rounds = turn.lookup.feedback_rounds()
    if not rounds:
        _issue(turn, new_round=True, number=1)
        return
    summary = summarise(rounds, turn.settings.feedback_min_responses)
    turn.say_text(report(turn, summary))
    turn.conv.question_seq += 1
    labels = turn.content.labels("feedback", "menu")
    offered = tuple(Choice(labels[value.removeprefix("cmd:")], value) for value in BUTTONS)
    turn.replies.append(Reply(turn.text("feedback", "menu"), offered, "list", turn.conv.question_seq))


def fresh_link(turn: Turn) -> None:
    rounds = turn.lookup.feedback_rounds()
    if not rounds:
        turn.say("feedback", "no_round")
        idle_menu(turn)
        return
    _issue(turn, new_round=False, number=max(r.number for r in rounds), behaviour=rounds[-1].behaviour)


def next_round(turn: Turn, then: Callable[[Turn], None] = idle_menu) -> None:
    rounds = turn.lookup.feedback_rounds()
    number = max((r.number for r in rounds), default=0) + 1
    _issue(turn, new_round=True, number=number, behaviour=_carried_behaviour(turn, rounds), then=then)


def accept_offer(point: str) -> Callable[[Turn], None]:
    """The leader's yes to a round offered at the engagement's start or before its close
    (flows/feedback_offers.py): what /feedback would give. Tapped again once that round
    is open, it shows where the round stands, as /feedback does."""

    def accept(turn: Turn) -> None:
        # The offer often sits above a check-in that followed it: the link comes anywhere,
        # and the question the leader is on is asked again after it.
        idle = turn.conv.flow == FlowName.IDLE
        view = turn.lookup.engagement()
        if not turn.settings.feedback_enabled or view is None or taken(point, view):
            if idle:
                command(turn)
            else:
                turn.say("feedback", "offer_taken")
                reask(turn)
            return
        turn.record(FeedbackOffered(view.engagement_id, point, taken=True))
        next_round(turn, then=idle_menu if idle else reask)

    return accept


def skip_offer(turn: Turn) -> None:
    turn.say("feedback", "offer_skipped")
    reask(turn)


def _carried_behaviour(turn: Turn, rounds: list[FeedbackRoundView]) -> str | None:
    """The last round's behaviour while its goal is still open, so the rounds compare;
    else None, and the newest goal is asked about."""
    if not rounds:
        return None
    last = _folded(rounds[-1].behaviour)
    return rounds[-1].behaviour if any(_folded(g.text) == last for g in turn.lookup.open_goals()) else None


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def revoke(turn: Turn) -> None:
    rounds = turn.lookup.feedback_rounds()
    if not rounds:
        turn.say("feedback", "no_round")
    else:
        turn.record(FeedbackLinkRevoked())
        turn.say("feedback", "revoked", number=max(r.number for r in rounds))
    idle_menu(turn)


def _issue(
    turn: Turn,
    *,
    new_round: bool,
    number: int,
    behaviour: str | None = None,
    then: Callable[[Turn], None] = idle_menu,
) -> None:
    if behaviour is None:
        goals = turn.lookup.open_goals()
        if not goals:
            turn.say("feedback", "needs_goal")
            then(turn)
            return
        behaviour = goals[0].text
    code = new_code()
    expires_at = turn.event.now + turn.settings.feedback_link_ttl
    turn.record(FeedbackLinkIssued(code_hash(code), expires_at, new_round, behaviour if new_round else ""))
    expires = format_local(expires_at, turn.conv.profile.timezone)
    shown = quote(behaviour)
    if new_round:
        turn.say("feedback", "issued", number=number, behaviour=shown, expires=expires)
    else:
        turn.say("feedback", "fresh_link", number=number)
    invitation = turn.content.text(
        "feedback", "invitation", values={"behaviour": shown, "start_link": START_LINK}
    )
    turn.replies.append(Reply(invitation, start_param=START_PREFIX + code))
    then(turn)


def report(turn: Turn, summary: FeedbackSummary) -> str:
    """Where the latest round stands, what it shows, and the change since the first."""
    latest = summary.latest
    assert latest is not None
    least = threshold(turn.settings.feedback_min_responses)
    lines = [
        turn.text(
            "feedback",
            "status",
            behaviour=quote(latest.behaviour),
            number=latest.number,
            answered=latest.answered,
        )
    ]
    if latest.shown:
        lines += _result_lines(turn, latest)
    else:
        lines.append(turn.text("feedback", "waiting", least=least))
    delta = summary.change
    first = summary.baseline
    if delta is not None and first is not None and summary.shown[-1].mean is not None:
        lines.append(
            turn.text(
                "feedback",
                "change_between",
                first=first.number,
                first_mean=f"{first.mean:.1f}",
                last_mean=f"{summary.shown[-1].mean:.1f}",
                delta=f"{delta:+.1f}",
            )
        )
    if latest.link_open:
        expires = format_local(latest.expires_at, turn.conv.profile.timezone)
        lines.append(turn.text("feedback", "link_open", expires=expires))
    else:
        lines.append(turn.text("feedback", "link_closed"))
    return "\n".join(lines)


def _result_lines(turn: Turn, result: RoundResult) -> list[str]:
    lines = [turn.text("feedback", "result", mean=f"{result.mean:.1f}", answered=result.answered)]
    if result.groups:
        names = turn.content.labels("feedback", "group_names")
        groups = ", ".join(f"{names[g.relationship]} {g.mean:.1f} ({g.count})" for g in result.groups)
        lines.append(turn.text("feedback", "groups", groups=groups))
    if result.keep:
        lines.append(turn.text("feedback", "keep"))
        lines += [f"• {quote(text, 200)}" for text in result.keep]
    if result.change:
        lines.append(turn.text("feedback", "change"))
        lines += [f"• {quote(text, 200)}" for text in result.change]
    return lines


# --- the stakeholder --------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    key: str  # its question in feedback.toml
    kind: str  # pick | score | text
    then: str


# The stakeholder's whole conversation, in order; "done" once the last answer is in.
STEPS = {
    step.name: step
    for step in (
        Step("relationship", "relationship", "pick", "rating"),
        Step("rating", "rating", "score", "keep"),
        Step("keep", "keep_doing", "text", "change"),
        Step("change", "change_one", "text", "done"),
    )
}
FIRST_STEP = "relationship"
DONE = "done"
_ORDER = tuple(STEPS)


@dataclass(frozen=True)
class Draft:
    """A stakeholder's answers so far; storage keeps it with their row."""

    step: str = FIRST_STEP
    relationship: str | None = None
    rating: int | None = None
    keep: str | None = None
    change: str | None = None

    @property
    def done(self) -> bool:
        return self.step == DONE


@dataclass(frozen=True)
class Invitation:
    leader: str  # the leader's first name as they gave it
    behaviour: str


class StakeholderFlow:
    def __init__(self, content: Content) -> None:
        self.content = content

    def _text(self, key: str, invitation: Invitation, **extra: object) -> str:
        return self.content.text(
            "feedback",
            key,
            values={"leader": invitation.leader, "behaviour": quote(invitation.behaviour), **extra},
        )

    def say(self, key: str, invitation: Invitation | None = None) -> Reply:
        return Reply(self._text(key, invitation or Invitation("", "")))

    def welcome(self, invitation: Invitation) -> list[Reply]:
        return [Reply(self._text("welcome", invitation)), self.ask(Draft(), invitation)]

    def ask(self, draft: Draft, invitation: Invitation) -> Reply:
        step = STEPS[draft.step]
        number = _ORDER.index(step.name) + 1
        text = self._text(step.key, invitation)
        if step.kind == "pick":
            labels = self.content.labels("feedback", "relationships")
            return Reply(text, tuple(Choice(labels[r], r) for r in RELATIONSHIPS), "list", number)
        if step.kind == "score":
            return Reply(text, tuple(Choice(str(n), str(n)) for n in range(11)), "grid", number)
        return Reply(text, (), "list", number)

    def answer(self, draft: Draft, event: Event, invitation: Invitation) -> tuple[Draft, list[Reply]]:
        """One event while answering: the next question, a re-ask, or thanks at the end."""
        step = STEPS[draft.step]
        value = self._value(step, draft, event)
        if isinstance(value, Invalid):
            again = {"pick": "pick_again", "score": "rating_again"}.get(step.kind, "text_again")
            return draft, [Reply(self._text(again, invitation)), self.ask(draft, invitation)]
        moved = replace(draft, step=step.then, **{step.name: value})
        if moved.done:
            return moved, [Reply(self._text("thanks", invitation))]
        return moved, [self.ask(moved, invitation)]

    def _value(self, step: Step, draft: Draft, event: Event) -> object:
        number = _ORDER.index(step.name) + 1
        if event.kind == "choice":
            if event.question != number:
                return Invalid("expired")
            text = event.value
        elif event.kind == "text":
            text = event.text
        else:
            return Invalid("choice")
        if step.kind == "pick":
            return _relationship(text, self.content)
        if step.kind == "score":
            return parse_score(text, 0, 10)
        cleaned = clean_text(text)
        return cleaned


def _relationship(text: str, content: Content) -> str | Invalid:
    folded = text.strip().lower()
    if folded in RELATIONSHIPS:
        return folded
    if folded.isdigit() and 1 <= int(folded) <= len(RELATIONSHIPS):
        return RELATIONSHIPS[int(folded) - 1]
    labels = content.labels("feedback", "relationships")
    for value, label in labels.items():
        if folded == label.lower():
            return value
    return Invalid("choice")
