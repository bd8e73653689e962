"""Wiring shared by every front end: the database, the engine and the service."""

from __future__ import annotations

from sqlalchemy.exc import ArgumentError, OperationalError

from bot.coaching.access import AccessPolicy
from bot.coaching.service import CoachService
from bot.config.loader import Config, ConfigError
from flows.engine import CoachEngine
from flows.settings import CoachSettings
from storage.db import Database, Timeouts


def coach_settings(config: Config) -> CoachSettings:
    return CoachSettings(
        language=config.coaching.language,
        first_after=config.checkins.first_after,
        session_interval=config.sessions.interval,
        engagement_months=config.engagement.length,
        engagement_sessions=config.engagement.sessions,
        move_by=config.engagement.move_by,
        quiet_hours=config.checkins.quiet_hours,
        safety_resources=tuple(config.safety.resources),
    )


def database_timeouts(config: Config) -> Timeouts:
    database = config.database
    return Timeouts(
        connect=database.connect_timeout, lock=database.lock_timeout, statement=database.statement_timeout
    )


def open_database(url: str, timeouts: Timeouts | None = None) -> Database:
    """Connect and migrate; a database that cannot be used stops start-up in one line."""
    try:
        db = Database(url, timeouts)
        db.upgrade()
    except (ArgumentError, OperationalError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ConfigError(f"database.url: cannot open the database: {reason}") from None
    return db


def build_service(config: Config, db: Database) -> CoachService:
    access = AccessPolicy(config.access.mode, frozenset(str(uid) for uid in config.access.allowlist))
    return CoachService(db, CoachEngine(coach_settings(config)), access)
