"""Whole conversations through the real `grow-coach` console script, input piped in.

Each test runs the installed script as a subprocess with its own data directory, then
reads what the leader saw on the screen and what landed in the SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.frontend_texts import frontend_texts
from flows.schedule import format_local
from storage.encryption import KeyRing, is_encrypted, parse_key
from storage.encryption_keys import key_file_for
from tests.support.coach_driver import phrasings

CONCRETE = "stop avoiding difficult conversations with my team"
ONBOARDING = ["hi", "1", "Ann", "first time", "UTC"]
# A first-time manager (guided) is asked "how will you know" and "by when" apart.
REALITY = ["my team tells me", "within a month", "I skipped a talk with Sam", "nothing yet", "trust", "4"]
# Experienced leaders (open style) skip by-when, tried and cost.
REALITY_OPEN = ["my team tells me", "I skipped a talk with Sam", "4"]
OPTIONS = ["rehearse with a peer", "book a weekly slot", "ask HR for a script", "skip", "2"]
WILL = [
    "talk to Sam about deadlines",
    "friday",
    "my manager",
    "I put it off",
    "if I put it off then I book a room",
]
# Open style: no support or obstacle step; the if-then plan names the obstacle itself.
WILL_OPEN = ["talk to Sam about deadlines", "friday", "if I put it off then I book a room"]


def console_script() -> str:
    script = Path(sys.executable).parent / "grow-coach"
    assert script.exists(), script
    return str(script)


def grow_coach_cli(
    data_dir: Path, lines: Sequence[str], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GROW_COACH_")}
    environment["GROW_COACH_DATA_DIR"] = str(data_dir)
    environment.update(env or {})
    return subprocess.run(
        [console_script(), *(args or ("chat",))],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=environment,
        cwd=data_dir,
        timeout=60,
    )


def messages(stdout: str) -> list[str]:
    """The coach's messages as the leader read them, choices included, indentation removed."""
    blocks: list[list[str]] = []
    for line in stdout.splitlines():
        if line.startswith("Coach: "):
            blocks.append([line.removeprefix("Coach: ")])
        elif line.startswith("> "):
            blocks.append([])
        elif blocks and blocks[-1]:
            blocks[-1].append(line.removeprefix("       "))
    return ["\n".join(block) for block in blocks if block]


def shown(stdout: str, flow: str, key: str, field: str = "ask", **values: object) -> bool:
    """Whether one of the wordings of a text (in either style) starts a message on screen."""
    wordings = [
        text.split("\n")[0]
        for style in ("guided", "open")
        for text in phrasings(flow, key, field, style, name="Ann", **values)
    ]
    return any(message.startswith(wording) for message in messages(stdout) for wording in wordings)


def times_shown(stdout: str, flow: str, key: str, field: str = "ask") -> int:
    """How many messages on screen start with one of the wordings of a text."""
    wordings = [
        text.split("\n")[0]
        for style in ("guided", "open")
        for text in phrasings(flow, key, field, style, name="Ann")
    ]
    return sum(any(message.startswith(w) for w in wordings) for message in messages(stdout))


