"""Configuration: defaults, then a TOML file, then GROW_COACH_* environment variables.

Every key is declared once, on its section dataclass, with its default written
exactly as it would appear in config.toml.  The loader parses user values and
defaults with the same code, so config.example.toml cannot drift from the
defaults without tests noticing.
"""

import base64
import binascii
import dataclasses
import datetime
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config.database_url import parse_database_url
from bot.config.durations import (
    DURATION_HINT,
    QUIET_HOURS_HINT,
    format_duration,
    format_quiet_hours,
    parse_duration,
    parse_quiet_hours,
)
from flows import settings as coaching_defaults
from flows.content import available_languages

DEFAULT_CONFIG_PATH = Path("config.toml")
ENV_PREFIX = "GROW_COACH_"
DATA_DIR_ENV = "GROW_COACH_DATA_DIR"
SQLITE_FILENAME = "grow-coach.db"

QuietHours = tuple[datetime.time, datetime.time]


class ConfigError(Exception):
    """A configuration problem, described in one line that names the key."""


# --- value kinds ---------------------------------------------------------------


def _show(value: object) -> str:
    # JSON spelling is close to TOML, so users can find the offending value.
    return json.dumps(value, ensure_ascii=False, default=str)


def _as_is(text: str) -> object:
    return text


@dataclasses.dataclass(frozen=True)
class _Kind:
    """How to validate a TOML value for one key, and how to read it from the environment.

    Both callables raise ValueError (or TypeError for a value of the wrong TOML
    type) with a message that does not name the key; the loader prefixes where
    the value came from.
    """

    parse: Callable[[Any], Any]
    from_env: Callable[[str], object] = _as_is


def _parse_text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_show(value)}")
    return value


def _parse_nonempty_text(value: object) -> str:
    text = _parse_text(value)
    if not text.strip():
        raise ValueError("expected a non-empty string")
    return text


def _parse_secret(value: object) -> str:
    # Never echo the value: a misplaced bot token must not end up in logs.
    if not isinstance(value, str):
        raise TypeError("expected a string (value not shown because it is secret)")
    return value


_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _parse_secret_token(value: object) -> str:
    token = _parse_secret(value)
    if token and not _SECRET_TOKEN_RE.fullmatch(token):
        raise ValueError(
            "expected 1-256 characters from A-Z, a-z, 0-9, _ and - (value not shown because it is secret)"
        )
    return token


_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


def _integer_from_env(text: str) -> int:
    # Stricter than int(), which also takes "1_000" and non-ASCII digits.
    if not _INTEGER_RE.fullmatch(text.strip()):
        raise ValueError(f"expected an integer, got {_show(text)}")
    return int(text)


