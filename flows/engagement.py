"""The engagement: an agreed run of sessions, where the leader is in it, and its reminders.

A leader agrees an engagement of 3 to 6 months with a session every `session_interval`
(6 to 12 sessions). Each session says its number ("session 3 of 6"); the midpoint and the
last session are reviews (flows/review.py). After each session three reminders are
planned: the session falls due, then once more a session later (a missed one, noticed
kindly), then a third that asks whether to pause. Holding a session cancels the rest, so
a reminder that finds the next one still waiting knows the one before was missed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from transitions import EventData

from flows import follow_ups, grow, session_reminders
from flows.events import Choice, Reply
from flows.lexicon import NUMBER_WORDS, patterns, phrase_text, words
from flows.parsing import MAX_ANSWER_CHARS, WEEKDAYS, Invalid, clean_text, local_today
from flows.quoting import quote
from flows.records import (
    CheckinResolved,
    CheckinSnoozed,
    EngagementAgreed,
    EngagementDeclined,
    EngagementResized,
    EngagementStatusChanged,
    ReflectionLogged,
    ReflectionsRecalled,
)
from flows.schedule import after, format_local, local_datetime, out_of_quiet_hours
from flows.session_reminders import REMINDER_KINDS, drop_reminders
from flows.settings import ENGAGEMENT_MONTHS_RANGE
from flows.short_answers import choice_in_words, parse_yes_no
from flows.state import FlowData, FlowName, IdleData
from flows.steps import Ask, FlowSpec, Step
from flows.turn import FlowModel, Turn, new_id, new_seed
from flows.views import CheckinView, EngagementView
from flows.when import WhenResult, parse_when

LATER = "later"

STEPS = (
    Step("length", Ask.pick(), on_exit="keep_length"),
    Step("agreed", on_enter="agree"),
    Step("declined", on_enter="decline"),
    # /engagement during one: a new length, or the same.
    Step("change", Ask.pick(), on_exit="keep_length"),
    Step("past_end", Ask.choice("close", "keep", yes="close", no="keep")),
    Step("resized", on_enter="resize"),
    Step("unchanged", on_enter="leave_length"),
    Step("closing", on_enter="close_now"),
)

TRANSITIONS = (
    # trigger   source      dest         condition
    ("answer", "length", "declined", "says_not_now"),
    ("answer", "length", "agreed"),
    ("answer", "change", "unchanged", "keeps_length"),
    ("answer", "change", "past_end", "is_past_new_end"),
    ("answer", "change", "resized"),
    ("answer", "past_end", "closing", "wants_to_close"),
    ("answer", "past_end", "unchanged"),
)


@dataclass
class EngagementData(FlowData):
    seed: int | None = None
    months: int | None = None
    # Where agreeing (or not) leads: "session" starts one now, "menu" goes back to the menu.
    then: str = "session"
    every: str = ""  # the session rhythm in words, for the question
    # Changing a running engagement: which one, its length now and the sessions held.
    engagement_id: str | None = None
    current: int | None = None
    held: int = 0

    planned: int | None = None  # the sessions the length chosen holds

    def wording(self) -> dict[str, object]:
        flow_vars: dict[str, object] = {"every": self.every}
        if self.engagement_id is not None:
            flow_vars.update(current=self.current, held=self.held, months=self.months, planned=self.planned)
        return flow_vars


def ask_to_change(turn: Turn, view: EngagementView) -> None:
    """/engagement while one runs: its length can change (3 to 6 months)."""
    data = EngagementData(
        seed=new_seed(),
        every=every(turn.settings.session_interval),
        engagement_id=view.engagement_id,
        current=view.months,
        held=view.held,
    )
    turn.hand_over(FlowName.ENGAGEMENT, "change", data)


def ask_to_agree(turn: Turn, then: str) -> None:
    """Offer an engagement (a leader set up before engagements existed, or after one ended)."""
    data = EngagementData(seed=new_seed(), then=then, every=every(turn.settings.session_interval))
    turn.hand_over(FlowName.ENGAGEMENT, "length", data)


class EngagementModel(FlowModel[EngagementData]):
    def says_not_now(self, event: EventData) -> bool:
        return event.kwargs["value"] == LATER

    def keeps_length(self, event: EventData) -> bool:
        value = event.kwargs["value"]
        return value == LATER or int(str(value)) == self.data.current

    def is_past_new_end(self, event: EventData) -> bool:
        return self.data.held >= self.turn.settings.sessions_for(int(str(event.kwargs["value"])))

    def wants_to_close(self, event: EventData) -> bool:
        return event.kwargs["value"] == "close"

    def resize(self, event: EventData) -> None:
        months = int(self.data.months or 0)
        view = self._resized(months, self.turn.settings.sessions_for(months))
        self.turn.say("engagement", "resized", **wording(self.turn, view))
        if view.next_number >= view.planned:
            self.turn.say("engagement", "resized", "next_closes", **wording(self.turn, view))
        self.turn.finish()

    def leave_length(self, event: EventData) -> None:
        view = current(self.turn)
        if view is not None:
            self.turn.say("engagement", "resized", "unchanged", **wording(self.turn, view))
        self.turn.finish()

    def close_now(self, event: EventData) -> None:
        """Already past the shorter length's end: the closing review is the next session, now."""
        self._resized(int(self.data.months or 0), self.data.held + 1)
        self.turn.finish()
        begin_session(self.turn, intro=False)

    def _resized(self, months: int, sessions: int) -> EngagementView:
        view = current(self.turn)
        assert view is not None and self.data.engagement_id == view.engagement_id
        self.turn.record(EngagementResized(view.engagement_id, months, sessions))
        resized = replace(view, months=months, planned=sessions)
        # This turn's reads (the status line, a session started now) see the new length.
        self.turn.fresh_engagement = resized
        return resized

    def keep_length(self, event: EventData) -> None:
        value = str(event.kwargs["value"])
        self.data.months = None if value == LATER else int(value)
        if self.data.months is not None:
            self.data.planned = self.turn.settings.sessions_for(self.data.months)

    def agree(self, event: EventData) -> None:
        months = int(self.data.months or self.turn.settings.engagement_months)
        view = agree(self.turn, months)
        self.turn.say("engagement", "agreed", **wording(self.turn, view))
        begin_session(self.turn)

    def decline(self, event: EventData) -> None:
        self.turn.record(EngagementDeclined(new_id()))
        self.turn.say("engagement", "declined")
        if self.data.then == "session":
            _begin_grow(self.turn, None, intro=True)
        else:
            self.turn.finish()

    def pick_choices(self, state: str) -> list[Choice]:
        turn = self.turn
        labels = []
        for months in _lengths():
            label = turn.text(
                "engagement", "length", "label", months=months, sessions=turn.settings.sessions_for(months)
            )
            if months == self.data.current:
                label = turn.text("engagement", "change", "label_now", length=label)
            labels.append(label)
        labels.append(turn.text("engagement", state, "not_now" if state == "length" else "keep"))
        return [Choice(label, str(index)) for index, label in enumerate(labels)]

    def resolve_pick(self, index: int | None, text: str) -> object:
        low, high = ENGAGEMENT_MONTHS_RANGE
        # "4 months", "make it six months": a number typed is months, not a button's position.
        months = _months_in(text)
        if months is not None:
            return str(months) if low <= months <= high else Invalid("choice")
        lengths = _lengths()
        if index is None and self.turn.conv.state == "change" and _keeps(text):
            return LATER
        if index is not None and 0 <= index < len(lengths):
            return str(lengths[index])
        if index is None and self.turn.conv.state == "length":
            # "sure", "sounds good": the usual length; "maybe later", "no thanks": not now.
            said = parse_yes_no(text)
            if said is not None:
                return str(self.turn.settings.engagement_months) if said else LATER
        return LATER if index == len(lengths) else Invalid("choice")


