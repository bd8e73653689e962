"""One goal's progress as a PNG a phone shows well: ratings, commitment and sessions over time.

Drawn with matplotlib's object-oriented API on the headless Agg backend: a Figure and
its own FigureCanvasAgg, no pyplot, so nothing is registered globally and every figure
is freed once its bytes are out; safe to call again and again in a long-running
service child. matplotlib is imported on the first chart only: a bot process that never
draws never pays for it (it is the heaviest import the project has).

What makes it readable on a phone, where a 1080-px image shows about 400 px wide:
large type, one goal per image, the Okabe-Ito palette (told apart under the common
colour-vision deficiencies), and a marker shape of its own for each series, so no
series is known by its colour alone.
"""

from __future__ import annotations

import gc
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from flows.content import load_content
from flows.progress import ChartWords, GoalProgress, chart_words

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

WIDTH_PX = 1080
HEIGHT_PX = 1080
DPI = 100
PX_PER_PT = DPI / 72
TITLE_PT = 28
SUBTITLE_PT = 24
TICK_PT = 24
LEGEND_PT = 21
FOOTER_PT = 21
TITLE_LINES = 3
# Width units of one title line: a narrow letter counts 1, a wide (CJK) one 2. DejaVu's
# bold letters average about 0.65 em, so at 28 pt this fills about 1000 px; a line of wide
# capitals that would still overflow is drawn smaller (see _fit_width).
TITLE_UNITS = 40
MARGIN_PX = 40
MIN_SPAN = timedelta(days=14)
# Families to draw with, in order of preference, those installed; DejaVu Sans ships with
# matplotlib, the others only help when the system has them (fonts-noto-cjk, ...).
FONT_FAMILIES = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Thai",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)
# Stands in for a character no installed font has; DejaVu Sans has it.
MISSING_GLYPH = "\u25a1"

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#595959"


@dataclass(frozen=True)
class Series:
    colour: str
    marker: str
    size: float


SERIES = {
    "baseline": Series(BLACK, "D", 17),
    "checkin": Series(BLUE, "o", 13),
    "review": Series(VERMILLION, "s", 15),
    "commitment": Series(BLUISH_GREEN, "^", 15),
    # Stakeholder feedback rounds: their average, on the same 0-10 scale as the self-ratings.
    "stakeholders": Series(ORANGE, "P", 17),
}
SESSION_COLOUR = REDDISH_PURPLE


