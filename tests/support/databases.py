"""Empty databases for tests: a SQLite file, or a fresh PostgreSQL schema when
GROW_COACH_TEST_DATABASE_URL names a server (scripts/pg-test-server starts one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

PG_URL_VARIABLE = "GROW_COACH_TEST_DATABASE_URL"


def postgres_schema(base: str) -> Iterator[str]:
    """A fresh schema per test, first on the search_path, so every table the test
    creates (Alembic's version table too) lands in it and goes with it."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    # NullPool: a connection kept from before a server restart would fail the teardown.
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        # A session time zone other than UTC makes PostgreSQL hand back timestamps in
        # +05:30, proving storage converts them to UTC rather than relying on the server.
        options = f"-csearch_path={schema} -ctimezone=Asia/Kolkata"
        url = make_url(base).update_query_dict({"options": options})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def database_url_for(kind: str, directory: Path) -> Iterator[str]:
    """An empty database for a whole module of tests: a SQLite file, or a fresh PostgreSQL
    schema (skipped without GROW_COACH_TEST_DATABASE_URL), as the `database_url` fixture makes per test."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'grow-coach.db'}"
        return
    yield from postgres_or_skip(
        "PostgreSQL tests need GROW_COACH_TEST_DATABASE_URL; "
        "run them with: scripts/pg-test-server run -- make test"
    )


def postgres_or_skip(reason: str) -> Iterator[str]:
    """A fresh PostgreSQL schema on the server GROW_COACH_TEST_DATABASE_URL names; the
    test is skipped for `reason` without one."""
    base = os.environ.get(PG_URL_VARIABLE)
    if not base:
        pytest.skip(reason)
    yield from postgres_schema(base)
