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

from storage.db import KEY_VARIABLE, Database
from storage.encryption import KeyRing, generate_key, parse_key, set_keyring
from tests.support.databases import database_url_for

TESTS = Path(__file__).resolve().parent
KINDS = ("unit", "storage", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        item.add_marker(folder if folder in KINDS else "e2e")


@pytest.fixture(scope="session", autouse=True)
def encryption_key() -> Iterator[str]:
    """A new key for this test run, in the environment: `grow-coach` subprocesses (a
    module's bot lives across tests) store under it, and a `Database` opened here
    without keys reads with it. A subprocess given a cleaned environment on SQLite
    makes its own key file instead, which a `Database` opened here then picks up."""
    with pytest.MonkeyPatch.context() as patch:
        key = generate_key()
        patch.setenv(KEY_VARIABLE, key)
        yield key


@pytest.fixture(autouse=True)
def no_keyring_left_behind() -> Iterator[None]:
    """A test's keys (given to a `Database`, or found in a key file) end with it: the
    next test's `Database` finds its own."""
    yield
    set_keyring(None)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database, private to this test."""
    yield from database_url_for(request.param, tmp_path)


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """An upgraded `Database` on the test's own database, under a key of its own (also
    in the environment, for the processes the test starts)."""
    key = generate_key()
    monkeypatch.setenv(KEY_VARIABLE, key)
    db = Database(database_url, keyring=KeyRing(parse_key(key)))
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()
        set_keyring(None)