def _months_in(text: str) -> int | None:
    for word in words(text):
        if word.isdigit() and len(word) < 3:
            return int(word)
        if word in NUMBER_WORDS:
            return NUMBER_WORDS[word]
        if word in ("half",) and "year" in text.lower():
            return 6
    return None


def _keeps(text: str) -> bool:
    return parse_yes_no(text) is False or choice_in_words("engagement.change", text, ("keep",)) is not None


def _lengths() -> list[int]:
    low, high = ENGAGEMENT_MONTHS_RANGE
    return list(range(low, high + 1))


FLOW = FlowSpec(FlowName.ENGAGEMENT, STEPS, TRANSITIONS, EngagementModel, EngagementData, first="length")


# where the leader is


def agree(turn: Turn, months: int) -> EngagementView:
    """Record a new engagement of `months` months; returns it as storage will show it."""
    sessions = turn.settings.sessions_for(months)
    view = EngagementView(new_id(), "active", months, sessions, 0, turn.event.now)
    turn.record(EngagementAgreed(view.engagement_id, months, sessions))
    # The lookup answers for what is stored; this turn's engagement is not there yet.
    turn.fresh_engagement = view
    return view


def current(turn: Turn) -> EngagementView | None:
    return turn.fresh_engagement or turn.lookup.engagement()


def in_progress(view: EngagementView | None) -> bool:
    return view is not None and view.status in ("active", "paused")


def midpoint(planned: int) -> int:
    return math.ceil(planned / 2)


def review_kind(view: EngagementView, number: int) -> str | None:
    if number >= view.planned:
        return "closing"
    if number == midpoint(view.planned):
        return "midpoint"
    return None


