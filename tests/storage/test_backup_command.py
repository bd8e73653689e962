"""`grow-coach admin backup`: what the operator sees, and the file it leaves."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from bot.operations.backup_command import add_backup_command, run_backup


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="grow-coach")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("admin").add_subparsers(dest="admin_command", required=True)
    add_backup_command(admin)
    return parser.parse_args(argv)


def test_backup_writes_the_copy_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "grow-coach.db"
    with sqlite3.connect(source) as connection:
        connection.execute("CREATE TABLE goals (text TEXT)")
        connection.execute("INSERT INTO goals VALUES ('Delegate the quarterly report to Sam')")
    args = _parse(["admin", "backup", str(tmp_path / "copy.db")])
    assert run_backup(f"sqlite:///{source}", args.file, overwrite=args.overwrite) == 0
    assert capsys.readouterr().out == f"Backed up the database to {tmp_path / 'copy.db'}\n"
    with sqlite3.connect(tmp_path / "copy.db") as connection:
        assert connection.execute("SELECT text FROM goals").fetchall() == [
            ("Delegate the quarterly report to Sam",)
        ]

    # A second run does not replace the first copy without --overwrite.
    assert run_backup(f"sqlite:///{source}", args.file) == 1
    assert "already exists" in capsys.readouterr().err
    again = _parse(["admin", "backup", "--overwrite", str(tmp_path / "copy.db")])
    assert run_backup(f"sqlite:///{source}", again.file, overwrite=again.overwrite) == 0


def test_postgresql_gets_one_line_pointing_to_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_backup("postgresql+psycopg://coach:pw@db/grow", tmp_path / "x.db") == 1
    err = capsys.readouterr().err
    assert err.startswith("grow-coach admin backup: ") and "pg_dump" in err
    assert err.count("\n") == 1 and ":pw@" not in err
