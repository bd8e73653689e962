"""Tests for scripts/pg-test-server, which runs a throwaway PostgreSQL for tests."""

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg-test-server"
URL_RE = re.compile(r"postgresql\+psycopg://postgres@127\.0\.0\.1:(\d+)/grow_coach_test")

pytestmark = pytest.mark.skipif(
    shutil.which("initdb") is None and not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
    reason="PostgreSQL's initdb is not installed (neither on PATH nor in /usr/lib/postgresql)",
)

# Runs inside `pg-test-server run`, so it sees the exported URL.
PROBE = """
import os, psycopg
url = os.environ["GROW_COACH_TEST_DATABASE_URL"]
with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
    print("select 1 ->", conn.execute("select 1").fetchone()[0])
    print("data_directory", conn.execute("show data_directory").fetchone()[0])
print("url", url)
"""


def script(*args: str, state: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PG_TEST_STATE"}
    if state is not None:
        env["PG_TEST_STATE"] = str(state)
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def select_one(url: str) -> int:
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        row = conn.execute("select 1").fetchone()
    assert row is not None
    return row[0]


def test_run_gives_a_working_database_and_removes_it_afterwards() -> None:
    result = script("run", "--", sys.executable, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[0] == "select 1 -> 1"
    match = URL_RE.fullmatch(lines["url"])
    assert match is not None, lines["url"]
    assert not port_open(int(match.group(1)))
    assert not Path(lines["data_directory"]).parent.exists()


def test_run_exits_with_the_commands_status_and_still_cleans_up(tmp_path: Path) -> None:
    state = tmp_path / "state"
    code = "import os, sys; print(os.environ['GROW_COACH_TEST_DATABASE_URL']); sys.exit(3)"
    result = script("run", "--", sys.executable, "-c", code, state=state)
    assert result.returncode == 3, result.stderr
    match = URL_RE.fullmatch(result.stdout.strip())
    assert match is not None, result.stdout
    assert not port_open(int(match.group(1)))
    assert not state.exists()


def test_start_restart_stop(tmp_path: Path) -> None:
    state = tmp_path / "state"
    started = script("start", state=state)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    match = URL_RE.fullmatch(url)
    assert match is not None, started.stdout  # stdout holds the URL and nothing else
    port = int(match.group(1))
    try:
        assert select_one(url) == 1
        again = script("start", state=state)
        assert again.returncode == 1
        assert "already running" in again.stderr
        restarted = script("restart", state=state)
        assert restarted.returncode == 0, restarted.stderr
        assert select_one(url) == 1  # same port, same database
    finally:
        stopped = script("stop", state=state)
    assert stopped.returncode == 0, stopped.stderr
    assert not port_open(port)
    assert not state.exists()


def test_restart_without_a_server_fails_clearly(tmp_path: Path) -> None:
    result = script("restart", state=tmp_path / "state")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("pg-test-server: no test server is running")


def test_usage() -> None:
    result = script("run", "--")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("pg-test-server: usage:")
