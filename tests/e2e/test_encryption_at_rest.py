"""Encryption at rest through the real `grow-coach` script: what a leader wrote never sits
in the database in clear, the bot still reads it back, and keys can be changed.

The leader's answers use words that appear nowhere else (names, months, odd nouns), so
a raw scan of the database that finds none of them shows the text is not stored as is.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Text, column, inspect, make_url, select, table, text, update

from devtools.bot_process import TOKEN, BotProcess, bot_env
from devtools.telegram_emulator import BotApiEmulator
from storage.db import KEY_VARIABLE, Database, alembic_config
from storage.encryption import KeyRing, generate_key, key_id_of, parse_key
from storage.encryption_keys import key_file_for
from storage.key_rotation import encrypted_columns, key_census
from storage.models import Base
from tests.support.bot_harness import CONSENT, Leader, Store
from tests.support.databases import PG_URL_VARIABLE, postgres_or_skip

OLD_KEYS_VARIABLE = "GROW_COACH_PRIVACY_OLD_ENCRYPTION_KEYS"
NAME = "Zephyrine"
GOAL = "stop postponing retrospectives with Quillon"
# Answers in the order the coach asks for them (a first-time manager, a concrete goal):
# what will show it, by when, a recent situation, what was tried, the cost, the score.
REALITY = [
    "Quillon says by March that retrospectives feel useful",
    "before the Hogmanay break",
    "I cancelled two retrospectives in October",
    "moved them to Thursdays",
    "morale slips",
    "4",
]
OPTIONS = ["rehearse with Marguerite", "book a fortnightly slot", "draft an agenda template", "skip", "2"]
WILL = [
    "message Quillon about the agenda",
    "friday",
    "Marguerite",
    "deadlines piling up",
    "if deadlines pile up then I shorten it",
    "9",
]
TERMINAL_SESSION = ["hi", "1", NAME, "first time", "UTC", GOAL, *REALITY, *OPTIONS, *WILL]
LEADERS_WORDS = [
    "Zephyrine",
    "Quillon",
    "Hogmanay",
    "retrospectives",
    "postponing",
    "October",
    "Thursdays",
    "morale",
    "Marguerite",
    "fortnightly",
    "agenda",
    "deadlines",
    "shorten",
]
TARGETS = encrypted_columns(Base.metadata)


# --- helpers -------------------------------------------------------------------------------


def grow_coach(
    env: dict[str, str], *args: str, lines: Sequence[str] = (), cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("grow-coach")), *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def cli_env(data_dir: Path, database_url: str, key: str | None, old: Sequence[str] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROW_COACH_")}
    env.update(GROW_COACH_DATA_DIR=str(data_dir), GROW_COACH_DATABASE_URL=database_url)
    if key is not None:
        env[KEY_VARIABLE] = key
    if old:
        env[OLD_KEYS_VARIABLE] = ",".join(old)
    return env


def chat(env: dict[str, str], lines: Sequence[str], cwd: Path) -> str:
    result = grow_coach(env, "chat", lines=lines, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


def status_shows_the_goal(env: dict[str, str], cwd: Path) -> None:
    assert GOAL in chat(env, ["/status"], cwd)


def sqlite_bytes(database_url: str) -> str:
    """The database file with its WAL and shared-memory files, as one text."""
    path = Path(make_url(database_url).database or "")
    files = sorted(path.parent.glob(path.name + "*"))
    assert path in files
    return b"".join(file.read_bytes() for file in files if file.suffix != ".key").decode("utf-8", "replace")


def raw_rows(database_url: str, keyring: KeyRing) -> str:
    """Every row of every table as the database holds it (SQL, no decryption)."""
    db = Database(database_url, keyring=keyring)
    try:
        with db.engine.connect() as connection:
            # The tables this database has: an older schema lacks later revisions' tables.
            names = inspect(connection).get_table_names()
            return "\n".join(
                str(row) for name in names for row in connection.execute(text(f'SELECT * FROM "{name}"'))
            )
    finally:
        db.dispose()


def raw_database(database_url: str, keyring: KeyRing) -> str:
    if make_url(database_url).get_backend_name() == "sqlite":
        return sqlite_bytes(database_url)
    return raw_rows(database_url, keyring)


def leaders_words_in(haystack: str) -> list[str]:
    return [word for word in LEADERS_WORDS if word in haystack]


def census(database_url: str, keyring: KeyRing) -> dict[str | None, int]:
    db = Database(database_url, keyring=keyring)
    try:
        return dict(key_census(db.engine, TARGETS))
    finally:
        db.dispose()


def id_of(key: str) -> str:
    return key_id_of(parse_key(key))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_or_skip(f"needs {PG_URL_VARIABLE}; run with: scripts/pg-test-server run -- make test")


# --- Telegram, SQLite, no key configured -----------------------------------------------------


async def telegram_session(leader: Leader) -> None:
    await leader.send("/start", expect=1)
    await leader.press(CONSENT, expect=1)
    # Some answers are read back before the next question: each turn lasts until the
    # chat goes quiet, however many messages it takes.
    await leader.send(NAME, settle=0.5)
    await leader.press("First-time manager", expect=1)
    await leader.press("UTC", settle=0.5)
    for answer in [GOAL, *REALITY, *OPTIONS, *WILL[:-1]]:
        await leader.send(answer, settle=0.5)
    await leader.send(WILL[-1])
    await leader.emulator.wait_for(lambda: "9/10" in (leader.last().text or ""), timeout=20)


@pytest.mark.asyncio
async def test_a_telegram_session_leaves_none_of_the_leaders_words_in_the_sqlite_files(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'db' / 'grow-coach.db'}"
    key_file = key_file_for(tmp_path / "db" / "grow-coach.db")
    log = tmp_path / "bot.log"
    async with BotApiEmulator(token=TOKEN) as emulator:
        env = bot_env(emulator, database_url, tmp_path / "data")
        env.pop(KEY_VARIABLE, None)  # no key configured: the bot makes its key file
        bot = await BotProcess(env, log).start()
        try:
            await emulator.wait_for(lambda: emulator.commands, timeout=30)
            leader = Leader(emulator, 4401, "Ana", settle=0.2)
            await telegram_session(leader)
            # Read back by the bot itself: /status quotes the goal.
            replies = await leader.send("/status", expect=1)
            assert GOAL in (replies[-1].text or "")
            # While the bot runs, the newest pages sit in the WAL file: it is scanned too.
            assert leaders_words_in(sqlite_bytes(database_url)) == []
        finally:
            await bot.stop()
        scanned = sqlite_bytes(database_url)
        assert leaders_words_in(scanned) == []
        assert "will_if_then" in scanned  # a plain column (the step) is found: the scan works
        assert leaders_words_in(log.read_text()) == []

        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        created = [line for line in log.read_text().splitlines() if "created a new encryption key" in line]
        assert len(created) == 1 and str(key_file) in created[0]

        # Restarted, the bot finds its key file again (and says nothing new about it).
        bot = await BotProcess(env, log).start()
        try:
            replies = await leader.send("/status", expect=1)
            assert GOAL in (replies[-1].text or "")
        finally:
            await bot.stop()
        assert sum("created a new encryption key" in line for line in log.read_text().splitlines()) == 1

    # This process finds the key file as well and reads what the bot stored.
    store = Store(database_url)
    assert store.goals(4401) == [GOAL]
    user = store.user(4401)
    assert user is not None and user.name == NAME
    assert ("will_action", WILL[0]) in store.answers(4401)


# --- key rotation through the command line ----------------------------------------------------


def test_keys_rotate_moves_everything_to_the_new_key_and_the_bot_reads_it(
    database_url: str, tmp_path: Path
) -> None:
    key_a = generate_key()
    chat(cli_env(tmp_path, database_url, key_a), TERMINAL_SESSION, tmp_path)
    stored = census(database_url, KeyRing(parse_key(key_a)))
    values = sum(stored.values())
    assert stored == {id_of(key_a): values} and values > 20

    made = grow_coach(cli_env(tmp_path, database_url, None), "keys", "new")
    assert made.returncode == 0
    key_b = made.stdout.strip()
    assert parse_key(key_b) and key_b != key_a

    # The new key current, the old one listed for reading: the bot runs on like this
    # while the rotation goes on.
    both = cli_env(tmp_path, database_url, key_b, [key_a])
    status_shows_the_goal(both, tmp_path)
    before = grow_coach(both, "keys", "status")
    assert before.returncode == 0, before.stderr
    assert f"key {id_of(key_a)} (an old key, still configured for reading)" in before.stdout

    rotated = grow_coach(both, "keys", "rotate", "--batch-size", "3")
    assert rotated.returncode == 0, rotated.stderr
    assert f"value(s) re-encrypted under key {id_of(key_b)}" in rotated.stdout
    after = grow_coach(both, "keys", "status")
    assert "everything is under the current key" in after.stdout
    assert f"key {id_of(key_a)} (an old key no value needs any more: it may be removed)" in after.stdout
    for output in (before, rotated, after):
        assert leaders_words_in(output.stdout + output.stderr) == []
        assert key_a not in output.stdout + output.stderr and key_b not in output.stdout + output.stderr

    assert census(database_url, KeyRing(parse_key(key_b))) == {id_of(key_b): values}
    # The old key is no longer needed: the bot reads everything with the new one alone.
    status_shows_the_goal(cli_env(tmp_path, database_url, key_b), tmp_path)
    assert leaders_words_in(raw_database(database_url, KeyRing(parse_key(key_b)))) == []


def decrypt_in_place(database_url: str, keyring: KeyRing) -> None:
    """Turn the database back into one written before encryption existed: its schema,
    every free-text value in clear."""
    db = Database(database_url, keyring=keyring)
    try:
        with db.engine.begin() as connection:
            # Back to the schema before encryption (0004 made conversations.data TEXT);
            # the columns of later revisions go with it.
            command.downgrade(alembic_config(connection), "0003")
            present = {
                (name, c["name"]) for name in inspect(connection).get_table_names()
                for c in inspect(connection).get_columns(name)
            }
            for target in TARGETS:
                if target.context == "conversations.data" or (target.table, target.column) not in present:
                    continue
                key, value = column(target.primary_key), column(target.column, Text)
                rows = table(target.table, key, value)
                for row_key, stored in connection.execute(select(key, value).where(value.is_not(None))):
                    plain = keyring.decrypt(stored, target.context)
                    connection.execute(update(rows).where(key == row_key).values({target.column: plain}))
    finally:
        db.dispose()


def test_a_database_from_before_encryption_keeps_working_and_rotate_encrypts_it(
    database_url: str, tmp_path: Path
) -> None:
    first = generate_key()
    chat(cli_env(tmp_path, database_url, first), TERMINAL_SESSION, tmp_path)
    decrypt_in_place(database_url, KeyRing(parse_key(first)))
    assert leaders_words_in(raw_rows(database_url, KeyRing(parse_key(first)))) == LEADERS_WORDS

    # The upgraded bot, with a key of its own, migrates and reads the old plain text.
    key = generate_key()
    env = cli_env(tmp_path, database_url, key)
    status_shows_the_goal(env, tmp_path)
    status = grow_coach(env, "keys", "status")
    assert "plain text, written before encryption" in status.stdout
    assert leaders_words_in(status.stdout) == []

    rotated = grow_coach(env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    stored = census(database_url, KeyRing(parse_key(key)))
    assert list(stored) == [id_of(key)]
    assert leaders_words_in(raw_database(database_url, KeyRing(parse_key(key)))) == []
    status_shows_the_goal(env, tmp_path)


# --- start-up errors --------------------------------------------------------------------------


@pytest.mark.parametrize("command_line", [["migrate"], ["run"]])
def test_postgresql_without_a_key_stops_with_one_line(
    postgres_url: str, tmp_path: Path, command_line: list[str]
) -> None:
    env = cli_env(tmp_path, postgres_url, None)
    # `run` with a token does its database work in service processes: their error
    # reaches the operator the same way. No Telegram call is made before it.
    env.update(GROW_COACH_TELEGRAM_TOKEN=TOKEN, GROW_COACH_TELEGRAM_BASE_URL="http://127.0.0.1:9/bot")
    result = grow_coach(env, *command_line)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "grow-coach: privacy.encryption_key: PostgreSQL needs [privacy] encryption_key"
    )
    assert "grow-coach keys new" in lines[0]


@pytest.mark.parametrize(
    "bad", ["not a key", "c2hvcnQ=", generate_key()[:-2]], ids=["words", "short", "truncated"]
)
def test_a_malformed_key_stops_start_up_without_echoing_it(tmp_path: Path, bad: str) -> None:
    env = cli_env(tmp_path, f"sqlite:///{tmp_path / 'grow-coach.db'}", bad)
    result = grow_coach(env, "migrate")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"grow-coach: {KEY_VARIABLE}: expected 32 random bytes in base64")
    assert bad not in result.stderr
    assert not (tmp_path / "grow-coach.db").exists()


def test_keys_new_needs_no_configuration(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROW_COACH_")}
    (tmp_path / "config.toml").write_text("[privacy]\nencryption_key = 42\n")
    made = [grow_coach(env, "keys", "new", cwd=tmp_path).stdout.strip() for _ in range(2)]
    assert made[0] != made[1]
    assert all(len(parse_key(key)) == 32 for key in made)


def test_an_old_key_file_stays_readable_after_a_key_is_configured(tmp_path: Path) -> None:
    """A team that started on the key file, then configured a key: nothing is lost."""
    database_url = f"sqlite:///{tmp_path / 'grow-coach.db'}"
    chat(cli_env(tmp_path, database_url, None), TERMINAL_SESSION, tmp_path)
    file_key = key_file_for(tmp_path / "grow-coach.db").read_text().strip()
    key = generate_key()
    env = cli_env(tmp_path, database_url, key)
    status_shows_the_goal(env, tmp_path)
    assert grow_coach(env, "keys", "rotate").returncode == 0
    assert list(census(database_url, KeyRing(parse_key(key)))) == [id_of(key)]
    key_file_for(tmp_path / "grow-coach.db").unlink()
    status_shows_the_goal(env, tmp_path)
    assert id_of(file_key) != id_of(key)


def test_rotation_while_the_bot_writes(database_url: str, tmp_path: Path) -> None:
    """`keys rotate` runs beside a chat that is writing; both finish and all reads back."""
    old, new = generate_key(), generate_key()
    chat(cli_env(tmp_path, database_url, old), TERMINAL_SESSION, tmp_path)
    env = cli_env(tmp_path, database_url, new, [old])

    async def both() -> None:
        async def run(*args: str, lines: Sequence[str] = ()) -> int:
            process = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).with_name("grow-coach")),
                *args,
                env=env,
                cwd=tmp_path,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await process.communicate("".join(f"{line}\n" for line in lines).encode())
            return process.returncode or 0

        codes = await asyncio.gather(
            run("chat", "--user", "second", lines=TERMINAL_SESSION),
            run("keys", "rotate", "--batch-size", "2"),
        )
        assert codes == [0, 0]

    asyncio.run(both())
    assert grow_coach(env, "keys", "rotate").returncode == 0  # whatever the chat wrote under `old`: none
    assert list(census(database_url, KeyRing(parse_key(new)))) == [id_of(new)]
    only_new = cli_env(tmp_path, database_url, new)
    status_shows_the_goal(only_new, tmp_path)
    second = grow_coach(only_new, "chat", "--user", "second", lines=["/status"], cwd=tmp_path)
    assert GOAL in second.stdout
