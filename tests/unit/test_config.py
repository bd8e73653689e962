"""Tests for bot.config.loader and bot.config.durations."""

import dataclasses
import datetime
import tomllib
from pathlib import Path

import pytest

from bot.config.durations import parse_duration, parse_quiet_hours
from bot.config.loader import (
    DEFAULT_RESOURCES,
    SECTIONS,
    Config,
    ConfigError,
    TelegramConfig,
    default_data_dir,
    load_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
TOKEN = "123456789:AAF-secret-token-value"


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # load_config() reads ./config.toml, so run every test where none exists.
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path | None = None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={} if environ is None else environ)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- durations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", datetime.timedelta(seconds=30)),
        ("15m", datetime.timedelta(minutes=15)),
        ("2h", datetime.timedelta(hours=2)),
        ("3d", datetime.timedelta(days=3)),
        ("2w", datetime.timedelta(weeks=2)),
        ("  5m\n", datetime.timedelta(minutes=5)),
        ("0s", datetime.timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5x", "-5m", "5", "1.5h", "", "m", "5 m", "5M", "٣d", "2h30m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value).startswith("expected a duration such as 30s, 15m, 2h, 3d or 2w, got ")


def test_parse_duration_message_quotes_the_input() -> None:
    with pytest.raises(
        ValueError,
        match=r'^expected a duration such as 30s, 15m, 2h, 3d or 2w, got "5x"$',
    ):
        parse_duration("5x")


def test_parse_duration_too_long() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("9" * 30 + "w")


def test_parse_quiet_hours() -> None:
    assert parse_quiet_hours("21:00-08:00") == (datetime.time(21), datetime.time(8))
    assert parse_quiet_hours(" 9:30 - 17:45 ") == (
        datetime.time(9, 30),
        datetime.time(17, 45),
    )
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("  ") is None


@pytest.mark.parametrize("text", ["21:00", "25:00-08:00", "21:60-08:00", "9pm-8am", "21-08"])
def test_parse_quiet_hours_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"^expected quiet hours such as 21:00-08:00"):
        parse_quiet_hours(text)


def test_parse_quiet_hours_rejects_empty_window() -> None:
    with pytest.raises(ValueError, match="different times"):
        parse_quiet_hours("08:00-08:00")


# --- defaults and files -----------------------------------------------------------


def test_defaults() -> None:
    config = load_config(environ={"HOME": "/home/leader"})
    assert config.database.url == ""
    assert config.telegram.token == ""
    assert config.telegram.base_url == "https://api.telegram.org/bot"
    assert config.telegram.base_file_url == "https://api.telegram.org/file/bot"
    assert config.telegram.mode == "polling"
    assert config.telegram.listen == "127.0.0.1"
    assert config.telegram.port == 8443
    assert config.telegram.poll_timeout == datetime.timedelta(seconds=10)
    assert config.telegram.max_retries == 5
    assert config.telegram.connect_timeout == datetime.timedelta(seconds=5)
    assert config.telegram.read_timeout == datetime.timedelta(seconds=10)
    assert config.coaching.language == "en"
    assert config.sessions.interval == datetime.timedelta(weeks=2)
    assert config.checkins.first_after == datetime.timedelta(days=2)
    assert config.checkins.grace == datetime.timedelta(days=1)
    assert config.checkins.quiet_hours == (datetime.time(21), datetime.time(8))
    assert config.checkins.dispatch_every == datetime.timedelta(seconds=5)
    assert config.checkins.batch_size == 100
    assert config.safety.resources == tuple(DEFAULT_RESOURCES)
    assert config.access.mode == "open"
    assert config.access.allowlist == ()
    assert config.access.invite_ttl == datetime.timedelta(days=7)
    assert config.logging.level == "INFO"
    assert config.logging.format == "text"
    assert config.data_dir == Path("/home/leader/.local/share/grow-coach")


