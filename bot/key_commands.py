"""`grow-coach keys new|rotate|status`: the encryption keys of the stored free text.

Nothing here ever prints a stored value or a configured key; `new` prints the key it
makes, which is its purpose.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger("grow_coach")

ROTATION_STEPS = """\
To change keys: run `grow-coach keys new`, make its key [privacy] encryption_key and move
the old key to [privacy] old_encryption_keys, restart the bot, then run
`grow-coach keys rotate`. When `grow-coach keys status` lists only the current key,
remove the old one from the configuration."""


def add_key_commands(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="encryption keys of the stored answers",
        description=ROTATION_STEPS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_commands.add_parser("new", help="print a new random key (configures nothing)")
    rotate = keys_commands.add_parser(
        "rotate",
        help="re-encrypt every stored value under [privacy] encryption_key; safe while the bot "
        "runs, and to run again after an interruption",
    )
    rotate.add_argument(
        "--batch-size", type=_positive, default=500, help="values per transaction (default 500)"
    )
    keys_commands.add_parser("status", help="how many stored values each key holds (no text is shown)")


def run_key_command(args: argparse.Namespace, db: Database | None) -> int:
    if args.keys_command == "new":
        from storage.encryption import generate_key

        print(generate_key())
        return 0
    assert db is not None
    if args.keys_command == "rotate":
        return _rotate(db, args.batch_size)
    return _status(db)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rotate(db: Database, batch_size: int) -> int:
    from storage.key_rotation import encrypted_columns, rotate_logged
    from storage.models import Base

    report = rotate_logged(db.engine, encrypted_columns(Base.metadata), db.keyring, log, batch_size)
    print(
        f"{report.total_rewritten} value(s) re-encrypted under key {db.keyring.current.id} "
        f"in {report.batches} batch(es)"
    )
    if report.total_unreadable:
        print(
            f"{report.total_unreadable} value(s) are under a key that is not configured and were left "
            "as they are: list that key in [privacy] old_encryption_keys and run this again"
        )
        return 1
    return 0


def _status(db: Database) -> int:
    from storage.key_rotation import encrypted_columns, key_census
    from storage.models import Base

    census = key_census(db.engine, encrypted_columns(Base.metadata))
    ring = db.keyring
    current = ring.current.id
    print(f"current key: {current}")
    rows = [(current, census.get(current, 0))]
    rows += [(key_id, count) for key_id, count in census.items() if key_id != current]
    for key_id, count in rows:
        if key_id is None:
            label = "plain text, written before encryption (`grow-coach keys rotate` encrypts it)"
        elif key_id == current:
            label = f"key {key_id} (current)"
        elif key_id in ring.key_ids:
            label = f"key {key_id} (an old key, still configured for reading)"
        else:
            label = f"key {key_id} (NOT configured: these values cannot be read)"
        print(f"  {count:>8}  {label}")
    for key_id in ring.key_ids:
        if key_id != current and key_id not in census:
            print(f"  {0:>8}  key {key_id} (an old key no value needs any more: it may be removed)")
    pending = sum(count for key_id, count in census.items() if key_id != current)
    print("everything is under the current key" if not pending else f"{pending} value(s) to re-encrypt")
    return 0
