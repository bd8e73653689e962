"""What encrypting the leaders' answers at rest costs, per answer.

    .venv/bin/python -m bench.encryption_cost [--answers 10000] [--rounds 5]

1. The cipher alone (storage.encryption.KeyRing, AES-256-GCM plus the text form):
   encrypt, decrypt and both, for answers of about 20, 100 and 300 characters.
2. Through the database: --answers answers inserted (one transaction, executemany)
   and selected back on an SQLite file set up as the bot sets it up (storage.db),
   once into a plain Text column and once into an EncryptedText column.

Each figure is the median of --rounds. Target: under 0.1 ms (100 µs) per answer.
Figures only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, Text, delete, insert, select

from storage.db import Database
from storage.encryption import EncryptedText, KeyRing, set_keyring

TARGET_US = 100.0
WORDS = (
    "I team my the to want more less delegate meeting Priya Thursday retro review budget hiring "
    "feel honestly maybe afraid trust feedback one-on-one goal deadline ask listen decide weekly "
    "stakeholders roadmap Über-Team weniger Fokus 💪 ✅ ok?"
).split()


def answer_of(length: int, rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:length]


def median_us(rounds: int, count: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) / count * 1e6


def cipher_figures(keyring: KeyRing, rounds: int, rng: random.Random) -> None:
    print("cipher alone (µs per answer, median of rounds)")
    print(f"  {'length':>6} {'encrypt':>8} {'decrypt':>8} {'both':>8}")
    count = 20_000
    for length in (20, 100, 300):
        answers = [answer_of(length, rng) for _ in range(count)]
        stored = [keyring.encrypt(a, "answers.text") for a in answers]
        encrypt = median_us(
            rounds, count, lambda answers=answers: [keyring.encrypt(a, "answers.text") for a in answers]
        )
        decrypt = median_us(
            rounds, count, lambda stored=stored: [keyring.decrypt(s, "answers.text") for s in stored]
        )
        print(f"  {length:>6} {encrypt:>8.2f} {decrypt:>8.2f} {encrypt + decrypt:>8.2f}")


def database_figures(keyring: KeyRing, answers: int, rounds: int, rng: random.Random) -> None:
    texts = [answer_of(rng.randint(20, 300), rng) for _ in range(answers)]
    metadata = MetaData()
    tables = {
        "plain Text": Table("plain", metadata, Column("id", Integer, primary_key=True), Column("text", Text)),
        "EncryptedText": Table(
            "sealed",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("text", EncryptedText("sealed.text")),
        ),
    }
    with tempfile.TemporaryDirectory(prefix="grow-bench-") as directory:
        database = Database(f"sqlite:///{Path(directory) / 'bench.db'}")
        metadata.create_all(database.engine)
        print(f"\nSQLite, {answers} answers of 20-300 characters (µs per answer, median of rounds)")
        print(f"  {'column':<14} {'insert':>8} {'select':>8} {'both':>8}")
        results = {}
        for name, tbl in tables.items():
            rows = [{"text": t} for t in texts]

            def insert_all(tbl: Table = tbl, rows: list[dict[str, str]] = rows) -> None:
                with database.engine.begin() as connection:
                    connection.execute(delete(tbl))
                    connection.execute(insert(tbl), rows)

            def select_all(tbl: Table = tbl) -> None:
                with database.engine.connect() as connection:
                    read = connection.execute(select(tbl.c.text)).scalars().all()
                assert len(read) == answers

            write = median_us(rounds, answers, insert_all)
            read = median_us(rounds, answers, select_all)
            results[name] = write + read
            print(f"  {name:<14} {write:>8.2f} {read:>8.2f} {write + read:>8.2f}")
        with database.engine.connect() as connection:
            assert connection.execute(select(tables["EncryptedText"].c.text)).scalars().first() in texts
        database.dispose()
    cost = results["EncryptedText"] - results["plain Text"]
    verdict = "within" if cost < TARGET_US else "OVER"
    print(f"\nencryption cost per answer through SQLite: {cost:.2f} µs ", end="")
    print(f"({verdict} the {TARGET_US:.0f} µs target)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    keyring = KeyRing(os.urandom(32))
    set_keyring(keyring)
    rng = random.Random(14)
    cipher_figures(keyring, args.rounds, rng)
    database_figures(keyring, args.answers, args.rounds, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
