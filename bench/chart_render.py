"""How long a progress chart takes to draw, and what matplotlib costs in memory.

    .venv/bin/python -m bench.chart_render [--renders 50] [--more 100]

One goal with a year of data, as an engagement would leave it: a baseline, weekly
check-in ratings, 26 fortnightly sessions each with a review rating and a commitment
score. It prints:

- import: in a fresh interpreter, the time and the RSS increase of importing what a
  chart needs (matplotlib on the Agg backend, Figure, FigureCanvasAgg);
- first chart: the first call in this process, matplotlib's import included, and the
  RSS increase it brings;
- --renders more charts of the same goal: median, p95 and max (target: under 300 ms);
- RSS after those and after --more further charts: flat if figures are freed.

Figures only: nothing here asserts. The font cache (~/.cache/matplotlib, or
MPLCONFIGDIR) is built on the first import ever; run twice to see the warm figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

# Plain data, no matplotlib: importing it here leaves the first chart's import to measure.
from flows.progress import ActionCounts, CommitmentPoint, GoalProgress, RatingPoint

IMPORT_PROBE = """
import time
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
import flows.progress, flows.content
before = rss(); started = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
print(time.perf_counter() - started, rss() - before, rss())
"""


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def year_of_data() -> GoalProgress:
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)
    sessions = [start + timedelta(weeks=2 * n) for n in range(26)]
    checkins = [
        RatingPoint(start + timedelta(weeks=week, days=4), min(10, 3 + week // 8 + week % 2), "checkin")
        for week in range(52)
    ]
    reviews = [
        RatingPoint(at + timedelta(hours=1), min(10, 3 + n // 4), "review")
        for n, at in enumerate(sessions[1:])
    ]
    return GoalProgress(
        goal="Let my team finish their thinking out loud before I offer mine, in every weekly one-to-one",
        baseline=3,
        baseline_at=start,
        ratings=checkins + reviews,
        commitments=[CommitmentPoint(at + timedelta(hours=1), 7 + n % 3) for n, at in enumerate(sessions)],
        sessions=sessions,
        actions=ActionCounts(done=15, partly=7, not_yet=4),
        sessions_held=26,
        sessions_planned=26,
        attainment=1,
        timezone="Europe/Berlin",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--more", type=int, default=100, help="further renders to watch RSS")
    args = parser.parse_args()

    probe = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    import_s, import_mb, after_import_mb = (float(value) for value in probe)
    print(
        f"import matplotlib (Agg, Figure, canvas), fresh interpreter: {import_s * 1000:.0f} ms, "
        f"RSS +{import_mb:.1f} MB (to {after_import_mb:.1f} MB)"
    )

    from flows.content import load_content
    from flows.progress import chart_words, progress_title
    from flows.progress_chart import HEIGHT_PX, WIDTH_PX, render_progress_png

    content = load_content("en")
    progress = year_of_data()
    words = chart_words(progress, content)
    title = progress_title(progress, content, limit=None)
    points = len(progress.rating_points) + len(progress.commitments)
    print(
        f"goal: {points} points ({len(progress.rating_points)} ratings, {len(progress.commitments)} "
        f"commitments), {len(progress.sessions)} sessions; image {WIDTH_PX}x{HEIGHT_PX} px"
    )

    before = rss_mb()
    started = time.perf_counter()
    png = render_progress_png(progress, title_text=title, words=words)
    first = time.perf_counter() - started
    after_first = rss_mb()
    print(
        f"first chart (import included): {first * 1000:.0f} ms, RSS +{after_first - before:.1f} MB "
        f"(to {after_first:.1f} MB), {len(png) / 1024:.0f} KB PNG"
    )

    samples, cpu = [], []
    for _ in range(args.renders):
        started, started_cpu = time.perf_counter(), time.process_time()
        render_progress_png(progress, title_text=title, words=words)
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    after_timed = rss_mb()
    p95 = statistics.quantiles(samples, n=100, method="inclusive")[94] if len(samples) > 1 else samples[0]
    print(
        f"{args.renders} charts: median {statistics.median(samples) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms (target < 300 ms); "
        f"CPU per chart: median {statistics.median(cpu) * 1000:.0f} ms"
    )
    print(f"load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for _ in range(args.more):
        render_progress_png(progress, title_text=title, words=words)
    after_more = rss_mb()
    print(
        f"RSS after the first chart {after_first:.1f} MB, after {args.renders} more {after_timed:.1f} MB, "
        f"after {args.more} more {after_more:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
