"""bot.config.database_url must agree with SQLAlchemy's make_url(), which it stands in for."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.config.database_url import parse_database_url

# URLs that SQLAlchemy renders back exactly as written.
ORDINARY = [
    "sqlite://",
    "sqlite:///relative.db",
    "sqlite:///data/dir/grow-coach.db",
    "sqlite:////absolute/path/grow-coach.db",
    "sqlite+pysqlite:////absolute/path.db",
    "postgresql://h/db",
    "postgresql://h",
    "postgresql://h/",
    "postgresql+psycopg://coach:pw@db:5432/grow",
    "postgresql://coach@db/grow",
    "postgresql://coach:@db/grow",
    "postgresql://u:p%40ss%2Fw%3Ard%25@h/db",
    "postgresql://u%40corp:secret@h/db",
    "postgresql://u:pa+ss word@h/db",
    "postgresql://u:pw@[::1]:5432/db",
    "postgresql://u:pw@[2001:db8::1]/db",
    "postgresql://u:pw@:5432/db",
    "postgresql://u:pw@h:5432/db?application_name=coach&sslmode=require",
    # An unencoded "@" ends the password early; SQLAlchemy reads the rest as the host.
    "postgresql+psycopg://u:p@ss@h/db",
]

# URLs that SQLAlchemy re-quotes, re-orders or trims when rendering them.
UNUSUAL = [
    "sqlite:///:memory:",
    "sqlite:///C:/x.db",
    "postgresql://u:p!w@h/db",
    "postgresql://u:p:w@h/db",
    "postgresql://u:pw@h/d%20b",
    "postgresql://h:05432/db",
    "postgresql://h: 5432 /db",
    "postgresql://h:٥٤٣٢/db",
    "postgresql://h/db?b=2&a=1&a=0&empty=",
    "postgresql:///db?host=/run/postgresql",
    "postgresql://u:pw@h/db?sslmode=require\nignored=1",
    "Odd_Name+x://h",
]

MALFORMED = [
    "",
    "not a url",
    "://x",
    "postgresql:/h/db",
    "postgresql-x://h/db",
    "postgresql://h:notaport/db",
    "postgresql://h:/db",
    "postgresql://u:pw@h:5432x/db",
    "postgresql://[::1/db",
]


def _masked(url: URL) -> URL:
    return url if url.password is None else url.set(password="***")


@pytest.mark.parametrize("text", ORDINARY + UNUSUAL)
def test_same_url_as_sqlalchemy(text: str) -> None:
    expected = make_url(text)
    parsed = parse_database_url(text)
    assert parsed.drivername == expected.drivername
    assert make_url(parsed.with_drivername("postgresql+psycopg")) == expected.set(
        drivername="postgresql+psycopg"
    )
    assert make_url(parsed.masked()) == _masked(expected)


@pytest.mark.parametrize("text", ORDINARY)
def test_same_string_as_sqlalchemy(text: str) -> None:
    expected = make_url(text)
    parsed = parse_database_url(text)
    assert parsed.with_drivername("postgresql+psycopg") == expected.set(
        drivername="postgresql+psycopg"
    ).render_as_string(hide_password=False)
    assert parsed.masked() == expected.render_as_string(hide_password=True)


def test_keeps_the_spelling_sqlalchemy_would_change() -> None:
    parsed = parse_database_url("postgresql://u:p!w@h:05432/db?b=2&a=1")
    assert parsed.with_drivername("postgresql+psycopg") == "postgresql+psycopg://u:p!w@h:05432/db?b=2&a=1"
    assert parsed.masked() == "postgresql://u:***@h:05432/db?b=2&a=1"
    assert parse_database_url("sqlite:///:memory:").masked() == "sqlite:///:memory:"


@pytest.mark.parametrize("text", MALFORMED)
def test_rejects_what_sqlalchemy_rejects(text: str) -> None:
    with pytest.raises((ArgumentError, ValueError)):
        make_url(text)
    with pytest.raises(ValueError):
        parse_database_url(text)


def test_config_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, bot.config.loader;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