def _integer(minimum: int, maximum: int | None = None) -> _Kind:
    bounds = f"of at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"

    def parse(value: object) -> int:
        # bool is an int subclass, but "port = true" is surely a mistake.
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {_show(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(f"expected an integer {bounds}, got {value}")
        return value

    return _Kind(parse, _integer_from_env)


def _parse_processes(value: object) -> int | None:
    """None is "auto": the runner picks by database."""
    if value == "auto":
        return None
    try:
        return _integer(0, 16).parse(value)  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        raise ValueError(f'expected "auto" or an integer from 0 to 16, got {_show(value)}') from None


def _processes_from_env(text: str) -> object:
    if text.strip() == "auto":
        return "auto"
    try:
        return _integer_from_env(text)
    except ValueError:
        raise ValueError(f'expected "auto" or an integer from 0 to 16, got {_show(text)}') from None


def _choice(*options: str, fold_case: bool = False) -> _Kind:
    listed = ", ".join(_show(option) for option in options)

    def parse(value: object) -> str:
        if isinstance(value, str):
            candidate = value.upper() if fold_case else value
            if candidate in options:
                return candidate
        raise ValueError(f"expected one of {listed}, got {_show(value)}")

    return _Kind(parse)


def _duration(*, allow_zero: bool) -> _Kind:
    def parse(value: object) -> datetime.timedelta:
        if not isinstance(value, str):
            raise TypeError(f"{DURATION_HINT}, got {_show(value)}")
        duration = parse_duration(value)
        if not allow_zero and not duration:
            raise ValueError(f"expected a duration longer than 0s, got {_show(value)}")
        return duration

    return _Kind(parse)


def _parse_quiet_hours(value: object) -> QuietHours | None:
    if not isinstance(value, str):
        raise TypeError(f"{QUIET_HOURS_HINT}, got {_show(value)}")
    return parse_quiet_hours(value)


def _http_url(*schemes: str, optional: bool = False) -> _Kind:
    wanted = " or ".join(f"{scheme}://" for scheme in schemes)

    def parse(value: object) -> str:
        url = _parse_text(value)
        if optional and not url:
            return url
        parts = urlsplit(url)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError(f"expected an {wanted} URL, got {_show(url)}")
        return url

    return _Kind(parse)


_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def _parse_language(value: object) -> str:
    if not isinstance(value, str) or not _LANGUAGE_RE.fullmatch(value):
        raise ValueError(f'expected a language code such as "en" or "pt-BR", got {_show(value)}')
    available = available_languages()
    if value not in available:
        # Caught here, the mistake is one line at start-up, not a traceback once the coach loads.
        raise ValueError(
            f"expected a language the coach has texts for (flows/content/<code>/): "
            f"{', '.join(_show(code) for code in available)}; got {_show(value)}"
        )
    return value


_DATABASE_URL_EXAMPLES = "postgresql+psycopg://user:password@host:5432/dbname or sqlite:////absolute/path.db"


def _parse_database_url(value: object) -> str:
    text = _parse_text(value)
    if not text:
        return text
    try:
        url = parse_database_url(text)
    except ValueError:
        # The parser's message may quote part of the URL, which may hold a password.
        raise ValueError(
            f"not a valid database URL: cannot parse it; expected e.g. {_DATABASE_URL_EXAMPLES}"
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "postgresql" and driver in ("", "psycopg"):
        if driver:
            return text
        # Without a driver SQLAlchemy would pick psycopg2, which is not installed.
        return url.with_drivername("postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return text
    raise ValueError(
        f'not a valid database URL: "{url.drivername}" is not supported; '
        "use sqlite:// or postgresql+psycopg://"
    )


def _toml_array(text: str) -> object:
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        raise ValueError(f'expected a TOML array such as [1, 2] or ["a", "b"], got {_show(text)}') from None


def _user_ids_from_env(text: str) -> object:
    if text.lstrip().startswith("["):
        return _toml_array(text)
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not all(_INTEGER_RE.fullmatch(item) for item in items):
        raise ValueError(f'expected comma-separated user ids such as "12345,67890", got {_show(text)}')
    return [int(item) for item in items]


def _parse_user_ids(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) and item > 0 for item in value
    ):
        raise ValueError(f"expected a list of Telegram user ids such as [12345, 67890], got {_show(value)}")
    return tuple(value)


def _lines_from_env(text: str) -> object:
    # Items are sentences that contain commas, so they are split on newlines instead.
    if text.lstrip().startswith("["):
        return _toml_array(text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parse_resources(value: object) -> tuple[str, ...]:
    # An empty list would leave a user in crisis without any pointer to help.
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item.strip() for item in value)
    ):
        raise ValueError(f"expected a non-empty list of non-empty strings, got {_show(value)}")
    return tuple(value)


_MONTHS_RE = re.compile(r"([0-9]+)\s*months?")


def _parse_engagement_length(value: object) -> int:
    """ "3 months" … "6 months": an engagement is counted in months, never in days."""
    low, high = coaching_defaults.ENGAGEMENT_MONTHS_RANGE
    match = _MONTHS_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or not low <= int(match.group(1)) <= high:
        raise ValueError(f'expected a length from "{low} months" to "{high} months", got {_show(value)}')
    return int(match.group(1))


def _parse_engagement_sessions(value: object) -> int | None:
    """None is "auto": the length divided by [sessions] interval, kept within 6..12."""
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 12:
        raise ValueError(f'expected "auto" or an integer from 2 to 12, got {_show(value)}')
    return value


def _engagement_sessions_from_env(text: str) -> object:
    return "auto" if text.strip() == "auto" else _integer_from_env(text)


ENCRYPTION_KEY_BYTES = 32
_KEY_HINT = (
    f"expected {ENCRYPTION_KEY_BYTES} random bytes in base64 (44 characters), e.g. from "
    "`grow-coach keys new` or `openssl rand -base64 32` (value not shown because it is secret)"
)


def _check_key(text: str) -> None:
    # Checked here, not by storage.encryption, so the bot process never imports the
    # database layer just to read its configuration.
    try:
        key = base64.b64decode(text.strip().replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != ENCRYPTION_KEY_BYTES:
        raise ValueError(_KEY_HINT)


def _parse_encryption_key(value: object) -> str:
    key = _parse_secret(value)
    if key:
        _check_key(key)
    return key


def _keys_from_env(text: str) -> object:
    if text.lstrip().startswith("["):
        return _toml_array(text)
    # Base64 has no commas or spaces, so either separates keys.
    return [item for item in re.split(r"[,\s]+", text) if item]


def _parse_old_keys(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("expected a list of keys in base64 (value not shown because it is secret)")
    for position, item in enumerate(value, 1):
        try:
            _check_key(item)
        except ValueError as error:
            raise ValueError(f"entry {position}: {error}") from None
    return tuple(value)


def _mask_keys(value: tuple[str, ...]) -> str:
    return f"<{len(value)} key(s) hidden>"


_NONEMPTY_TEXT = _Kind(_parse_nonempty_text)
_DURATION = _duration(allow_zero=False)
# Zero is meaningful where these are used: no long-polling, no grace period.
_DURATION_OR_ZERO = _duration(allow_zero=True)
_QUIET_HOURS = _Kind(_parse_quiet_hours)


# --- sections ----------------------------------------------------------------


def _setting(
    kind: _Kind, default: object, *, redact: Callable[[Any], str] | None = None
) -> dataclasses.Field[Any]:
    """Declare a key; its default is written as in TOML and parsed like user input.

    Ruff's RUF009 cannot see that this returns a Field, hence the noqa markers.
    """
    metadata = {"kind": kind, "toml_default": default, "redact": redact}
    return dataclasses.field(default=kind.parse(default), metadata=metadata)


def _mask(value: str) -> str:
    return "'***'" if value else "''"


def _hide_password(url: str) -> str:
    try:
        return repr(parse_database_url(url).masked()) if url else "''"
    except ValueError:
        return "'***'"


class _Section:
    """Mixin giving sections a repr that is safe to log: secrets are masked."""

    def __repr__(self) -> str:
        shown = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            redact = field.metadata.get("redact")
            shown.append(f"{field.name}={redact(value) if redact else repr(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"


@dataclasses.dataclass(frozen=True, repr=False)
class DatabaseConfig(_Section):
    url: str = _setting(_Kind(_parse_database_url), "", redact=_hide_password)
    processes: int | None = _setting(_Kind(_parse_processes, _processes_from_env), "auto")
    # Deadlines against a hung database or service process (README, "Reliability"). The
    # statement and lock timeouts fire first and cost one leader a "try again"; the call
    # deadline is the last resort, so it must be the longest.
    call_timeout: datetime.timedelta = _setting(_DURATION, "30s")  # noqa: RUF009
    statement_timeout: datetime.timedelta = _setting(_DURATION_OR_ZERO, "10s")  # noqa: RUF009
    lock_timeout: datetime.timedelta = _setting(_DURATION_OR_ZERO, "5s")  # noqa: RUF009
    connect_timeout: datetime.timedelta = _setting(_DURATION, "5s")  # noqa: RUF009


@dataclasses.dataclass(frozen=True, repr=False)
class TelegramConfig(_Section):
    token: str = _setting(_Kind(_parse_secret), "", redact=_mask)
    base_url: str = _setting(_http_url("http", "https"), "https://api.telegram.org/bot")
    base_file_url: str = _setting(_http_url("http", "https"), "https://api.telegram.org/file/bot")
    mode: str = _setting(_choice("polling", "webhook"), "polling")
    webhook_url: str = _setting(_http_url("http", "https", optional=True), "")
    listen: str = _setting(_NONEMPTY_TEXT, "127.0.0.1")
    port: int = _setting(_integer(1, 65535), 8443)
    secret_token: str = _setting(_Kind(_parse_secret_token), "", redact=_mask)
    poll_timeout: datetime.timedelta = _setting(_DURATION_OR_ZERO, "10s")  # noqa: RUF009
    max_retries: int = _setting(_integer(0), 5)
    connect_timeout: datetime.timedelta = _setting(_DURATION, "5s")  # noqa: RUF009
    read_timeout: datetime.timedelta = _setting(_DURATION, "10s")  # noqa: RUF009
    leader_burst: int = _setting(_integer(1), 10)
    leader_interval: datetime.timedelta = _setting(_DURATION, "1s")  # noqa: RUF009
    max_backlog: int = _setting(_integer(1), 1000)
    # "shared": one of several `grow-coach run` webhook workers on one PostgreSQL
    # (bot/telegram/shared_inbox.py; README, "Scaling").
    workers: str = _setting(_choice("single", "shared"), "single")


@dataclasses.dataclass(frozen=True, repr=False)
class CoachingConfig(_Section):
    language: str = _setting(_Kind(_parse_language), coaching_defaults.LANGUAGE)


@dataclasses.dataclass(frozen=True, repr=False)
class SessionsConfig(_Section):
    interval: datetime.timedelta = _setting(  # noqa: RUF009
        _DURATION, format_duration(coaching_defaults.SESSION_INTERVAL)
    )


@dataclasses.dataclass(frozen=True, repr=False)
class EngagementConfig(_Section):
    length: int = _setting(_Kind(_parse_engagement_length), f"{coaching_defaults.ENGAGEMENT_MONTHS} months")
    sessions: int | None = _setting(_Kind(_parse_engagement_sessions, _engagement_sessions_from_env), "auto")
    move_by: datetime.timedelta = _setting(  # noqa: RUF009
        _DURATION, format_duration(coaching_defaults.MOVE_BY)
    )


@dataclasses.dataclass(frozen=True, repr=False)
class CheckinsConfig(_Section):
    first_after: datetime.timedelta = _setting(  # noqa: RUF009
        _DURATION, format_duration(coaching_defaults.FIRST_CHECKIN_AFTER)
    )
    grace: datetime.timedelta = _setting(_DURATION_OR_ZERO, "1d")  # noqa: RUF009
    quiet_hours: QuietHours | None = _setting(  # noqa: RUF009
        _QUIET_HOURS, format_quiet_hours(coaching_defaults.QUIET_HOURS)
    )
    dispatch_every: datetime.timedelta = _setting(_DURATION, "5s")  # noqa: RUF009
    batch_size: int = _setting(_integer(1), 100)
    send_rate: int = _setting(_integer(1, 30), 30)
    resend_after: datetime.timedelta = _setting(_DURATION, "2m")  # noqa: RUF009
    stuck_after: datetime.timedelta = _setting(_DURATION, "2m")  # noqa: RUF009


# The coaching defaults live with the coach (flows/settings.py); here they are written as
# they would appear in config.toml.
DEFAULT_RESOURCES = list(coaching_defaults.CRISIS_RESOURCES)


@dataclasses.dataclass(frozen=True, repr=False)
class SafetyConfig(_Section):
    resources: tuple[str, ...] = _setting(_Kind(_parse_resources, _lines_from_env), DEFAULT_RESOURCES)


@dataclasses.dataclass(frozen=True, repr=False)
class AccessConfig(_Section):
    mode: str = _setting(_choice("open", "allowlist", "invite"), "open")
    allowlist: tuple[int, ...] = _setting(_Kind(_parse_user_ids, _user_ids_from_env), [])
    invite_ttl: datetime.timedelta = _setting(_DURATION, "7d")  # noqa: RUF009


def _parse_metrics_listen(value: object) -> str:
    text = _parse_text(value)
    # Imported here: bot.operations.server is the one place that reads the address.
    from bot.operations.server import parse_listen

    parse_listen(text)
    return text.strip()


@dataclasses.dataclass(frozen=True, repr=False)
class MetricsConfig(_Section):
    # "host:port" for /healthz and /metrics; "" serves neither.
    listen: str = _setting(_Kind(_parse_metrics_listen), "")


@dataclasses.dataclass(frozen=True, repr=False)
class FeedbackConfig(_Section):
    # Never below 3: fewer answers would let a leader work out who said what.
    min_responses: int = _setting(_integer(coaching_defaults.FEEDBACK_MIN_RESPONSES), 3)
    link_ttl: datetime.timedelta = _setting(  # noqa: RUF009
        _DURATION, format_duration(coaching_defaults.FEEDBACK_LINK_TTL)
    )
    # The key stakeholders' ids are hashed with (32 bytes, like `grow-coach keys new` makes);
    # empty: a key file beside an SQLite database, and feedback switched off on PostgreSQL.
    hash_key: str = _setting(_Kind(_parse_secret), "", redact=_mask)


@dataclasses.dataclass(frozen=True, repr=False)
class LoggingConfig(_Section):
    level: str = _setting(_choice("DEBUG", "INFO", "WARNING", "ERROR", fold_case=True), "INFO")
    format: str = _setting(_choice("text", "json"), "text")


@dataclasses.dataclass(frozen=True, repr=False)
class PrivacyConfig(_Section):
    # Empty: on SQLite a key file beside the database is created on first start;
    # PostgreSQL refuses to start without a key.
    encryption_key: str = _setting(_Kind(_parse_encryption_key), "", redact=_mask)
    old_encryption_keys: tuple[str, ...] = _setting(
        _Kind(_parse_old_keys, _keys_from_env), [], redact=_mask_keys
    )


SECTIONS: dict[str, type[_Section]] = {
    "database": DatabaseConfig,
    "telegram": TelegramConfig,
    "coaching": CoachingConfig,
    "sessions": SessionsConfig,
    "engagement": EngagementConfig,
    "checkins": CheckinsConfig,
    "safety": SafetyConfig,
    "access": AccessConfig,
    "feedback": FeedbackConfig,
    "metrics": MetricsConfig,
    "logging": LoggingConfig,
    "privacy": PrivacyConfig,
}


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """$GROW_COACH_DATA_DIR, else $XDG_DATA_HOME/grow-coach, else ~/.local/share/grow-coach."""
    explicit = environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = environ.get("XDG_DATA_HOME")
    # The XDG spec says relative values are invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "grow-coach"
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    return home / ".local" / "share" / "grow-coach"


@dataclasses.dataclass(frozen=True)
class Config:
    database: DatabaseConfig = dataclasses.field(default_factory=DatabaseConfig)
    telegram: TelegramConfig = dataclasses.field(default_factory=TelegramConfig)
    coaching: CoachingConfig = dataclasses.field(default_factory=CoachingConfig)
    sessions: SessionsConfig = dataclasses.field(default_factory=SessionsConfig)
    engagement: EngagementConfig = dataclasses.field(default_factory=EngagementConfig)
    checkins: CheckinsConfig = dataclasses.field(default_factory=CheckinsConfig)
    safety: SafetyConfig = dataclasses.field(default_factory=SafetyConfig)
    access: AccessConfig = dataclasses.field(default_factory=AccessConfig)
    feedback: FeedbackConfig = dataclasses.field(default_factory=FeedbackConfig)
    metrics: MetricsConfig = dataclasses.field(default_factory=MetricsConfig)
    logging: LoggingConfig = dataclasses.field(default_factory=LoggingConfig)
    privacy: PrivacyConfig = dataclasses.field(default_factory=PrivacyConfig)
    # Not a config key: where the embedded SQLite database lives when database.url is empty.
    data_dir: Path = dataclasses.field(default_factory=lambda: default_data_dir(os.environ))

    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the log filter that blanks them out."""
        candidates = (
            self.telegram.token,
            self.telegram.secret_token,
            self.privacy.encryption_key,
            *self.privacy.old_encryption_keys,
            self.feedback.hash_key,
        )
        return tuple(secret for secret in candidates if secret)

    def database_url(self) -> str:
        """The SQLAlchemy URL to connect to, creating the data directory if needed."""
        if self.database.url:
            return self.database.url
        try:
            # Private: the database holds people's coaching conversations.
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f'cannot create data directory "{self.data_dir}": {error.strerror}') from None
        return f"sqlite:///{self.data_dir / SQLITE_FILENAME}"


# --- loading -------------------------------------------------------------------

# (section, key) -> (where the value came from, raw TOML-shaped value)
_Settings = dict[tuple[str, str], tuple[str, object]]


def _field(section: str, key: str) -> dataclasses.Field[Any] | None:
    for field in dataclasses.fields(SECTIONS[section]):  # type: ignore[arg-type]
        if field.name == key:
            return field
    return None


def _read_toml(path: Path, *, required: bool) -> dict[str, Any] | None:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        if required:
            raise ConfigError(f'cannot read config file "{path}": No such file or directory') from None
        return None
    except OSError as error:
        raise ConfigError(f'cannot read config file "{path}": {error.strerror}') from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: not UTF-8 text ({error.reason})") from None


def _file_settings(data: Mapping[str, Any], label: str) -> _Settings:
    found: _Settings = {}
    for section, table in data.items():
        if section not in SECTIONS:
            raise ConfigError(f'{label}: unknown section "{section}"')
        if not isinstance(table, dict):
            # The value is not shown: it might be a secret typed in the wrong place.
            raise ConfigError(f"{label}: {section}: expected a table, written as [{section}]")
        for key, value in table.items():
            if _field(section, key) is None:
                raise ConfigError(f'{label}: unknown key "{section}.{key}"')
            found[(section, key)] = (f"{label}: {section}.{key}", value)
    return found


def _env_target(name: str) -> tuple[str, str] | None:
    """Map GROW_COACH_<SECTION>_<KEY> to (section, key); None if not a config variable."""
    if not name.startswith(ENV_PREFIX):
        return None
    rest = name[len(ENV_PREFIX) :]
    for section in SECTIONS:
        prefix = f"{section.upper()}_"
        if rest.startswith(prefix):
            return section, rest[len(prefix) :].lower()
    # E.g. GROW_COACH_DATA_DIR or GROW_COACH_TEST_DATABASE_URL: not config keys.
    return None


def _env_settings(environ: Mapping[str, str]) -> _Settings:
    found: _Settings = {}
    for name in sorted(environ):  # sorted so the same environment reports the same error
        target = _env_target(name)
        if target is None:
            continue
        section, key = target
        field = _field(section, key)
        if field is None:
            raise ConfigError(f'{name}: unknown key "{section}.{key}"')
        try:
            found[target] = (name, field.metadata["kind"].from_env(environ[name]))
        except ValueError as error:
            raise ConfigError(f"{name}: {error}") from None
    return found


def _build_section(section: str, settings: _Settings) -> _Section:
    values = {}
    for field in dataclasses.fields(SECTIONS[section]):  # type: ignore[arg-type]
        entry = settings.get((section, field.name))
        if entry is None:
            continue
        label, raw = entry
        try:
            values[field.name] = field.metadata["kind"].parse(raw)
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{label}: {error}") from None
    return SECTIONS[section](**values)


def _check_webhook(telegram: TelegramConfig) -> None:
    if telegram.mode != "webhook":
        if telegram.workers == "shared":
            # Long polling has one consumer per token: Telegram refuses a second getUpdates.
            raise ConfigError('telegram.workers: "shared" needs telegram.mode = "webhook"')
        return
    for key in ("webhook_url", "secret_token"):
        if not getattr(telegram, key):
            raise ConfigError(f'telegram.{key}: required when telegram.mode is "webhook"')


def _check_deadlines(database: DatabaseConfig) -> None:
    # A call that outlives its deadline kills the whole service process (every leader's
    # call it held fails), so a slow statement must be cancelled by PostgreSQL first.
    for key in ("statement_timeout", "lock_timeout"):
        limit = getattr(database, key)
        if limit and database.call_timeout <= limit:
            raise ConfigError(
                f"database.call_timeout: must be longer than database.{key} "
                f"({format_duration(database.call_timeout)} is not longer than {format_duration(limit)})"
            )


def load_config(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Load the configuration; environ defaults to os.environ.

    With no path, ./config.toml is read if it exists.  GROW_COACH_<SECTION>_<KEY>
    environment variables override file values.  Raises ConfigError.
    """
    environ = os.environ if environ is None else environ
    file_path = DEFAULT_CONFIG_PATH if path is None else Path(path)
    data = _read_toml(file_path, required=path is not None) or {}
    settings = _file_settings(data, str(file_path)) | _env_settings(environ)
    sections = {name: _build_section(name, settings) for name in SECTIONS}
    config = Config(**sections, data_dir=default_data_dir(environ))  # type: ignore[arg-type]
    _check_webhook(config.telegram)
    _check_deadlines(config.database)
    return config