def test_defaults_equal_plain_constructor() -> None:
    assert dataclasses.replace(load_config(environ={}), data_dir=Config().data_dir) == Config()


def test_reads_config_toml_from_cwd(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", '[sessions]\ninterval = "3d"\n')
    assert load_config(environ={}).sessions.interval == datetime.timedelta(days=3)


def test_reads_given_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "custom.toml",
        """
        [telegram]
        token = "abc"
        port = 9000
        [checkins]
        first_after = "3h"
        quiet_hours = ""
        [access]
        mode = "allowlist"
        allowlist = [111, 222]
        [logging]
        level = "debug"
        """,
    )
    config = load_config(path, environ={})
    assert config.telegram.token == "abc"
    assert config.telegram.port == 9000
    assert config.telegram.mode == "polling"  # untouched keys keep their defaults
    assert config.checkins.first_after == datetime.timedelta(hours=3)
    assert config.checkins.quiet_hours is None
    assert config.access.allowlist == (111, 222)
    assert config.logging.level == "DEBUG"


def test_config_is_frozen() -> None:
    config = load_config(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.telegram.port = 1  # type: ignore[misc]


# --- environment overrides --------------------------------------------------------


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[telegram]\nport = 9000\n")
    environ = {
        "GROW_COACH_TELEGRAM_PORT": "9100",
        "GROW_COACH_TELEGRAM_TOKEN": TOKEN,
        "GROW_COACH_CHECKINS_FIRST_AFTER": "6h",
        "GROW_COACH_CHECKINS_BATCH_SIZE": " 7 ",
        "GROW_COACH_ACCESS_ALLOWLIST": "1, 2,3",
        "GROW_COACH_TELEGRAM_BASE_FILE_URL": "http://localhost:8081/file/bot",
        "GROW_COACH_CHECKINS_QUIET_HOURS": "",
    }
    config = load_config(path, environ=environ)
    assert config.telegram.port == 9100
    assert config.telegram.token == TOKEN
    assert config.checkins.first_after == datetime.timedelta(hours=6)
    assert config.checkins.batch_size == 7
    assert config.checkins.quiet_hours is None
    assert config.access.allowlist == (1, 2, 3)
    assert config.telegram.base_file_url == "http://localhost:8081/file/bot"


def test_environment_lists() -> None:
    environ = {
        "GROW_COACH_ACCESS_ALLOWLIST": "[4, 5]",
        "GROW_COACH_SAFETY_RESOURCES": "Call 112, anywhere in the EU.\n\nSamaritans: 116 123\n",
    }
    config = load_config(environ=environ)
    assert config.access.allowlist == (4, 5)
    assert config.safety.resources == (
        "Call 112, anywhere in the EU.",
        "Samaritans: 116 123",
    )
    toml_array = {"GROW_COACH_SAFETY_RESOURCES": '["a, b", "c"]'}
    assert load_config(environ=toml_array).safety.resources == ("a, b", "c")
    assert load_config(environ={"GROW_COACH_ACCESS_ALLOWLIST": ""}).access.allowlist == ()


def test_environment_ignores_variables_that_are_not_config_keys() -> None:
    environ = {
        "GROW_COACH_DATA_DIR": "/srv/coach",
        "GROW_COACH_TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5/x",
        "GROW_COACH_SOMETHING_ELSE": "x",
        "grow_coach_telegram_port": "not upper case, so not ours",
        "PATH": "/usr/bin",
    }
    config = load_config(environ=environ)
    assert config.telegram.port == 8443
    assert config.data_dir == Path("/srv/coach")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "GROW_COACH_TELEGRAM_PORT",
            "abc",
            'GROW_COACH_TELEGRAM_PORT: expected an integer, got "abc"',
        ),
        (
            "GROW_COACH_TELEGRAM_PORT",
            "70000",
            "GROW_COACH_TELEGRAM_PORT: expected an integer from 1 to 65535, got 70000",
        ),
        (
            "GROW_COACH_TELEGRAM_MAX_RETRIES",
            "-1",
            "GROW_COACH_TELEGRAM_MAX_RETRIES: expected an integer of at least 0, got -1",
        ),
        (
            "GROW_COACH_TELEGRAM_TOKN",
            "x",
            'GROW_COACH_TELEGRAM_TOKN: unknown key "telegram.tokn"',
        ),
        (
            "GROW_COACH_CHECKINS_FIRST_AFTER",
            "soon",
            (
                "GROW_COACH_CHECKINS_FIRST_AFTER: expected a duration such as 30s, 15m, 2h, 3d or 2w,"
                ' got "soon"'
            ),
        ),
        (
            "GROW_COACH_ACCESS_ALLOWLIST",
            "1,x",
            (
                'GROW_COACH_ACCESS_ALLOWLIST: expected comma-separated user ids such as "12345,67890",'
                ' got "1,x"'
            ),
        ),
        (
            "GROW_COACH_ACCESS_MODE",
            "closed",
            'GROW_COACH_ACCESS_MODE: expected one of "open", "allowlist", "invite", got "closed"',
        ),
    ],
)
def test_environment_errors_name_the_variable(name: str, value: str, message: str) -> None:
    assert config_error(environ={name: value}) == message


