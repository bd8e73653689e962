"""Every stored row that refers to one leader, found from the schema rather than listed.

/export copies these rows and /delete removes them. Both walk `Base.metadata`, so a
table added later is covered the day it gets a foreign key to `users.id`; a table
without one must be named in `LEADER_FREE` with the reason it can hold nothing about
a leader, or `tests/storage/test_privacy.py` fails.

The leader's own `users` row goes too: after /delete nothing keeps their Telegram id,
name or dates. Update-id dedupe needs no row of theirs: its rows hang off the users
row and go with it, and a leader who writes again is a new leader (see
`bot.coaching.service`, which also keeps a bare button press from an unknown chat
from creating one).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Base, LeaderRow

USERS: Table = LeaderRow.__table__  # type: ignore[assignment]

# Tables that hold no leader id, each with the reason and how they are still covered.
LEADER_FREE: dict[str, str] = {
    "feedback_responses": (
        "stakeholders' answers: they hang off feedback_rounds, not users, and are erased with "
        "the leader's rounds (storage.feedback.erase_rounds); kept out of the leader's /export, "
        "which must never show one person's answer"
    ),
    "seen_stakeholder_updates": (
        "keyed hashes of (chat, update id) for updates the stakeholder path handled, kept two "
        "days so a Telegram redelivery is dropped; no id, no link to any other table"
    ),
    "update_inbox": (
        "updates received by one of several webhook workers and not yet handled (seconds): keyed "
        "by chat, as the sender may not be a leader yet; each row is deleted once handled, the "
        "payload encrypted (storage.update_inbox)"
    ),
    "leader_turns": (
        "which worker handles a chat's pending updates: no words, and the row is deleted with "
        "the chat's last pending update (storage.update_inbox)"
    ),
    "send_pace": "when the next check-in may go out, for the whole bot: nothing about anyone",
}


def leader_columns(table: Table) -> list[Column[Any]]:
    """The columns of `table` that point at a users row."""
    return [
        column for column in table.columns if any(key.column is USERS.c.id for key in column.foreign_keys)
    ]


def leader_tables() -> list[Table]:
    """Tables holding rows about a leader, parents before children; users first."""
    return [USERS, *(t for t in Base.metadata.sorted_tables if t is not USERS and leader_columns(t))]


def unaccounted_tables() -> list[str]:
    """Tables neither reached from users nor declared leader-free: a privacy gap."""
    reached = {table.name for table in leader_tables()}
    return sorted(
        table.name
        for table in Base.metadata.sorted_tables
        if table.name not in reached and table.name not in LEADER_FREE
    )


def _about(table: Table, user_id: int) -> ColumnElement[bool]:
    if table is USERS:
        return USERS.c.id == user_id
    return or_(*(column == user_id for column in leader_columns(table)))


def rows_about(session: Session, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the leader, table by table, as JSON-ready values."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in leader_tables():
        statement = select(table).where(_about(table, user_id)).order_by(*table.primary_key.columns)
        found[table.name] = [
            {key: _plain(value) for key, value in row.items()}
            for row in session.execute(statement).mappings()
        ]
    return found


def erase_leader(session: Session, user_id: int) -> None:
    """Delete every row about the leader, their users row last.

    Children go before parents, so nothing leans on ON DELETE CASCADE (off in a SQLite
    connection that forgot its pragma). An invite the leader redeemed is deleted
    rather than unlinked: a deleted code can no more be used again than a spent one,
    and no row is left saying when someone joined.
    """
    # What the ORM holds goes out first; afterwards its copies of the deleted rows are
    # dropped, so no later flush can touch them.
    session.flush()
    for table in reversed(leader_tables()):
        session.execute(delete(table).where(_about(table, user_id)))
    session.expunge_all()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value
