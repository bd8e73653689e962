"""`[telegram] workers = "shared"`: several webhook workers on one PostgreSQL, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.loader import ConfigError, load_config
from bot.telegram.runner import run_telegram

WEBHOOK = {
    "GROW_COACH_TELEGRAM_TOKEN": "123456789:AAF-secret-token-value",
    "GROW_COACH_TELEGRAM_MODE": "webhook",
    "GROW_COACH_TELEGRAM_WEBHOOK_URL": "https://coach.example.com/telegram",
    "GROW_COACH_TELEGRAM_SECRET_TOKEN": "s3cret_-Value",
    "GROW_COACH_TELEGRAM_WORKERS": "shared",
}


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_one_process_is_the_default() -> None:
    assert load_config(environ={}).telegram.workers == "single"


def test_shared_workers_with_a_webhook_load() -> None:
    environ = {**WEBHOOK, "GROW_COACH_DATABASE_URL": "postgresql+psycopg://coach@db/coach"}
    assert load_config(environ=environ).telegram.workers == "shared"


def test_shared_workers_cannot_long_poll() -> None:
    environ = {**WEBHOOK, "GROW_COACH_TELEGRAM_MODE": "polling"}
    with pytest.raises(ConfigError) as caught:
        load_config(environ=environ)
    assert str(caught.value) == 'telegram.workers: "shared" needs telegram.mode = "webhook"'


def test_shared_workers_refuse_a_sqlite_file_before_opening_anything(tmp_path: Path) -> None:
    config = load_config(environ={**WEBHOOK, "GROW_COACH_DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}"})
    with pytest.raises(ConfigError) as caught:
        run_telegram(config)
    assert str(caught.value).startswith('telegram.workers: "shared" needs a PostgreSQL database.url')
    assert not (tmp_path / "coach.db").exists()


def test_an_unknown_workers_value_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={**WEBHOOK, "GROW_COACH_TELEGRAM_WORKERS": "4"})
    assert str(caught.value) == 'GROW_COACH_TELEGRAM_WORKERS: expected one of "single", "shared", got "4"'
