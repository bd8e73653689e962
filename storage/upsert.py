"""INSERT ... ON CONFLICT for whichever dialect the session is bound to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, bindparam, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement


def insert_ignoring(session: Session, model: type[Any] | Table, conflict: list[str], **values: Any) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True if inserted.

    Checking first and then inserting would let two processes both pass the check;
    the database settles the race instead.
    """
    table = model if isinstance(model, Table) else model.__table__
    dialect = session.get_bind().dialect.name
    if any(isinstance(value, ClauseElement) for value in values.values()):
        # A value computed by the database (func.clock_timestamp()) goes into the SQL itself.
        inline = _insert(dialect)(table).values(**values)
        return session.execute(_ignoring(inline, conflict)).first() is not None
    statement = _statement(dialect, table, tuple(conflict), tuple(values))
    return session.execute(statement, values).first() is not None


@cache
def _statement(dialect: str, table: Table, conflict: tuple[str, ...], columns: tuple[str, ...]) -> Insert:
    # Built once per shape: seen_updates takes one on every answer, and building the
    # statement cost more CPU than SQLite took to run it (bench/README.md, "Figures
    # behind the code").
    statement = _insert(dialect)(table).values(
        {column: bindparam(column, type_=table.c[column].type) for column in columns}
    )
    return _ignoring(statement, conflict)


def _insert(dialect: str) -> Callable[[Table], Any]:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _ignoring(statement: Any, conflict: Sequence[str]) -> Insert:
    # RETURNING rather than rowcount, which psycopg leaves at -1 for this INSERT.
    ignoring: Insert = statement.on_conflict_do_nothing(index_elements=list(conflict)).returning(
        literal_column("1")
    )
    return ignoring
