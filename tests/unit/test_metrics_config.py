"""`[metrics] listen`: off by default, a "host:port" when set, a clear error otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.loader import ConfigError, load_config


def test_metrics_are_off_unless_an_address_is_given(tmp_path: Path) -> None:
    empty = tmp_path / "config.toml"
    empty.write_text("")
    assert load_config(empty, {}).metrics.listen == ""
    configured = load_config(empty, {"GROW_COACH_METRICS_LISTEN": "127.0.0.1:9464"})
    assert configured.metrics.listen == "127.0.0.1:9464"
    listed = tmp_path / "listed.toml"
    listed.write_text('[metrics]\nlisten = "[::1]:9464"\n')
    assert load_config(listed, {}).metrics.listen == "[::1]:9464"


@pytest.mark.parametrize("listen", ["9464", "localhost", "127.0.0.1:99999", "127.0.0.1:port"])
def test_an_address_without_a_usable_port_is_refused_at_start_up(tmp_path: Path, listen: str) -> None:
    empty = tmp_path / "config.toml"
    empty.write_text("")
    with pytest.raises(ConfigError, match=r"GROW_COACH_METRICS_LISTEN.*host:port"):
        load_config(empty, {"GROW_COACH_METRICS_LISTEN": listen})
