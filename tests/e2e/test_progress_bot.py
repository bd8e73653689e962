"""/progress through the real bot and the Bot API emulator: after a session and a
check-in the leader gets a photo (a 1080x1080 PNG) per goal whose caption carries the
stored numbers; with the service in a child process and in the bot's own process."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from storage.db import Database
from storage.models import LeaderRow, ScoreRow
from tests.support.bot_harness import Leader
from tests.support.checkins import ONBOARDING, grow_answers, next_messages, rows, running_bot

SETTLE = 0.1


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("processes", ["1", "0"])
async def test_progress_sends_a_chart_whose_caption_matches_the_stored_scores(
    database_url: str, db: Database, tmp_path: Path, processes: str
) -> None:
    if processes == "0" and not database_url.startswith("sqlite"):
        pytest.skip("in-process drawing is the same on PostgreSQL (threads there anyway)")
    async with (
        asyncio.timeout(90),
        running_bot(database_url, tmp_path, GROW_COACH_DATABASE_PROCESSES=processes) as (emulator, _),
    ):
        ann = Leader(emulator, 601, "Ann", settle=SETTLE)
        for message in (*ONBOARDING, "UTC", *grow_answers(9)):
            await ann.send(message)
        assert "9/10" in (ann.last().text or "")
        await next_messages(ann)  # the first check-in, two seconds on
        await ann.press("Partly")
        await ann.send("the launch week ate my one-to-ones")
        await ann.press("6")
        await ann.send("/cancel")

        sent = await ann.send("/progress", timeout=30)
        photos = [message for message in sent if message.photo]
        assert len(photos) == 1, [m.text for m in sent]
        (photo,) = photos
        record = emulator.state.files[photo.file_id]
        assert record.data is not None and record.mime_type == "image/png"
        assert png_size(record.data) == (1080, 1080)
        caption = photo.text or ""
        # The question the leader was at comes again after the chart.
        assert sent[-1].message_id > photo.message_id

    # The service's matplotlib font cache lives in the data directory.
    assert (tmp_path / "matplotlib").is_dir()
    (user,) = rows(db, LeaderRow, LeaderRow.external_id == "601")
    scores = {s.kind: s.value for s in rows(db, ScoreRow, ScoreRow.user_id == user.id)}
    assert scores == {"baseline": 4, "commitment": 9, "checkin": 6}
    assert f"{scores['baseline']} at the start" in caption
    assert f"{scores['checkin']} now" in caption and "+2" in caption
    assert f"Commitment: {scores['commitment']}/10" in caption
    assert "Actions: 0 done, 1 partly, 0 not yet" in caption
    assert "Sessions held: 1 of 6 planned" in caption