def render_progress_png(progress: GoalProgress, *, title_text: str, words: ChartWords | None = None) -> bytes:
    """The chart of one goal as PNG bytes, WIDTH_PX x HEIGHT_PX.

    `title_text` goes at the top, wrapped to at most three lines and trimmed with an
    ellipsis beyond that. `words` carries the legend, month names, the line under the
    title and the footer (`flows.progress.chart_words`); without it, the English
    content's legend and month names and no subtitle or footer.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if words is None:
        english = chart_words(progress, load_content("en"))
        words = ChartWords(
            series=english.series,
            months=english.months,
            empty=english.empty,
            day_month=english.day_month,
            month_year=english.month_year,
        )
    families, covered = _fonts()

    def drawable(text: str) -> str:
        # A character no font has would be drawn as an empty box anyway, but with a
        # warning that names it: that would put a leader's words into the log.
        return "".join(c if ord(c) in covered or not c.isprintable() else MISSING_GLYPH for c in text)

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    try:
        title = wrap_title(drawable(title_text))
        top = _draw_header(figure, title, drawable(words.subtitle), families)
        legend_rows = _draw_footer(figure, progress, words, drawable, families)
        bottom_px = 40 + (FOOTER_PT * PX_PER_PT * 1.6 if words.footer else 0) + legend_rows * 42 + 70
        left, right = 80 / WIDTH_PX, 70 / WIDTH_PX
        axes = figure.add_axes((left, bottom_px / HEIGHT_PX, 1 - left - right, top - bottom_px / HEIGHT_PX))
        _draw_data(axes, progress, words, drawable, families)
        buffer = io.BytesIO()
        # No "Software" entry (matplotlib's version) and PNG has no timestamp: the same
        # data gives the same bytes. zlib level 3 instead of 6: less encoding time for a
        # slightly bigger file (figures in bench/README.md).
        canvas.print_png(buffer, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
        return buffer.getvalue()
    finally:
        # Figure, canvas and artists point at each other, so only the cycle collector
        # frees them, and left to itself it runs late: dead figures pile up, each with
        # its pixel buffer, and RSS grows chart after chart. Dropping the renderer frees
        # the buffer at once; a young-generation collection (far cheaper than a full
        # one) takes the rest, the figure's objects being new.
        canvas.__dict__.pop("renderer", None)
        figure.clear()
        del figure, canvas
        gc.collect(1)


def wrap_title(text: str, *, units: int = TITLE_UNITS, lines: int = TITLE_LINES) -> str:
    """`text` broken at spaces into at most `lines` lines of `units` width, '…' if cut.

    A word longer than a line (a URL, or a language written without spaces) is broken
    where it must be.
    """
    words = text.split()
    out: list[str] = []
    line = ""
    truncated = False
    for word in words:
        candidate = f"{line} {word}" if line else word
        if _width(candidate) <= units:
            line = candidate
            continue
        if line:
            out.append(line)
            line = ""
        while _width(word) > units:
            head, word = _split_at(word, units)
            out.append(head)
        line = word
        if len(out) >= lines:
            truncated = True
            break
    if line and len(out) < lines:
        out.append(line)
    elif line:
        truncated = True
    if len(out) > lines:
        out = out[:lines]
        truncated = True
    if truncated:
        last = out[-1]
        while last and _width(last) + 1 > units:
            last = last[:-1]
        out[-1] = last.rstrip(" ,.;:-") + "…"
    return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _split_at(word: str, units: int) -> tuple[str, str]:
    used = 0
    for index, char in enumerate(word):
        used += _width(char)
        if used > units:
            return word[:index], word[index:]
    return word, ""


@cache
def _fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The installed families of FONT_FAMILIES, and every character one of them has."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    paths = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    families = tuple(name for name in FONT_FAMILIES if name in paths) or ("DejaVu Sans",)
    covered: set[int] = set()
    for name in families:
        path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=True)
        covered.update(FT2Font(path).get_charmap())
    return families, frozenset(covered)


def _text_style(families: tuple[str, ...], size: float, **more: Any) -> dict[str, Any]:
    # parse_math off: a goal like "save $5 a day and $10 on Fridays" is words, not TeX.
    return {"fontfamily": list(families), "fontsize": size, "parse_math": False, **more}


def _draw_header(figure: Figure, title: str, subtitle: str, families: tuple[str, ...]) -> float:
    """Title and subtitle at the top; returns where the plot's top may be (a figure fraction)."""
    y_px = 28.0
    title_artist = figure.text(
        MARGIN_PX / WIDTH_PX,
        1 - y_px / HEIGHT_PX,
        title,
        va="top",
        ha="left",
        color=BLACK,
        linespacing=1.15,
        **_text_style(families, TITLE_PT, fontweight="bold"),
    )
    y_px += (title.count("\n") + 1) * _fit_width(title_artist, TITLE_PT) * PX_PER_PT * 1.2
    if subtitle:
        y_px += 8
        _fit_width(
            figure.text(
                MARGIN_PX / WIDTH_PX,
                1 - y_px / HEIGHT_PX,
                subtitle,
                va="top",
                ha="left",
                color=GREY,
                **_text_style(families, SUBTITLE_PT),
            ),
            SUBTITLE_PT,
        )
        y_px += SUBTITLE_PT * PX_PER_PT * 1.2
    return 1 - (y_px + 28) / HEIGHT_PX


def _fit_width(text: Text, size: float) -> float:
    """Shrinks `text` until it fits between the margins; returns the size it ends at."""
    room = WIDTH_PX - 2 * MARGIN_PX
    width = text.get_window_extent().width
    if width > room:
        size = size * room / width
        text.set_fontsize(size)
    return size