# --- file errors ------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert config_error(Path("x.toml")) == 'cannot read config file "x.toml": No such file or directory'


def test_unreadable_path(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    assert config_error(Path("dir.toml")) == 'cannot read config file "dir.toml": Is a directory'


def test_invalid_toml(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "[telegram\n")
    message = config_error()
    assert message.startswith("config.toml is not valid TOML: ")
    assert "line 1" in message


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_bytes(b'[coaching]\nlanguage = "\xff"\n')
    assert config_error().startswith("config.toml is not valid TOML: not UTF-8 text")


def test_unknown_section(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "[foo]\nbar = 1\n")
    assert config_error() == 'config.toml: unknown section "foo"'


def test_unknown_key(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", '[telegram]\ntokn = "x"\n')
    assert config_error() == 'config.toml: unknown key "telegram.tokn"'


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", 'telegram = "oops"\n')
    assert config_error() == "config.toml: telegram: expected a table, written as [telegram]"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[checkins]\nfirst_after = "soon"',
            'checkins.first_after: expected a duration such as 30s, 15m, 2h, 3d or 2w, got "soon"',
        ),
        (
            "[checkins]\nfirst_after = 30",
            "checkins.first_after: expected a duration such as 30s, 15m, 2h, 3d or 2w, got 30",
        ),
        (
            '[sessions]\ninterval = "0w"',
            'sessions.interval: expected a duration longer than 0s, got "0w"',
        ),
        ('[telegram]\nport = "abc"', 'telegram.port: expected an integer, got "abc"'),
        ("[telegram]\nport = true", "telegram.port: expected an integer, got true"),
        (
            "[checkins]\nbatch_size = 0",
            "checkins.batch_size: expected an integer of at least 1, got 0",
        ),
        (
            '[checkins]\nquiet_hours = "late"',
            (
                'checkins.quiet_hours: expected quiet hours such as 21:00-08:00 (or "" to disable them),'
                ' got "late"'
            ),
        ),
        (
            '[telegram]\nmode = "push"',
            'telegram.mode: expected one of "polling", "webhook", got "push"',
        ),
        (
            '[telegram]\nwebhook_url = "ftp://example.com/hook"',
            'telegram.webhook_url: expected an http:// or https:// URL, got "ftp://example.com/hook"',
        ),
        (
            '[telegram]\nbase_url = "api.telegram.org"',
            'telegram.base_url: expected an http:// or https:// URL, got "api.telegram.org"',
        ),
        ('[telegram]\nlisten = ""', "telegram.listen: expected a non-empty string"),
        (
            '[coaching]\nlanguage = "English"',
            'coaching.language: expected a language code such as "en" or "pt-BR", got "English"',
        ),
        (
            # Well formed, but the coach has no texts in it.
            '[coaching]\nlanguage = "pt-BR"',
            "coaching.language: expected a language the coach has texts for (flows/content/<code>/):"
            ' "en"; got "pt-BR"',
        ),
        (
            '[logging]\nformat = "xml"',
            'logging.format: expected one of "text", "json", got "xml"',
        ),
        (
            "[safety]\nresources = []",
            "safety.resources: expected a non-empty list of non-empty strings, got []",
        ),
        (
            '[access]\nallowlist = ["42"]',
            'access.allowlist: expected a list of Telegram user ids such as [12345, 67890], got ["42"]',
        ),
        (
            '[database]\nurl = "mysql://db/coach"',
            (
                'database.url: not a valid database URL: "mysql" is not supported;'
                " use sqlite:// or postgresql+psycopg://"
            ),
        ),
        (
            '[database]\nurl = "postgresql+asyncpg://db/coach"',
            (
                'database.url: not a valid database URL: "postgresql+asyncpg" is not supported;'
                " use sqlite:// or postgresql+psycopg://"
            ),
        ),
    ],
)
def test_invalid_values_name_file_and_key(tmp_path: Path, toml: str, message: str) -> None:
    write(tmp_path / "config.toml", toml + "\n")
    assert config_error() == f"config.toml: {message}"


