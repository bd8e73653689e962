"""Progress charts: PNGs of the promised size that draw whatever data a goal has."""

from __future__ import annotations

import struct
import warnings
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from flows.content import load_content
from flows.progress import ActionCounts, CommitmentPoint, GoalProgress, RatingPoint, chart_words
from flows.progress_chart import (
    HEIGHT_PX,
    MISSING_GLYPH,
    TITLE_LINES,
    WIDTH_PX,
    render_progress_png,
    wrap_title,
)

CONTENT = load_content("en")
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == PNG_SIGNATURE
    out, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), f"{kind!r} chunk is corrupt"
        out.append((kind, data))
        at += 12 + length
    return out


def size_of(png: bytes) -> tuple[int, int]:
    kind, data = chunks(png)[0]
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", data[:8])
    return width, height


def year_of_data() -> GoalProgress:
    return GoalProgress(
        goal="Ask my team what they think before I say what I think",
        baseline=3,
        baseline_at=START,
        ratings=[RatingPoint(START + timedelta(weeks=w, days=3), 3 + w // 9, "checkin") for w in range(52)]
        + [RatingPoint(START + timedelta(weeks=2 * s), 4 + s // 5, "review") for s in range(1, 26)],
        commitments=[CommitmentPoint(START + timedelta(weeks=2 * s), 7 + s % 3) for s in range(26)],
        sessions=[START + timedelta(weeks=2 * s) for s in range(26)],
        actions=ActionCounts(done=15, partly=6, not_yet=4),
        sessions_held=26,
        sessions_planned=26,
        attainment=1,
        timezone="America/Chicago",
    )


def render(progress: GoalProgress, title: str | None = None) -> bytes:
    with warnings.catch_warnings():
        # A missing glyph or a layout problem would be a warning: here it is a failure.
        warnings.simplefilter("error")
        return render_progress_png(
            progress, title_text=title or progress.goal, words=chart_words(progress, CONTENT)
        )


def test_a_year_of_data_is_a_png_of_the_promised_size() -> None:
    png = render(year_of_data())
    assert size_of(png) == (WIDTH_PX, HEIGHT_PX)
    kinds = [kind for kind, _ in chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    # Metadata without a timestamp or a version: nothing but the data decides the bytes.
    assert not {b"tIME", b"tEXt", b"iTXt", b"zTXt"} & set(kinds)


def test_the_same_data_gives_the_same_bytes_and_other_data_does_not() -> None:
    progress = year_of_data()
    first = render(progress)
    assert render(progress) == first
    changed = GoalProgress(**{**progress.__dict__, "ratings": (*progress.ratings[:-1],)})
    assert render(changed) != first


def test_the_picture_is_drawn_not_blank() -> None:
    # Decode the image: a chart with a year of data has many colours (the palette,
    # anti-aliasing), an empty white image one.
    png = render(year_of_data())
    raw = zlib.decompress(b"".join(data for kind, data in chunks(png) if kind == b"IDAT"))
    width, height = size_of(png)
    bit_depth, colour_type = chunks(png)[0][1][8], chunks(png)[0][1][9]
    channels = {2: 3, 6: 4}[colour_type]
    assert bit_depth == 8
    assert len(raw) == height * (1 + width * channels)
    blue = bytes((0x00, 0x72, 0xB2))
    assert blue in raw, "the check-in ratings' Okabe-Ito blue is on the picture"


@pytest.mark.parametrize(
    "progress",
    [
        GoalProgress(goal="Nothing rated yet"),
        GoalProgress(goal="Only a start", baseline=5, baseline_at=START),
        GoalProgress(goal="Only a check-in", ratings=[RatingPoint(START, 6, "checkin")]),
        GoalProgress(goal="Only a session", sessions=[START], sessions_held=1, sessions_planned=6),
        GoalProgress(goal="Only a commitment", commitments=[CommitmentPoint(START, 8)]),
        GoalProgress(
            goal="All on one day",
            baseline=4,
            baseline_at=START,
            ratings=[RatingPoint(START, 4, "review")],
            commitments=[CommitmentPoint(START, 9)],
            sessions=[START],
        ),
    ],
    ids=lambda progress: progress.goal,
)
def test_little_data_still_draws(progress: GoalProgress) -> None:
    assert size_of(render(progress)) == (WIDTH_PX, HEIGHT_PX)


def test_without_words_the_english_legend_is_used() -> None:
    png = render_progress_png(year_of_data(), title_text="Speak last in meetings")
    assert size_of(png) == (WIDTH_PX, HEIGHT_PX)


def test_a_400_character_goal_is_wrapped_and_trimmed() -> None:
    goal = (
        "Stop rescuing my team when a project slips: ask what they need, agree who does "
        "what by when, and hold the line on the date even when it is uncomfortable for "
    ) * 3
    goal = goal[:400]
    assert len(goal) == 400
    title = wrap_title(goal)
    lines = title.splitlines()
    assert len(lines) == TITLE_LINES
    assert lines[-1].endswith("…")
    assert lines[0].startswith("Stop rescuing my team")
    assert all(len(line) <= 44 for line in lines)
    assert size_of(render(GoalProgress(goal=goal, baseline=2, baseline_at=START))) == (WIDTH_PX, HEIGHT_PX)


def test_a_short_title_is_left_alone() -> None:
    assert wrap_title("Delegate the weekly report") == "Delegate the weekly report"
    assert wrap_title("  Delegate\nthe   weekly report ") == "Delegate the weekly report"


def test_a_word_longer_than_a_line_is_broken() -> None:
    url = "https://example.org/" + "a" * 120
    lines = wrap_title(f"Read {url}").splitlines()
    assert lines[0] == "Read"
    assert "".join(lines[1:]).rstrip("…") in url


@pytest.mark.parametrize(
    "goal",
    [
        "Давать команде договорить до конца, прежде чем предлагать решение",
        "Να ακούω πρώτα και να μιλάω τελευταίος στις συναντήσεις",
        "在会议上先让团队成员发言，再给出我的意见，并且每周与每位成员单独交流一次",
        "Réunions : écouter d'abord, décider ensuite — sans « oui mais »",
        "Save $5 a day and $10 on Fridays",  # dollars: words, not TeX
        "Lead by example 🚀",
    ],
)
def test_non_latin_and_awkward_text_draws_without_a_warning(goal: str) -> None:
    progress = GoalProgress(
        goal=goal,
        baseline=3,
        baseline_at=START,
        ratings=[RatingPoint(START + timedelta(days=7), 5, "checkin")],
    )
    assert size_of(render(progress)) == (WIDTH_PX, HEIGHT_PX)


def test_wide_characters_count_double_when_wrapping() -> None:
    title = wrap_title("在会议上先让团队成员发言" * 10)
    lines = title.splitlines()
    assert len(lines) == TITLE_LINES
    assert all(len(line.rstrip("…")) <= 20 for line in lines)
    assert MISSING_GLYPH not in title, "wrapping alone leaves the characters as they are"
