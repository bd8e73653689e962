"""[privacy] encryption keys in the configuration: accepted forms, and never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config.loader import ConfigError, load_config
from bot.logs import setup_logging
from storage.encryption import generate_key

KEY, OLD, OLDER = generate_key(), generate_key(), generate_key()


def test_keys_from_the_file_and_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[privacy]\nencryption_key = "{KEY}"\nold_encryption_keys = ["{OLD}"]\n')
    config = load_config(path, environ={})
    assert config.privacy.encryption_key == KEY
    assert config.privacy.old_encryption_keys == (OLD,)

    config = load_config(
        path,
        environ={
            "GROW_COACH_PRIVACY_ENCRYPTION_KEY": OLDER,
            "GROW_COACH_PRIVACY_OLD_ENCRYPTION_KEYS": f"{KEY}, {OLD}",
        },
    )
    assert config.privacy.encryption_key == OLDER
    assert config.privacy.old_encryption_keys == (KEY, OLD)


def test_no_key_is_the_default() -> None:
    config = load_config(environ={})
    assert config.privacy.encryption_key == "" and config.privacy.old_encryption_keys == ()


def test_keys_never_appear_in_the_configs_repr() -> None:
    config = load_config(
        environ={
            "GROW_COACH_PRIVACY_ENCRYPTION_KEY": KEY,
            "GROW_COACH_PRIVACY_OLD_ENCRYPTION_KEYS": f"{OLD},{OLDER}",
        }
    )
    shown = repr(config) + str(config.privacy)
    for key in (KEY, OLD, OLDER):
        assert key not in shown
    assert "encryption_key='***'" in shown and "old_encryption_keys=<2 key(s) hidden>" in shown
    assert set(config.secrets()) >= {KEY, OLD, OLDER}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GROW_COACH_PRIVACY_ENCRYPTION_KEY", "hunter2hunter2", "expected 32 random bytes in base64"),
        ("GROW_COACH_PRIVACY_ENCRYPTION_KEY", KEY[:20], "expected 32 random bytes in base64"),
        ("GROW_COACH_PRIVACY_OLD_ENCRYPTION_KEYS", f"{OLD},hunter2hunter2", "entry 2: expected 32 random"),
    ],
)
def test_a_malformed_key_is_named_but_not_shown(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={variable: value})
    assert str(caught.value).startswith(f"{variable}: ")
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value) and KEY[:20] not in str(caught.value)


def test_the_log_blanks_out_a_configured_key(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(environ={"GROW_COACH_PRIVACY_ENCRYPTION_KEY": KEY})
    setup_logging("INFO", "text", secrets=config.secrets())
    logging.getLogger("grow_coach").warning("pasted by mistake: %s", KEY)
    err = capsys.readouterr().err
    assert KEY not in err and "<secret>" in err
