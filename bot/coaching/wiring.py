"""Wiring shared by every front end: the database, the engine and the service."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.exc import ArgumentError, OperationalError

from bot.coaching.access import AccessPolicy
from bot.coaching.service import CoachService
from bot.config.loader import Config, ConfigError
from flows.engine import CoachEngine
from flows.settings import CoachSettings
from storage.db import Database, Timeouts
from storage.encryption import InvalidKey, KeyRing
from storage.encryption_keys import keyring_for_database
from storage.feedback_key import load_feedback_key

log = logging.getLogger("grow_coach")


def coach_settings(config: Config, *, feedback_enabled: bool = True) -> CoachSettings:
    return CoachSettings(
        language=config.coaching.language,
        first_after=config.checkins.first_after,
        session_interval=config.sessions.interval,
        engagement_months=config.engagement.length,
        engagement_sessions=config.engagement.sessions,
        move_by=config.engagement.move_by,
        quiet_hours=config.checkins.quiet_hours,
        safety_resources=tuple(config.safety.resources),
        feedback_min_responses=config.feedback.min_responses,
        feedback_link_ttl=config.feedback.link_ttl,
        feedback_enabled=feedback_enabled,
    )


def database_timeouts(config: Config) -> Timeouts:
    database = config.database
    return Timeouts(
        connect=database.connect_timeout, lock=database.lock_timeout, statement=database.statement_timeout
    )


def database_keyring(config: Config, url: str) -> KeyRing:
    """The encryption keys the configuration gives (or the SQLite key file); a missing
    or malformed key stops start-up in one line that names no key."""
    try:
        privacy = config.privacy
        return keyring_for_database(url, privacy.encryption_key, privacy.old_encryption_keys, log)
    except InvalidKey as error:
        raise ConfigError(f"privacy.encryption_key: {error}") from None
    except OSError as error:
        if error.filename and not Path(error.filename).parent.is_dir():
            # The key file goes beside the database: where neither can be.
            raise ConfigError(f"database.url: cannot open the database: {error}") from None
        raise ConfigError(f"privacy.encryption_key: cannot read or create the key file: {error}") from None


def open_database(config: Config, *, migrate: bool = True) -> Database:
    """Every process that uses the database opens it here: keys first, then connect
    (with the configured timeouts) and, if asked, migrate; a database that cannot be
    used stops start-up in one line."""
    url = config.database_url()
    keyring = database_keyring(config, url)
    try:
        db = Database(url, database_timeouts(config), keyring=keyring)
        if migrate:
            db.upgrade()
    except (ArgumentError, OperationalError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ConfigError(f"database.url: cannot open the database: {reason}") from None
    return db


MPLCONFIGDIR = "MPLCONFIGDIR"


def chart_cache_dir(data_dir: Path) -> Path | None:
    """Where matplotlib keeps its font cache: under the data directory, so a service
    that runs with a read-only home (systemd's ProtectHome, a container) builds the cache
    once rather than on every start. An MPLCONFIGDIR already set is left alone."""
    if os.environ.get(MPLCONFIGDIR):
        return Path(os.environ[MPLCONFIGDIR])
    folder = data_dir / "matplotlib"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None  # matplotlib falls back to a temporary directory of its own
    os.environ[MPLCONFIGDIR] = str(folder)
    return folder


def build_service(config: Config, db: Database) -> CoachService:
    # Before the first chart imports matplotlib, which reads it once.
    chart_cache_dir(config.data_dir)
    access = AccessPolicy(config.access.mode, frozenset(str(uid) for uid in config.access.allowlist))
    try:
        key = load_feedback_key(config.feedback.hash_key, db.engine.url, log)
    except InvalidKey as error:
        raise ConfigError(str(error)) from None
    if key is None:
        log.warning("stakeholder feedback is off: PostgreSQL needs [feedback] hash_key")
    settings = coach_settings(config, feedback_enabled=key is not None)
    return CoachService(
        db, CoachEngine(settings), access, feedback_key=key, resend_after=config.checkins.resend_after
    )