def query(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a one-table SELECT, free text decrypted with the key file the chat made."""
    database = data_dir / "grow-coach.db"
    keyring = KeyRing(parse_key(key_file_for(database).read_text()))
    table = re.search(r"\bFROM (\w+)", sql)
    assert table is not None, sql
    with sqlite3.connect(database) as db:
        cursor = db.execute(sql)
        names = [f"{table.group(1)}.{column[0]}" for column in cursor.description]
        return [
            tuple(
                keyring.decrypt(value, name) if isinstance(value, str) and is_encrypted(value) else value
                for name, value in zip(names, row, strict=True)
            )
            for row in cursor
        ]


def chat(data_dir: Path, lines: Sequence[str]) -> str:
    result = grow_coach_cli(data_dir, lines)
    assert result.returncode == 0, result.stderr
    # Nothing on the chat's screen but the one notice of a first start: the key file.
    notices = [line for line in result.stderr.splitlines() if "created a new encryption key" not in line]
    assert notices == []
    return result.stdout


def test_a_full_session_with_commitment_9(tmp_path: Path) -> None:
    stdout = chat(tmp_path, [*ONBOARDING, CONCRETE, *REALITY, *OPTIONS, *WILL, "9"])
    recap = messages(stdout)[-1]
    for part in (f"Goal: “{CONCRETE}”", "4/10", "talk to Sam about deadlines", "Commitment: 9/10"):
        assert part in recap
    first_due = query(tmp_path, "SELECT min(due_at) FROM checkins")[0][0]
    assert isinstance(first_due, str)
    assert format_local(datetime.fromisoformat(first_due).replace(tzinfo=UTC), "UTC") in recap
    assert not shown(stdout, "grow", "goal_concrete", goal=CONCRETE)
    assert query(tmp_path, "SELECT name, level, timezone FROM users") == [("Ann", "first_time", "UTC")]
    assert query(tmp_path, "SELECT kind, value FROM scores ORDER BY id") == [
        ("baseline", 4),
        ("commitment", 9),
    ]
    assert query(tmp_path, "SELECT kind, outcome, action FROM coaching_sessions") == [
        ("grow", "committed", "talk to Sam about deadlines")
    ]
    kinds = [row[0] for row in query(tmp_path, "SELECT kind FROM checkins WHERE status = 'pending'")]
    assert "next_session" in kinds and "action_due" in kinds
    assert query(tmp_path, "SELECT flow, state FROM conversations") == [("idle", "idle")]


def test_commitment_5_then_revisit_the_goal_then_8(tmp_path: Path) -> None:
    new_goal = "ask one report each week for feedback on my meetings"
    lines = [
        *ONBOARDING,
        CONCRETE,
        *REALITY,
        *OPTIONS,
        *WILL,
        "5",
        "a smaller first step",
        "1",  # Revisit the goal, by number
        new_goal,
        "three reports have asked",
        "by March",
        "ask Kim",
        "ask Lee",
        "ask Mo",
        "skip",
        "1",
        "ask Kim on monday",
        "tomorrow",
        "Kim",
        "time",
        "if I run late then I ask on tuesday",
        "8",
    ]
    stdout = chat(tmp_path, lines)
    assert shown(stdout, "grow", "will_raise")
    assert shown(stdout, "grow", "will_low_next")
    revisit = next(m for m in messages(stdout) if f"• Goal: {CONCRETE}" in m and "Commitment" not in m)
    assert "• Today: I skipped a talk with Sam" in revisit
    assert "• Your rating today: 4" in revisit
    recap = messages(stdout)[-1]
    assert f"Goal: “{new_goal}”" in recap and "Commitment: 8/10" in recap and "4/10" in recap
    assert query(tmp_path, "SELECT text FROM goals") == [(new_goal,)]
    # The low score is kept next to the new one.
    assert query(tmp_path, "SELECT kind, value FROM scores ORDER BY id") == [
        ("baseline", 4),
        ("commitment", 5),
        ("commitment", 8),
    ]
    assert query(tmp_path, "SELECT count(*) FROM checkins WHERE status = 'pending'") in (
        [(2,)],
        [(3,)],
        [(4,)],
    )


def test_a_vague_goal_gets_the_follow_up(tmp_path: Path) -> None:
    stdout = chat(tmp_path, [*ONBOARDING, "be a better leader", CONCRETE])
    # The follow-up quotes the vague goal back.
    assert shown(stdout, "grow", "goal_concrete", goal="be a better leader")
    assert shown(stdout, "grow", "goal_measure")
    assert query(tmp_path, "SELECT text FROM goals") == [(f"be a better leader — {CONCRETE}",)]
    assert query(tmp_path, "SELECT step FROM answers ORDER BY id") == [("goal",), ("goal_concrete",)]


def test_choices_by_number_and_by_their_words(tmp_path: Path) -> None:
    lines = ["hi", "Yes, let's start", "Ann", "2", "Europe/Berlin", CONCRETE, *REALITY_OPEN, *OPTIONS[:3]]
    stdout = chat(tmp_path, [*lines, "Book a weekly slot", *WILL_OPEN, "6", "more time", "adjust the action"])
    assert query(tmp_path, "SELECT level, timezone FROM users") == [("experienced", "Europe/Berlin")]
    # Experienced leaders get no examples: the pick list is their own three options.
    pick = next(m for m in messages(stdout) if "1) rehearse with a peer" in m)
    assert pick.endswith("3) ask HR for a script")
    assert shown(stdout, "grow", "will_action", "adjust", previous_action="talk to Sam about deadlines")
    assert query(
        tmp_path, "SELECT step, text FROM answers WHERE step IN ('options_pick', 'will_low_next')"
    ) == [
        ("options_pick", "book a weekly slot"),
        ("will_low_next", "Adjust the action"),
    ]
    assert query(tmp_path, "SELECT flow, state FROM conversations") == [("grow", "will_action")]


def test_bad_input_and_commands_in_the_chat(tmp_path: Path) -> None:
    stdout = chat(tmp_path, [*ONBOARDING, "", "/foo", CONCRETE, "/status", "x" * 4001, "/cancel"])
    assert shown(stdout, "errors", "empty")
    assert shown(stdout, "common", "unknown_command")
    assert shown(stdout, "errors", "too_long")
    assert shown(stdout, "common", "status", where="a session, at the Goal step")
    assert shown(stdout, "common", "cancelled")
    assert query(tmp_path, "SELECT step FROM answers") == [("goal",)]
    assert query(tmp_path, "SELECT outcome FROM coaching_sessions") == [("cancelled",)]


def test_quit_ends_the_chat(tmp_path: Path) -> None:
    stdout = chat(tmp_path, ["hi", "/quit", "1"])
    assert "> 1" not in stdout
    assert query(tmp_path, "SELECT consented_at FROM users") == [(None,)]


def test_run_without_a_token_says_so_and_starts_the_chat(tmp_path: Path) -> None:
    result = grow_coach_cli(tmp_path, ["hi"], "run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("No Telegram token configured")
    assert "terminal chat" in lines[0]
    assert sum("Telegram token" in line for line in lines) == 1
    assert shown(result.stdout, "onboarding", "welcome")
    assert shown(result.stdout, "onboarding", "consent")


@pytest.mark.parametrize(
    ("config", "env", "key"),
    [
        ('[telegram]\nbogus = "x"\n', {}, "telegram.bogus"),
        ("[nonsense]\nkey = 1\n", {}, "nonsense"),
        ("", {"GROW_COACH_TELEGRAM_PORT": "abc"}, "GROW_COACH_TELEGRAM_PORT"),
        ("", {"GROW_COACH_TELEGRAM_BOGUS": "1"}, "telegram.bogus"),
    ],
)
def test_a_bad_config_exits_with_one_line_naming_the_key(
    tmp_path: Path, config: str, env: dict[str, str], key: str
) -> None:
    args = ["chat"]
    if config:
        path = tmp_path / "bad.toml"
        path.write_text(config)
        args = ["--config", str(path), "chat"]
    result = grow_coach_cli(tmp_path, ["hi"], *args, env=env)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert key in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "grow-coach.db").exists()


@pytest.mark.parametrize("command", ["chat", "run"])
def test_a_language_without_texts_is_one_line_after_the_subcommand_too(tmp_path: Path, command: str) -> None:
    (tmp_path / "my.toml").write_text('[coaching]\nlanguage = "pt-BR"\n')
    result = grow_coach_cli(tmp_path, ["hi"], command, "--config", "my.toml")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "grow-coach: my.toml: coaching.language: expected a language the coach has texts for"
        ' (flows/content/<code>/): "en"; got "pt-BR"'
    ]
    assert not (tmp_path / "grow-coach.db").exists()


def test_config_after_the_subcommand_is_read(tmp_path: Path) -> None:
    # `make run ARGS="--config my.toml"` runs `grow-coach run --config my.toml`.
    (tmp_path / "my.toml").write_text(f'[database]\nurl = "sqlite:///{tmp_path / "mine.db"}"\n')
    result = grow_coach_cli(tmp_path, ["hi"], "run", "--config", "my.toml")
    assert result.returncode == 0, result.stderr
    assert shown(result.stdout, "onboarding", "consent")
    assert (tmp_path / "mine.db").exists()
    assert not (tmp_path / "grow-coach.db").exists()


def test_a_new_leader_whose_script_starts_with_start_is_welcomed_once_not_back(tmp_path: Path) -> None:
    # The README's example: the script's own /start opens the chat.
    stdout = chat(tmp_path, ["/start", "yes", "Ana", "1", "Berlin"])
    assert not shown(stdout, "common", "welcome_back")
    assert times_shown(stdout, "onboarding", "welcome") == 1
    assert stdout.startswith("> /start\n")
    assert query(tmp_path, "SELECT name, timezone FROM users") == [("Ana", "Europe/Berlin")]


def test_start_again_before_answering_anything_is_a_welcome_not_a_welcome_back(tmp_path: Path) -> None:
    stdout = chat(tmp_path, ["hello?", "/start"])
    assert not shown(stdout, "common", "welcome_back")
    assert times_shown(stdout, "onboarding", "welcome") == 2


def test_help_in_the_terminal_lists_quit(tmp_path: Path) -> None:
    stdout = chat(tmp_path, ["/help"])
    help_text = next(message for message in messages(stdout) if "/cancel" in message)
    assert "/quit" in help_text
    assert help_text.endswith(frontend_texts("en").terminal_help_quit)


def test_a_second_session_opens_with_the_recap_of_the_first(tmp_path: Path) -> None:
    chat(tmp_path, [*ONBOARDING, CONCRETE, *REALITY, *OPTIONS, *WILL, "9"])
    # Another day, another chat: the leader asks for a new session.
    stdout = chat(tmp_path, ["/new", "Keep this goal", "I raised a late report the same day"])
    opening = next(m for m in messages(stdout) if "Keep this goal" in m)
    for part in (f"“{CONCRETE}”", "“talk to Sam about deadlines”", WILL[-1], "4/10"):
        assert part in opening, opening
    assert any(line in opening for line in phrasings("grow", "where_you_are", "checkin_none"))
    assert shown(stdout, "grow", "reality_now", "again", goal=CONCRETE)
    # The second session carries on the same goal: one goal row, two sessions on it.
    assert query(tmp_path, "SELECT count(*) FROM goals") == [(1,)]
    assert query(tmp_path, "SELECT count(DISTINCT id), count(DISTINCT goal_id) FROM coaching_sessions") == [
        (2, 1)
    ]


def test_answers_as_people_write_them_are_understood_and_read_back(tmp_path: Path) -> None:
    # Issue 12: every reading is shown to the leader and stored as understood.
    lines = [
        "hi",
        "sounds good",
        "I'm Maria",
        "first time manager I guess",
        "Mumbai",
        CONCRETE,
        *REALITY[:-1],
        "maybe a 3",
        "rehearse with a peer",
        "no, that's it",
        "1",
        "communicate better",
        "book 20 minutes with Sam on Thursday",
        "by Friday next week",
        "my manager",
        "I put it off",
        "dunno",
        "dunno",
        "9",
    ]
    stdout = chat(tmp_path, lines)
    assert set(messages(stdout)) & set(phrasings("nudges", "understood_name", name="Maria"))
    assert shown(stdout, "nudges", "understood_choice", choice="First-time manager")
    assert any(
        message.startswith(("Time zone set: Asia/Kolkata — ", "I'll use Asia/Kolkata — "))
        for message in messages(stdout)
    )
    assert shown(stdout, "nudges", "challenge.action", answer="communicate better")
    assert shown(stdout, "nudges", "content.grow.will_if_then")
    assert shown(stdout, "nudges", "taken_as_not_sure")
    assert query(tmp_path, "SELECT name, level, timezone FROM users") == [
        ("Maria", "first_time", "Asia/Kolkata")
    ]
    assert query(tmp_path, "SELECT kind, value FROM scores ORDER BY id") == [
        ("baseline", 3),
        ("commitment", 9),
    ]
    assert query(tmp_path, "SELECT action, if_then FROM coaching_sessions") == [
        ("book 20 minutes with Sam on Thursday", "not sure yet")
    ]
    options = [row[0] for row in query(tmp_path, "SELECT text FROM answers WHERE step LIKE 'options%'")]
    assert options == ["rehearse with a peer", "rehearse with a peer"]  # the option, then the pick
    due = query(tmp_path, "SELECT action_due FROM coaching_sessions")[0][0]
    assert shown(stdout, "nudges", "understood_date", when=date.fromisoformat(str(due)).strftime("%a %-d %b"))


def test_export_writes_two_files_and_prints_their_paths(tmp_path: Path) -> None:
    stdout = chat(tmp_path, [*ONBOARDING, CONCRETE, *REALITY, *OPTIONS, *WILL, "9", "/export"])
    assert shown(stdout, "export", "sent")
    paths = [Path(line.strip()) for line in stdout.splitlines() if line.strip().startswith(str(tmp_path))]
    assert sorted(path.suffix for path in paths) == [".json", ".md"]
    assert all(path.parent == (tmp_path / "grow-coach-export").resolve() for path in paths)
    [json_path] = [path for path in paths if path.suffix == ".json"]
    [md_path] = [path for path in paths if path.suffix == ".md"]
    exported = json.loads(json_path.read_text(encoding="utf-8"))
    assert exported["profile"]["name"] == "Ann"
    assert exported["goals"][0]["text"] == CONCRETE
    assert exported["stored_rows"]["users"][0]["external_id"] == "local"
    markdown = md_path.read_text(encoding="utf-8")
    assert f"## Goal: {CONCRETE}" in markdown and "**A:** I skipped a talk with Sam" in markdown
    assert oct(json_path.stat().st_mode & 0o777) == oct(0o600)


def test_delete_in_the_terminal_leaves_an_empty_database(tmp_path: Path) -> None:
    chat(tmp_path, [*ONBOARDING, CONCRETE, *REALITY, *OPTIONS, *WILL, "9", "/delete", "1"])
    with sqlite3.connect(tmp_path / "grow-coach.db") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    assert {t: n for t, n in counts.items() if n and t != "alembic_version"} == {}


def test_progress_prints_the_summary_and_the_path_of_a_chart_it_wrote(tmp_path: Path) -> None:
    stdout = chat(tmp_path, [*ONBOARDING, CONCRETE, *REALITY, *OPTIONS, *WILL, "9", "/progress"])
    (summary,) = [message for message in messages(stdout) if message.startswith("Progress on")]
    assert f'Progress on "{CONCRETE}"' in summary
    assert "Self-rating: 4 at the start" in summary and "Commitment: 9/10" in summary
    assert 'As expected, in your words: "my team tells me"' in summary
    path = Path(summary.splitlines()[-1].strip())
    # Under the data directory, named for the goal and the day, and a 1080x1080 PNG.
    assert path.parent == (tmp_path / "progress").resolve()
    assert path.name.startswith("progress-stop-avoiding-difficult-conversations-")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1080, 1080)
    assert path.stat().st_mode & 0o077 == 0  # the leader's goal: owner-only
    assert query(tmp_path, "SELECT expected_outcome FROM goals") == [("my team tells me",)]
