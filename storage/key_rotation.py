"""Re-encrypt stored free text under the current key, while the bot keeps running.

Rows are taken in primary-key order, `batch_size` at a time, each batch in its own
short transaction, so the bot's writes wait at most one batch. A row already under
the current key is never selected (its text starts with the key's header), which is
what makes a rerun after a crash pick up where the last committed batch ended.

Before rotating, every process must run with the new key as current and the old ones
listed for reading: values the bot writes meanwhile are then already under the new key.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, MetaData, Text, and_, column, func, select, table, update

from storage.encryption import PREFIX, DecryptionFailed, EncryptedJSON, EncryptedText, KeyRing, stored_key_id


@dataclass(frozen=True)
class RotationTarget:
    table: str
    column: str
    primary_key: str = "id"

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class BatchDone:
    target: RotationTarget
    rewritten: int
    last_key: object


@dataclass
class RotationReport:
    rewritten: dict[str, int] = field(default_factory=dict)
    # Values no configured key opens (or altered ones): left as they are, counted here.
    unreadable: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    @property
    def total_rewritten(self) -> int:
        return sum(self.rewritten.values())

    @property
    def total_unreadable(self) -> int:
        return sum(self.unreadable.values())


def encrypted_columns(metadata: MetaData) -> list[RotationTarget]:
    """Every EncryptedText/EncryptedJSON column of the models, with its table's key."""
    targets = []
    for tbl in metadata.sorted_tables:
        pk = list(tbl.primary_key.columns)
        for col in tbl.columns:
            if isinstance(col.type, EncryptedText | EncryptedJSON):
                if len(pk) != 1:
                    raise ValueError(f"{tbl.name} needs a one-column primary key to be rotated")
                if col.type.context != f"{tbl.name}.{col.name}":
                    raise ValueError(f"{tbl.name}.{col.name} is declared with context {col.type.context!r}")
                targets.append(RotationTarget(tbl.name, col.name, pk[0].name))
    return targets


def rotate(
    engine: Engine,
    targets: Iterable[RotationTarget],
    keyring: KeyRing,
    batch_size: int = 500,
    on_batch: Callable[[BatchDone], None] | None = None,
) -> RotationReport:
    """Bring every value of `targets` under the keyring's current key (legacy plain
    text included); safe to stop at any point and to run again."""
    report = RotationReport()
    for target in targets:
        report.rewritten.setdefault(target.context, 0)
        report.unreadable.setdefault(target.context, 0)
        _rotate_column(engine, target, keyring, batch_size, on_batch, report)
    return report


def _rotate_column(
    engine: Engine,
    target: RotationTarget,
    keyring: KeyRing,
    batch_size: int,
    on_batch: Callable[[BatchDone], None] | None,
    report: RotationReport,
) -> None:
    # Lightweight Core constructs typed plain Text: the raw stored text, untouched by
    # the column's own EncryptedText type.
    key = column(target.primary_key)
    value = column(target.column, Text)
    tbl = table(target.table, key, value)
    # The header is hex and a colon: nothing in it is a LIKE wildcard.
    pending = and_(value.is_not(None), value != "", value.not_like(keyring.current_header + "%"))
    after: object = None
    while True:
        query = select(key, value).where(pending).order_by(key).limit(batch_size)
        if after is not None:
            query = query.where(key > after)
        with engine.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                return
            rewritten = 0
            for row_key, stored in rows:
                try:
                    plain = keyring.decrypt(stored, target.context)
                except DecryptionFailed:
                    report.unreadable[target.context] += 1
                    continue
                fresh = keyring.encrypt(plain, target.context)
                # Only if unchanged since read: a value the bot rewrote meanwhile is
                # already under the current key.
                result = connection.execute(
                    update(tbl).where(key == row_key, value == stored).values({target.column: fresh})
                )
                rewritten += result.rowcount
            after = rows[-1][0]
        report.rewritten[target.context] += rewritten
        report.batches += 1
        if on_batch is not None:
            on_batch(BatchDone(target, rewritten, after))


def remaining(engine: Engine, targets: Sequence[RotationTarget], keyring: KeyRing) -> dict[str, int]:
    """How many values per column are not yet under the current key."""
    counts = {}
    with engine.connect() as connection:
        for target in targets:
            value = column(target.column, Text)
            tbl = table(target.table, value)
            query = (
                select(func.count())
                .select_from(tbl)
                .where(value.is_not(None), value != "", value.not_like(keyring.current_header + "%"))
            )
            counts[target.context] = connection.execute(query).scalar_one()
    return counts


def key_census(engine: Engine, targets: Sequence[RotationTarget]) -> Counter[str | None]:
    """How many stored values are under each key id (None: plain text from before
    encryption): an old key may be dropped once it no longer appears here."""
    header_length = len(PREFIX) + 9  # "gce1:" + 8 hex digits + ":"
    census: Counter[str | None] = Counter()
    with engine.connect() as connection:
        for target in targets:
            value = column(target.column, Text)
            head = func.substr(value, 1, header_length)
            query = (
                select(head, func.count())
                .select_from(table(target.table, value))
                .where(value.is_not(None), value != "")
                .group_by(head)
            )
            for start, count in connection.execute(query):
                census[stored_key_id(start)] += count
    return census


def rotate_logged(
    engine: Engine,
    targets: Sequence[RotationTarget],
    keyring: KeyRing,
    log: logging.Logger,
    batch_size: int = 500,
) -> RotationReport:
    """`rotate` with progress in the log (counts and row keys only, never a value)."""
    todo = remaining(engine, targets, keyring)
    log.info("re-encrypting %d value(s) under key %s", sum(todo.values()), keyring.current.id)

    def progress(batch: BatchDone) -> None:
        log.info(
            "re-encrypted %d value(s) of %s, up to %s %s",
            batch.rewritten,
            batch.target.context,
            batch.target.primary_key,
            batch.last_key,
        )

    report = rotate(engine, targets, keyring, batch_size, progress)
    log.info(
        "key rotation done: %d value(s) re-encrypted in %d batch(es)", report.total_rewritten, report.batches
    )
    if report.total_unreadable:
        log.error(
            "%d value(s) could not be read and were left as they are (%s): list the key they are under "
            "in [privacy] old_encryption_keys and run the rotation again",
            report.total_unreadable,
            ", ".join(f"{name}: {n}" for name, n in report.unreadable.items() if n),
        )
    return report
