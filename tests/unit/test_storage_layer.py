"""storage/ sits below bot/: importing any storage module must load nothing of bot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# migrations/env.py runs Alembic's context when imported: it is run by Alembic, not imported.
STORAGE_MODULES = sorted(
    "storage." + ".".join(path.relative_to(ROOT / "storage").with_suffix("").parts)
    for path in (ROOT / "storage").rglob("*.py")
    if path.name != "__init__.py" and "migrations" not in path.parts
)


def test_there_are_storage_modules_to_check() -> None:
    assert "storage.checkin_delivery" in STORAGE_MODULES
    assert "storage.leaders" in STORAGE_MODULES


def test_importing_storage_loads_no_bot_module() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {STORAGE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'bot' or m.startswith('bot.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
