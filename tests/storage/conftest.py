"""Fixtures for the encryption tests: a process-wide key ring and the notes table."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from storage.encryption import KeyRing, set_keyring
from tests.storage.encryption_support import metadata


@pytest.fixture
def keyring() -> Iterator[KeyRing]:
    ring = KeyRing(os.urandom(32))
    set_keyring(ring)
    try:
        yield ring
    finally:
        set_keyring(None)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    # hide_parameters as storage.db sets it: an error must not carry an answer into a log.
    engine = create_engine(database_url, hide_parameters=True)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