def every(interval: timedelta) -> str:
    """The session rhythm in words: "2 weeks", "20 seconds"."""
    seconds = int(interval.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def wording(turn: Turn, view: EngagementView, number: int | None = None) -> dict[str, object]:
    engagement_vars: dict[str, object] = {}
    engagement_vars.update(
        months=view.months,
        planned=view.planned,
        number=number if number is not None else view.next_number,
        every=every(turn.settings.session_interval),
    )
    return engagement_vars


def status_line(turn: Turn) -> str | None:
    """The engagement's line in /status, or None for a leader without one."""
    view = current(turn)
    if view is None or view.status == "declined":
        return None
    number = getattr(turn.data, "number", None)
    if view.status == "closed":
        return turn.text("engagement", "status", "closed", **wording(turn, view))
    if view.status == "paused":
        return turn.text("engagement", "status", "paused", **wording(turn, view))
    if turn.conv.flow in (FlowName.GROW, FlowName.REVIEW) and number:
        return turn.text("engagement", "status", "in_session", **wording(turn, view, number))
    return turn.text("engagement", "status", "next", **wording(turn, view))


# starting a session


def begin_session(turn: Turn, *, intro: bool = True) -> None:
    """Start the leader's next session: numbered within their engagement, a review when due.

    A leader with no engagement yet (set up before engagements existed) is asked to agree
    one first.
    """
    view = current(turn)
    if view is None:
        ask_to_agree(turn, then="session")
        return
    if not in_progress(view):
        _begin_grow(turn, None, intro=intro)
        return
    if view.status == "paused":
        turn.record(EngagementStatusChanged(view.engagement_id, "active"))
    number = view.next_number
    lines = [turn.text("engagement", "session_of", **wording(turn, view, number))]
    lines += _recalled_reflections(turn)
    goals = turn.lookup.open_goals()
    kind = review_kind(view, number)
    if kind is not None and goals:
        from flows import review  # review starts GROW sessions itself; imported here to avoid a cycle

        # A review decides afresh about every goal: rework left from the last one is moot.
        turn.follow_ups = []
        turn.say_text("\n\n".join(lines))
        turn.hand_over(FlowName.REVIEW, "rate", review.start_data(turn, view, number, kind, goals))
        return
    if turn.follow_ups:
        # Rework the midpoint review asked for, left part-way: it comes first.
        lines.append(
            turn.text("review", "follow_up_waiting", item=follow_ups.item_text(turn, turn.follow_ups[0]))
        )
        turn.say_text("\n\n".join(lines))
        follow_ups.start_next(turn, view.engagement_id, number)
        return
    _begin_grow(turn, (view, number), intro=intro, lead=lines)


def _begin_grow(
    turn: Turn, numbered: tuple[EngagementView, int] | None, *, intro: bool, lead: list[str] | None = None
) -> None:
    lines = list(lead or [])
    if intro:
        lines.append(turn.text("grow", "intro"))
    if lines:
        turn.say_text("\n\n".join(lines))
    state, data = grow.begin(turn)
    if numbered is not None:
        data.engagement_id, data.number = numbered[0].engagement_id, numbered[1]
    turn.hand_over(FlowName.GROW, state, data)


def _recalled_reflections(turn: Turn) -> list[str]:
    logged = turn.lookup.unrecalled_reflections()
    if not logged:
        return []
    turn.record(ReflectionsRecalled(tuple(r.reflection_id for r in logged)))
    listed = "\n".join(f"• {r.created_at:%d %b}: {quote(r.text, 160)}" for r in logged[-5:])
    return [turn.text("engagement", "reflections", logged=listed)]


# reminders


def reminds(turn: Turn, view: CheckinView) -> bool:
    """A session reminder for a leader in an engagement: sent as a message with buttons."""
    return view.kind in REMINDER_KINDS and in_progress(current(turn))


def remind(turn: Turn, view: CheckinView) -> None:
    """Put the reminder on screen; the leader stays between sessions, free to ignore it."""
    engagement = current(turn)
    assert engagement is not None
    field = {"next_session": "due", "session_again": "missed", "session_pause": "pause"}[view.kind]
    buttons = ("session", "move", "pause_engagement") if view.kind == "session_pause" else ("session", "move")
    labels = turn.content.labels("engagement", "reminder")
    text = turn.text(
        "engagement",
        "reminder",
        field,
        shift=new_seed(),
        days=every(turn.settings.move_by),
        **wording(turn, engagement),
    )
    turn.conv.question_seq += 1
    offered = tuple(Choice(labels[name], f"cmd:{name}") for name in buttons)
    turn.replies.append(Reply(text, offered, "list", turn.conv.question_seq))
    if view.session_id:
        session_reminders.following(turn, view.goal_id, view.session_id, view.kind)
    data = turn.data if isinstance(turn.data, IdleData) else IdleData()
    data.reminder_id = view.checkin_id
    turn.data = data


def start_from_reminder(turn: Turn) -> None:
    reminder = _reminder(turn)
    if reminder is not None:
        turn.record(CheckinResolved(reminder, "started"))
    begin_session(turn)


def move_session(turn: Turn) -> None:
    reminder = _reminder(turn)
    if reminder is None:
        turn.say("errors", "expired")
        return
    zone = turn.conv.profile.timezone or "UTC"
    _move(turn, reminder, after(turn.event.now, turn.settings.move_by, zone))


def move_in_words(turn: Turn, text: str) -> bool:
    """ "Move it to next week", typed while a session reminder is on screen: moved there.

    A day named ("to monday", "next week") keeps the reminder's time of day; without one
    it moves by the usual few days. Anything else is not about moving: False.
    """
    reminder = _reminder(turn)
    said = phrase_text(text)
    if reminder is None or not any(pattern.search(said) for pattern in patterns("session_move_patterns")):
        return False
    zone = turn.conv.profile.timezone or "UTC"
    due = after(turn.event.now, turn.settings.move_by, zone)
    day = _day_named(said, local_today(turn.event.now, zone))
    view = turn.lookup.checkin(reminder)
    if day is not None:
        at = (view.due_at if view is not None else turn.event.now).astimezone(ZoneInfo(zone)).time()
        due = max(local_datetime(day, at, zone), turn.event.now)
    _move(turn, reminder, due)
    if isinstance(turn.data, IdleData):
        turn.data.reminder_id = None
    return True


def start_in_words(turn: Turn, text: str) -> bool:
    """ "Let's start", "yes", "ok let's go", typed while a session reminder is on screen:
    the session starts, as the reminder's button would. Anything else: False."""
    if _reminder(turn) is None:
        return False
    said = phrase_text(text)
    if parse_yes_no(text) is not True and not any(
        pattern.search(said) for pattern in patterns("session_start_patterns")
    ):
        return False
    start_from_reminder(turn)
    return True


def _day_named(said: str, today: date) -> date | None:
    # The words after the last "to", "till", "until", "for" or "on": "move it to next week".
    tail = re.split(r"\b(?:to|till|until|for|on|by|til)\b", said)[-1].strip()
    # "can we do thursday instead": a day named anywhere, with no "to" before it.
    weekday = re.search(rf"\b(?:next |this )?(?:{_FULL_WEEKDAYS})\b", said)
    for candidate in (tail, said, weekday.group(0) if weekday else ""):
        found = parse_when(candidate, today) if candidate else None
        if isinstance(found, WhenResult):
            return found.date
    return None


_FULL_WEEKDAYS = "|".join(day for day in WEEKDAYS if day.endswith("day"))


def _move(turn: Turn, reminder: int, due: datetime) -> None:
    zone = turn.conv.profile.timezone or "UTC"
    due = out_of_quiet_hours(due, zone, turn.settings.quiet_hours)
    turn.record(CheckinSnoozed(reminder, due))
    session_reminders.moved(turn, reminder, due)
    turn.say("engagement", "moved", when=format_local(due, zone))


def pause(turn: Turn) -> None:
    view = current(turn)
    if view is None or view.status != "active":
        turn.say("engagement", "not_active")
        return
    turn.record(EngagementStatusChanged(view.engagement_id, "paused"))
    drop_reminders(turn)
    turn.say("engagement", "paused", **wording(turn, view))


def _reminder(turn: Turn) -> int | None:
    data = turn.data
    return data.reminder_id if isinstance(data, IdleData) else None


# between sessions


def log_reflection(turn: Turn, text: str, now: datetime) -> None:
    """/log: what happened since the last session, kept on the goal worked on most recently."""
    cleaned = clean_text(text)
    if isinstance(cleaned, Invalid) and cleaned.reason == "empty":
        turn.say("engagement", "log_how")
        return
    if isinstance(cleaned, Invalid):
        # Held to the same limit as every other answer: nothing over it is kept.
        turn.say("engagement", "log_too_long", limit=MAX_ANSWER_CHARS)
        return
    if not any(ch.isalnum() for ch in cleaned):
        # "/log 🙂": a feeling with nothing to bring back to a session yet.
        turn.say("engagement", "log_words")
        return
    text = cleaned
    recap = turn.lookup.last_recap()
    goals = turn.lookup.open_goals()
    goal_id = recap.goal_id if recap is not None else goals[0].goal_id if goals else None
    if goal_id is None:
        turn.say("engagement", "log_no_goal")
        return
    goal_text = recap.goal_text if recap is not None else goals[0].text
    turn.record(ReflectionLogged(new_id(), goal_id, text))
    # {goal} is quoted by the turn, like every goal; {logged} is quoted here.
    turn.say("engagement", "logged", goal=goal_text, logged=quote(text, 120))
