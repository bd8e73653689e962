"""The reminders an engagement plans after each session.

After each session one reminder is planned for when the next falls due. Sending it plans
the next one a session later (the first was missed: noticed kindly), and sending that
plans a third, which asks whether to pause. Holding a session cancels whichever is still
waiting, so a reminder that goes out knows every one before it was missed. Kept apart
from flows/engagement.py so GROW can plan them without an import cycle.
"""

from __future__ import annotations

from datetime import datetime

from flows.records import CheckinPlanned, CheckinsCancelled, CheckinSnoozed
from flows.schedule import after, out_of_quiet_hours
from flows.turn import Turn

REMINDER_KINDS = ("next_session", "session_again", "session_pause")
# Enough to find a moved session's later reminders behind every check-in planned before them.
LOOKED_AT = 100


def reminders(turn: Turn, goal_id: str, session_id: str, *, committed: bool) -> None:
    """The engagement's next-session reminder after a session, replacing any planned before.

    A committed GROW session has already planned it with its check-ins; the others (a
    commitment under 8, a review) plan it here, so the engagement never stalls.
    """
    if committed:
        return
    due = _a_session_after(turn, turn.event.now)
    turn.record(CheckinPlanned(goal_id, session_id, REMINDER_KINDS[0], due))


def following(turn: Turn, goal_id: str, session_id: str, kind: str) -> None:
    """Delivering a reminder plans the next one a session later, in case this one is missed."""
    position = REMINDER_KINDS.index(kind)
    if position + 1 >= len(REMINDER_KINDS):
        return
    later = _a_session_after(turn, turn.event.now)
    # On the session that planned the first: (session, kind) is unique, so a reminder that
    # comes back after "move it" does not plan its follower twice.
    turn.record(CheckinPlanned(goal_id, session_id, REMINDER_KINDS[position + 1], later))


def moved(turn: Turn, reminder_id: int, due: datetime) -> None:
    """A session moved to `due`: its later reminders count from the new date, not the old.

    Delivering a reminder planned the next one a session after the old date; left there,
    a session moved by a few days would be called missed a few days early.
    """
    reminder = turn.lookup.checkin(reminder_id)
    if reminder is None or not reminder.session_id or reminder.kind not in REMINDER_KINDS:
        return
    position = REMINDER_KINDS.index(reminder.kind)
    later = [
        view
        for view in turn.lookup.pending_checkins(LOOKED_AT)
        if view.session_id == reminder.session_id
        and view.kind in REMINDER_KINDS
        and REMINDER_KINDS.index(view.kind) > position
    ]
    for view in later:
        steps = REMINDER_KINDS.index(view.kind) - position
        at = due
        for _ in range(steps):
            at = _a_session_after(turn, at)
        turn.record(CheckinSnoozed(view.checkin_id, at))


def drop_reminders(turn: Turn) -> None:
    turn.record(CheckinsCancelled(kinds=REMINDER_KINDS))


def _a_session_after(turn: Turn, moment: datetime) -> datetime:
    """One session interval after `moment` in the leader's zone, moved out of quiet hours."""
    zone = turn.conv.profile.timezone or "UTC"
    due = after(moment, turn.settings.session_interval, zone)
    return out_of_quiet_hours(due, zone, turn.settings.quiet_hours)
