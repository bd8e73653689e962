"""Every benchmark with its default settings, one after another: `python -m bench.run_all`.

To add a benchmark, give it a `python -m bench.<name>` entry point that prints its
figures, and append the module to BENCHES.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.driver import REPO

BENCHES: tuple[str, ...] = (
    "bench.telegram_load",
    "bench.latency_floor",
    "bench.flood",
    "bench.memory_sessions",
    "bench.checkin_burst",
    "bench.checkin_startup",
    "bench.shared_workers",
    "bench.soak",
    "bench.encryption_cost",
    "bench.chart_render",
    "bench.safety_screen",
)


def main() -> int:
    failed: list[str] = []
    for module in BENCHES:
        print(f"\n### {module}", flush=True)
        started = time.perf_counter()
        # A fresh interpreter each: one bench's failure or leftovers cannot skew the next.
        status = subprocess.run([sys.executable, "-m", module], cwd=REPO, check=False).returncode
        print(f"### {module}: exit {status}, {time.perf_counter() - started:.0f} s", flush=True)
        if status:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
