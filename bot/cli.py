"""`grow-coach`: the command line for running, chatting and administering the coach."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config.loader import Config, ConfigError, load_config
from bot.key_commands import add_key_commands, run_key_command
from bot.logs import setup_logging
from bot.operations.backup_command import add_backup_command, run_backup


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grow-coach", description="GROW Coach: a leadership-coaching bot.")
    parser.add_argument("--config", metavar="FILE", help="config file (default: ./config.toml if present)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run", help="start the bot: Telegram if a token is configured, else the terminal chat"
    )
    chat = commands.add_parser("chat", help="chat with the coach in this terminal")
    chat.add_argument("--user", default="local", help="which local leader to be (default: local)")
    chat.add_argument(
        "--export-dir",
        type=Path,
        default=None,
        help="where /export writes its files (default: ./grow-coach-export)",
    )
    commands.add_parser("migrate", help="upgrade the database schema and exit")
    admin = commands.add_parser("admin", help="administration")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    invite = admin_commands.add_parser(
        "invite", help="create single-use invite codes ([access] mode = invite)"
    )
    invite.add_argument("--count", type=int, default=1, help="how many codes (default 1)")
    invite.add_argument("--bot-username", help="also print t.me links for this bot")
    add_backup_command(admin_commands)
    add_key_commands(commands)
    stats = admin_commands.add_parser(
        "stats", help="aggregate, anonymous figures for the organisation (none from fewer than 5 leaders)"
    )
    stats.add_argument("--json", action="store_true", help="print JSON, for dashboards")
    _config_anywhere(parser)
    return parser


def _config_anywhere(parser: argparse.ArgumentParser) -> None:
    """`grow-coach chat --config x.toml` means `grow-coach --config x.toml chat`.

    Each subcommand takes `--config` too; SUPPRESS leaves the value given before the
    subcommand in place when none follows it.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                subparser.add_argument(
                    "--config", metavar="FILE", default=argparse.SUPPRESS, help="config file"
                )
                _config_anywhere(subparser)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "keys" and args.keys_command == "new":
        # Needs no configuration: this is how the first key is made.
        return run_key_command(args, None)
    try:
        config = load_config(args.config)
        config.database_url()  # the data directory exists, or start-up stops in one line
    except ConfigError as error:
        print(f"grow-coach: {error}", file=sys.stderr)
        return 2
    command = args.command or "run"
    interactive_chat = command == "chat" or (command == "run" and not config.telegram.token)
    # The terminal chat prints to the same screen: keep routine logs out of the way.
    setup_logging(
        "WARNING" if interactive_chat else config.logging.level,
        config.logging.format,
        secrets=config.secrets(),
    )
    if command == "admin" and args.admin_command == "backup":
        # Before anything opens the database: opening it migrates and creates -wal/-shm files.
        return run_backup(config.database_url(), args.file, overwrite=args.overwrite)
    try:
        if command == "run" and config.telegram.token:
            # It opens (and migrates) the database wherever the coach runs: in this
            # process, or only in its service processes.
            from bot.telegram.runner import run_telegram

            return run_telegram(config)
        from bot.coaching.wiring import open_database

        db = open_database(config)
    except ConfigError as error:
        print(f"grow-coach: {error}", file=sys.stderr)
        return 2
    if command == "keys":
        return run_key_command(args, db)
    if command == "migrate":
        print("database is up to date")
        return 0
    if command == "admin" and args.admin_command == "stats":
        return _stats(db, as_json=args.json)
    if command == "admin":
        return _invite(config, db, args.count, args.bot_username)
    if command == "run":
        print(
            "No Telegram token configured ([telegram] token or GROW_COACH_TELEGRAM_TOKEN): "
            "starting the terminal chat."
        )
    return _chat(config, db, getattr(args, "user", "local"), getattr(args, "export_dir", None))


def _invite(config: Config, db: object, count: int, bot_username: str | None) -> int:
    from datetime import UTC, datetime

    from storage.db import Database
    from storage.invites import create_invite

    assert isinstance(db, Database)
    now = datetime.now(UTC)
    with db.session() as session:
        rows = [create_invite(session, now, config.access.invite_ttl) for _ in range(max(1, count))]
    for row in rows:
        link = f"  https://t.me/{bot_username}?start={row.code}" if bot_username else ""
        print(f"{row.code}  (single use, expires {row.expires_at:%Y-%m-%d %H:%M} UTC){link}")
    return 0


def _stats(db: object, *, as_json: bool) -> int:
    import json
    from datetime import UTC, datetime

    from storage.db import Database
    from storage.org_stats import MIN_LEADERS, organisation_stats

    assert isinstance(db, Database)
    with db.session() as session:
        figures = organisation_stats(session, datetime.now(UTC))
    if as_json:
        document = {
            "min_leaders": MIN_LEADERS,
            "figures": {f.name: {"value": f.value, "withheld": f.withheld} for f in figures},
        }
        print(json.dumps(document, indent=2, sort_keys=True))
        return 0
    for figure in figures:
        if figure.withheld:
            shown = f"withheld (fewer than {MIN_LEADERS} leaders)"
        elif isinstance(figure.value, dict):
            shown = ", ".join(f"{key}: {count}" for key, count in figure.value.items()) or "none"
        else:
            shown = str(figure.value)
        print(f"{figure.name.replace('_', ' ')}: {shown}")
    return 0


def _chat(config: Config, db: object, user: str, export_dir: Path | None) -> int:
    from bot.coaching.wiring import build_service
    from bot.terminal import run_chat

    service = build_service(config, db)  # type: ignore[arg-type]
    try:
        return run_chat(
            service,
            user=user,
            export_dir=export_dir,
            chart_dir=config.data_dir / "progress",
            checkin_every=config.checkins.dispatch_every,
            grace=config.checkins.grace,
        )
    except KeyboardInterrupt:
        print()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
