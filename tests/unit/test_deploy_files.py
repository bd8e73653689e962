"""The deployment examples in deploy/ use settings the bot really has.

Docker and systemd are not run in CI; this at least catches a misspelt
GROW_COACH_* variable or a port that two files disagree on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config.loader import load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_SETTING = re.compile(r"\b(GROW_COACH_[A-Z0-9_]+)\s*[=:]\s*\"?([^\"\s\\]*)")


def _settings(name: str) -> dict[str, str]:
    text = (DEPLOY / name).read_text()
    found = dict(_SETTING.findall(text))
    # compose interpolates ${...} from deploy/.env.
    found = {key: value.replace("${POSTGRES_PASSWORD}", "s3cretpassw0rd") for key, value in found.items()}
    return found


@pytest.mark.parametrize(
    "files",
    [["Dockerfile"], ["grow-coach.service"], ["Dockerfile", "compose.yaml", "grow-coach.env.example"]],
    ids=["docker", "systemd", "compose"],
)
def test_every_setting_in_the_deploy_files_is_accepted_by_the_config(
    files: list[str], tmp_path: Path
) -> None:
    environ: dict[str, str] = {}
    for name in files:
        environ |= _settings(name)
    assert environ, f"no GROW_COACH_* settings found in {files}"
    environ.setdefault("GROW_COACH_TELEGRAM_TOKEN", "")
    if not environ.get("GROW_COACH_TELEGRAM_SECRET_TOKEN", "x"):
        environ["GROW_COACH_TELEGRAM_SECRET_TOKEN"] = "a" * 64  # left blank for the operator
    empty_config = tmp_path / "config.toml"
    empty_config.write_text("")
    config = load_config(empty_config, environ)
    if "compose.yaml" in files:
        assert config.telegram.mode == "webhook"
        assert config.database_url().startswith("postgresql+psycopg://grow_coach:")


def test_the_proxy_routes_the_webhook_path_to_the_workers_port() -> None:
    nginx = (DEPLOY / "nginx.conf").read_text()
    example = _settings("grow-coach.env.example")
    compose = _settings("compose.yaml")
    path = re.sub(r"^https://[^/]+", "", example["GROW_COACH_TELEGRAM_WEBHOOK_URL"])
    assert f"location = {path} {{" in nginx
    assert f"server bot:{compose['GROW_COACH_TELEGRAM_PORT']} resolve;" in nginx


def test_the_image_health_check_asks_the_port_the_ops_server_listens_on() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    listen = re.search(r"GROW_COACH_METRICS_LISTEN=([\d.]+):(\d+)", dockerfile)
    assert listen is not None
    assert f"http://127.0.0.1:{listen.group(2)}/healthz" in dockerfile
    assert re.search(rf"^EXPOSE .*\b{listen.group(2)}\b", dockerfile, re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
