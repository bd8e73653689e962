"""`--config` may come before or after the subcommand; both mean the same."""

from __future__ import annotations

import pytest

from bot.cli import build_parser


@pytest.mark.parametrize(
    "command", [["run"], ["chat"], ["chat", "--user", "ann"], ["migrate"], ["admin", "invite"]]
)
def test_config_after_the_subcommand_equals_the_global_form(command: list[str]) -> None:
    parser = build_parser()
    before = parser.parse_args(["--config", "my.toml", *command])
    after = parser.parse_args([*command, "--config", "my.toml"])
    assert after == before
    assert after.config == "my.toml"


def test_without_config_anywhere_none_is_given() -> None:
    assert build_parser().parse_args(["chat"]).config is None


def test_config_before_the_subcommand_is_kept_when_none_follows_it() -> None:
    args = build_parser().parse_args(["--config", "a.toml", "chat", "--user", "ann"])
    assert (args.config, args.user) == ("a.toml", "ann")