def _draw_footer(
    figure: Figure, progress: GoalProgress, words: ChartWords, drawable: Any, families: tuple[str, ...]
) -> int:
    """Legend (only the series the chart has) and the footer line; returns the legend's rows."""
    from matplotlib.lines import Line2D

    sources = {point.source for point in progress.rating_points}
    handles: list[Line2D] = []
    present = {
        **{key: key in sources for key in ("baseline", "checkin", "review")},
        "commitment": bool(progress.commitments),
        "stakeholders": bool(progress.stakeholders),
    }
    lines = {"commitment": "--", "stakeholders": "-."}
    for key in ("baseline", "checkin", "review", "commitment", "stakeholders"):
        if not present[key]:
            continue
        series = SERIES[key]
        handles.append(
            Line2D(
                [],
                [],
                color=series.colour,
                marker=series.marker,
                markersize=series.size,
                markeredgecolor="white",
                linestyle=lines.get(key, "none"),
                linewidth=3,
                label=drawable(words.series.get(key, key)),
            )
        )
    if progress.sessions:
        handles.append(
            Line2D(
                [],
                [],
                color=SESSION_COLOUR,
                linestyle=(0, (3, 2)),
                linewidth=3,
                label=drawable(words.series.get("session", "session")),
            )
        )
    footer_px = 0.0
    if words.footer:
        footer = figure.text(
            0.5,
            36 / HEIGHT_PX,
            drawable(words.footer),
            ha="center",
            va="bottom",
            color=BLACK,
            **_text_style(families, FOOTER_PT),
        )
        _fit_width(footer, FOOTER_PT)
        footer_px = FOOTER_PT * PX_PER_PT * 1.6
    if not handles:
        return 0
    columns = 3 if len(handles) > 2 else len(handles)
    legend = figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, (30 + footer_px) / HEIGHT_PX),
        ncol=columns,
        frameon=False,
        prop={"family": list(families), "size": LEGEND_PT},
        handlelength=1.8,
        columnspacing=1.2,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    return -(-len(handles) // columns)


def _plot_marked(
    axes: Axes,
    progress: GoalProgress,
    key: str,
    points: list[tuple[datetime, float]],
    linestyle: str,
    *,
    zorder: int = 4,
) -> None:
    from matplotlib.dates import date2num

    series = SERIES[key]
    axes.plot(
        [date2num(progress.local(at)) for at, _ in points],
        [value for _, value in points],
        color=series.colour,
        linestyle=linestyle,
        linewidth=3,
        marker=series.marker,
        markersize=series.size,
        markeredgecolor="white",
        markeredgewidth=1.5,
        zorder=zorder,
    )


def _draw_data(
    axes: Axes, progress: GoalProgress, words: ChartWords, drawable: Any, families: tuple[str, ...]
) -> None:
    from matplotlib.dates import AutoDateLocator, date2num, num2date
    from matplotlib.ticker import FuncFormatter

    axes.set_facecolor("white")
    axes.set_ylim(-0.5, 10.5)
    axes.set_yticks(range(0, 11, 2))
    axes.grid(axis="y", color="#d9d9d9", linewidth=1.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=TICK_PT, labelfontfamily=list(families), length=8, width=2)

    moments = progress.moments()
    if not moments:
        axes.set_xticks([])
        axes.text(
            0.5,
            0.5,
            drawable(words.empty),
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=GREY,
            **_text_style(families, TITLE_PT),
        )
        return

    start, end = min(moments), max(moments)
    if end - start < MIN_SPAN:
        middle = start + (end - start) / 2
        start, end = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    pad = (end - start) * 0.04
    axes.set_xlim(float(date2num(start - pad)), float(date2num(end + pad)))
    long_span = end - start > timedelta(days=120)

    def tick_label(value: float, position: int | None) -> str:
        day = num2date(value).date()
        month = words.months[day.month - 1]
        if not long_span:
            return drawable(words.day_month.format(day=day.day, month=month))
        if position == 0 or day.month == 1:
            return drawable(words.month_year.format(month=month, year=day.year))
        return drawable(month)

    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=5))
    axes.xaxis.set_major_formatter(FuncFormatter(tick_label))

    if progress.sessions:
        axes.vlines(
            [date2num(progress.local(moment)) for moment in progress.sessions],
            -0.5,
            10.5,
            colors=SESSION_COLOUR,
            linestyles=(0, (3, 2)),
            linewidth=2.5,
            zorder=1,
        )

    points = progress.rating_points
    if progress.baseline is not None:
        axes.axhline(progress.baseline, color=BLACK, linestyle=":", linewidth=2, zorder=2)
    if len(points) > 1:
        axes.plot(
            [date2num(progress.local(p.at)) for p in points],
            [p.value for p in points],
            color=BLUE,
            linewidth=3.5,
            zorder=3,
        )
    if progress.commitments:
        _plot_marked(axes, progress, "commitment", [(p.at, p.value) for p in progress.commitments], "--")
    if progress.stakeholders:
        _plot_marked(axes, progress, "stakeholders", [(p.at, p.mean) for p in progress.stakeholders], "-.")
    for source in ("checkin", "review", "baseline"):
        chosen = [(p.at, p.value) for p in points if p.source == source]
        if chosen:
            # Markers only, above the lines: the self-rating line joins them already.
            _plot_marked(axes, progress, source, chosen, "none", zorder=5)
