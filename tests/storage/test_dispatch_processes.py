"""Two dispatcher processes on one PostgreSQL database: each check-in is sent exactly once.

Two OS processes (this module run as a script) build the real service on the same
database and run the real `CheckinDelivery` side by side; their sender appends one
line per check-in to a shared file. Two bot processes cannot share one emulator (they
would fight over getUpdates), and the dispatcher is the part that must not double-send.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.checkin_delivery import CheckinDelivery
from bot.coaching.contract import Claimed
from bot.coaching.local_coach import LocalCoach
from bot.coaching.service import CoachService
from flows.engine import CoachEngine
from flows.events import Reply
from flows.settings import CoachSettings
from storage.db import Database
from storage.models import CheckinRow, ConversationRow
from tests.support.checkins import add_checkin, add_leader, now_utc

LEADERS = 500
BATCH = 20
REPO = Path(__file__).resolve().parents[2]


def test_two_processes_send_every_check_in_exactly_once(database: Database, tmp_path: Path) -> None:
    if database.dialect != "postgresql":
        pytest.skip("several dispatchers need PostgreSQL; on SQLite one bot process runs")
    due = now_utc()
    with database.session() as session:
        ids = {
            add_checkin(session, add_leader(session, 10_000 + n), "first", due - timedelta(milliseconds=n))
            for n in range(LEADERS)
        }
    log, go = tmp_path / "sent.log", tmp_path / "go"
    url = database.url.render_as_string(hide_password=False)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.storage.test_dispatch_processes", url, str(log), str(go), name],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    try:
        # Both are connected and waiting: let them go at once.
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready-{name}").exists() for name in ("w1", "w2")):
            assert all(worker.poll() is None for worker in workers), [w.communicate() for w in workers]
            assert time.monotonic() < deadline, "the workers never got ready"
            time.sleep(0.01)
        go.touch()
        outputs = [worker.communicate(timeout=90)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    lines = [line.split() for line in log.read_text().splitlines()]
    sent = Counter(int(checkin_id) for _, checkin_id in lines)
    assert set(sent) == ids, f"lost: {len(ids - set(sent))}"
    assert [checkin_id for checkin_id, times in sent.items() if times > 1] == []
    by_worker = Counter(worker for worker, _ in lines)
    # Both did part of the work: the test really had them compete.
    assert set(by_worker) == {"w1", "w2"}, by_worker
    with database.session() as session:
        stored = {r.id: (r.status, r.claimed_by, r.attempts) for r in session.scalars(select(CheckinRow))}
        in_checkin = session.scalar(select(func.count()).where(ConversationRow.flow == "checkin"))
    sender = {int(checkin_id): worker for worker, checkin_id in lines}
    assert stored == {checkin_id: ("sent", sender[checkin_id], 1) for checkin_id in ids}
    assert in_checkin == LEADERS


# the worker process


async def work(url: str, log: Path, go: Path, name: str) -> None:
    db = Database(url)
    service = CoachService(db, CoachEngine(CoachSettings(quiet_hours=None)))
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def send(claimed: Claimed, replies: list[Reply]) -> bool:
        # One write per line with O_APPEND: lines from both processes never interleave.
        os.write(descriptor, f"{name} {claimed.checkin_id}\n".encode())
        await asyncio.sleep(0.001)  # a network round trip, so the two overlap
        return True

    dispatcher = CheckinDelivery(LocalCoach(service), send, batch_size=BATCH, worker=name)
    with db.session() as session:
        session.execute(select(1))  # connected
    (go.parent / f"ready-{name}").touch()
    deadline = time.monotonic() + 60
    while not go.exists():
        assert time.monotonic() < deadline, "never told to go"
        await asyncio.sleep(0.01)
    while time.monotonic() < deadline:
        await dispatcher.run()
        with db.session() as session:
            left = session.scalar(select(func.count()).where(CheckinRow.status.in_(("pending", "claimed"))))
        if not left:
            break
        await asyncio.sleep(0.01)
    os.close(descriptor)
    db.dispose()


if __name__ == "__main__":
    url_arg, log_arg, go_arg, name_arg = sys.argv[1:5]
    asyncio.run(work(url_arg, Path(log_arg), Path(go_arg), name_arg))
