"""Shared fixtures, and each test's kind. The database fixtures run each test on SQLite and
on PostgreSQL.

A test's kind is the directory it is in: unit/ (no database, no subprocess), storage/
(database fixtures), e2e/ (the real bot in processes, the emulator, the terminal script).
The emulator's own tests, directly under tests/, count as e2e. `make test-fast` runs `-m unit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.support.databases import database_url_for

TESTS = Path(__file__).resolve().parent
KINDS = ("unit", "storage", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        item.add_marker(folder if folder in KINDS else "e2e")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database, private to this test."""
    yield from database_url_for(request.param, tmp_path)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An upgraded `Database` on the test's own database."""
    db = Database(database_url)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()