def test_unparsable_database_url_does_not_echo_password(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        '[database]\nurl = "postgresql://u:hunter2@h:port/db"\n',
    )
    message = config_error()
    assert message.startswith("config.toml: database.url: not a valid database URL: ")
    assert "hunter2" not in message


# --- database URL ---------------------------------------------------------------


def test_postgresql_url_gets_psycopg_driver() -> None:
    environ = {"GROW_COACH_DATABASE_URL": "postgresql://coach:pw@db:5432/grow"}
    config = load_config(environ=environ)
    assert config.database_url() == "postgresql+psycopg://coach:pw@db:5432/grow"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://coach@db/grow",
        "sqlite:///relative.db",
        "sqlite:////abs/x.db",
        "sqlite://",
    ],
)
def test_supported_urls_are_kept(url: str) -> None:
    assert load_config(environ={"GROW_COACH_DATABASE_URL": url}).database_url() == url


def test_empty_url_resolves_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data" / "coach"
    config = load_config(environ={"GROW_COACH_DATA_DIR": str(data_dir)})
    assert config.database_url() == f"sqlite:///{data_dir}/grow-coach.db"
    assert data_dir.is_dir()
    assert data_dir.stat().st_mode & 0o777 == 0o700


def test_data_dir_fallbacks(tmp_path: Path) -> None:
    assert default_data_dir({"XDG_DATA_HOME": "/xdg", "HOME": "/h"}) == Path("/xdg/grow-coach")
    # The XDG spec says a relative XDG_DATA_HOME must be ignored.
    assert default_data_dir({"XDG_DATA_HOME": "rel", "HOME": "/h"}) == Path("/h/.local/share/grow-coach")
    assert default_data_dir({"HOME": "/h"}) == Path("/h/.local/share/grow-coach")
    explicit = {"GROW_COACH_DATA_DIR": "mine", "XDG_DATA_HOME": "/xdg"}
    assert default_data_dir(explicit) == tmp_path / "mine"


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", "")
    config = load_config(environ={"GROW_COACH_DATA_DIR": str(blocker / "sub")})
    with pytest.raises(ConfigError, match=r'^cannot create data directory ".*/file/sub": '):
        config.database_url()


# --- webhook and secrets ---------------------------------------------------------


WEBHOOK = {
    "GROW_COACH_TELEGRAM_MODE": "webhook",
    "GROW_COACH_TELEGRAM_WEBHOOK_URL": "https://coach.example.com/telegram",
    "GROW_COACH_TELEGRAM_SECRET_TOKEN": "s3cret_-Value",
}


