"""What `make run` and `make test` install into a fresh checkout, read from `make -n`.

`make -n` prints the commands a target would run without running them, so the test
sees exactly what a fresh clone would install, without installing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned(target: str, venv: Path) -> list[str]:
    # Run from `make test`, the outer make's flags would leak in.
    environment = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return result.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line.split(" -e ", 1)[1] for line in lines if "pip install" in line and " -e " in line]


def test_run_installs_the_bot_alone_and_test_adds_the_test_tools(tmp_path: Path) -> None:
    venv = tmp_path / "fresh-venv"
    run = planned("run", venv)
    assert any(f"-m venv {venv}" in line for line in run)
    assert installs(run) == ["."]
    assert run[-1].split() == [f"{venv}/bin/grow-coach", "run"]
    test = planned("test", venv)
    assert any(f"-m venv {venv}" in line for line in test)
    assert installs(test) == ["'.[test]'"]
    assert any("pytest" in line for line in test)
