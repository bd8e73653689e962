"""The reminders an engagement plans after each session.

Three per session: the next session falls due; once more a session later (the first was
missed, noticed kindly); and a third that asks whether to pause. Holding a session cancels
whichever are still waiting, so a reminder that goes out knows every one before it was
missed. Kept apart from flows/engagement.py so GROW can plan them without a cycle.
"""

from __future__ import annotations

from flows.records import CheckinPlanned, CheckinsCancelled
from flows.schedule import after, out_of_quiet_hours
from flows.turn import Turn

REMINDER_KINDS = ("next_session", "session_again", "session_pause")


def reminders(turn: Turn, goal_id: str, session_id: str, *, committed: bool) -> None:
    """The engagement's reminders after a session, replacing any planned before.

    A committed GROW session has already planned `next_session` with its check-ins.
    """
    zone = turn.conv.profile.timezone or "UTC"
    interval = turn.settings.session_interval
    start = 1 if committed else 0
    for step, kind in enumerate(REMINDER_KINDS[start:], start=start + 1):
        due = out_of_quiet_hours(
            after(turn.event.now, interval * step, zone), zone, turn.settings.quiet_hours
        )
        turn.record(CheckinPlanned(goal_id, session_id, kind, due))


def drop_reminders(turn: Turn) -> None:
    turn.record(CheckinsCancelled(kinds=REMINDER_KINDS))
