"""Alembic environment: runs on the connection `Database.upgrade()` hands over.

With no connection given (the `alembic` command line, e.g. for autogenerate) it
connects to GROW_COACH_DATABASE_URL itself.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables when needed.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = os.environ.get("GROW_COACH_DATABASE_URL")
    if not url:
        raise SystemExit("set GROW_COACH_DATABASE_URL to run Alembic from the command line")
    engine = create_engine(url)
    try:
        with engine.begin() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_online()