def test_webhook_mode() -> None:
    config = load_config(environ=WEBHOOK)
    assert config.telegram.mode == "webhook"
    assert config.telegram.secret_token == "s3cret_-Value"


@pytest.mark.parametrize("missing", ["webhook_url", "secret_token"])
def test_webhook_mode_requires(missing: str) -> None:
    environ = {**WEBHOOK, f"GROW_COACH_TELEGRAM_{missing.upper()}": ""}
    assert config_error(environ=environ) == f'telegram.{missing}: required when telegram.mode is "webhook"'


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"GROW_COACH_DATABASE_CALL_TIMEOUT": "10s"},
            "database.call_timeout: must be longer than database.statement_timeout "
            "(10s is not longer than 10s)",
        ),
        (
            {"GROW_COACH_DATABASE_CALL_TIMEOUT": "5s", "GROW_COACH_DATABASE_STATEMENT_TIMEOUT": "0s"},
            "database.call_timeout: must be longer than database.lock_timeout (5s is not longer than 5s)",
        ),
    ],
)
def test_the_call_deadline_must_outlast_the_database_timeouts(environ: dict[str, str], message: str) -> None:
    # Past the deadline the whole service process is killed, with every leader's call in it.
    assert config_error(environ=environ) == message


def test_database_timeouts_of_zero_switch_them_off() -> None:
    environ = {
        "GROW_COACH_DATABASE_CALL_TIMEOUT": "1s",
        "GROW_COACH_DATABASE_STATEMENT_TIMEOUT": "0s",
        "GROW_COACH_DATABASE_LOCK_TIMEOUT": "0s",
    }
    database = load_config(environ=environ).database
    assert (database.call_timeout, database.statement_timeout, database.lock_timeout) == (
        datetime.timedelta(seconds=1),
        datetime.timedelta(0),
        datetime.timedelta(0),
    )


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "ünïcode"])
def test_bad_secret_token_is_not_echoed(secret: str) -> None:
    message = config_error(environ={"GROW_COACH_TELEGRAM_SECRET_TOKEN": secret})
    assert message.startswith("GROW_COACH_TELEGRAM_SECRET_TOKEN: expected 1-256 characters")
    assert secret not in message


def test_token_of_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "[telegram]\ntoken = 123456789\n")
    message = config_error()
    assert message == (
        "config.toml: telegram.token: expected a string (value not shown because it is secret)"
    )


def test_repr_never_shows_secrets() -> None:
    environ = {
        **WEBHOOK,
        "GROW_COACH_TELEGRAM_TOKEN": TOKEN,
        "GROW_COACH_DATABASE_URL": "postgresql+psycopg://coach:hunter2@db/grow",
    }
    config = load_config(environ=environ)
    for text in (
        repr(config),
        str(config),
        repr(config.telegram),
        f"{config.database}",
    ):
        assert TOKEN not in text
        assert "s3cret_-Value" not in text
        assert "hunter2" not in text
    assert "token='***'" in repr(config.telegram)
    assert "secret_token='***'" in repr(config.telegram)
    assert "coach:***@db" in repr(config.database)
    assert "token=''" in repr(TelegramConfig())


# --- the example file -------------------------------------------------------------


def test_example_file_loads_and_equals_defaults() -> None:
    assert load_config(EXAMPLE, environ={}) == load_config(environ={})


def test_example_file_documents_every_key_with_its_default() -> None:
    with EXAMPLE.open("rb") as file:
        example = tomllib.load(file)
    declared = {
        section: {field.name: field.metadata["toml_default"] for field in dataclasses.fields(cls)}
        for section, cls in SECTIONS.items()
    }
    assert example == declared
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(text):
        if " = " in line and not line.startswith(("#", " ")):
            assert text[index - 1].startswith("# "), f"no comment above {line!r}"
