"""What the bot relies on beyond the libraries' public APIs, checked against what is installed.

python-telegram-bot is pinned to one minor release because bot/telegram overrides
`ExtBot._do_post` and imports from `telegram._utils`. Upgrading means raising the pin in
pyproject.toml, reinstalling, and running this file: a failure names what moved.
"""

from __future__ import annotations

import ast
import inspect
import sys
import tomllib
from importlib import import_module, metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "flows", "storage")
# Private names of PTB the bot uses, by module.
PTB_PRIVATE = {
    "telegram._utils.defaultvalue": ("DEFAULT_NONE", "DefaultValue"),
    "telegram._utils.types": ("JSONDict", "ODVInput"),
}
DO_POST_PARAMETERS = [
    "self",
    "endpoint",
    "data",
    "read_timeout",
    "write_timeout",
    "connect_timeout",
    "pool_timeout",
]


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    parsed = (Requirement(line) for line in project["dependencies"])
    return {_normal(requirement.name): requirement for requirement in parsed}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_installed_ptb_is_the_pinned_minor_release() -> None:
    requirement = _requirements()["python-telegram-bot"]
    installed = metadata.version("python-telegram-bot")
    assert requirement.specifier.contains(installed), (
        f"python-telegram-bot {installed} is installed, pyproject.toml pins {requirement.specifier}: "
        "reinstall (pip install -e .), or, to upgrade, raise the pin and make this file pass"
    )
    bounds = sorted(spec.operator for spec in requirement.specifier)
    assert bounds == ["<", ">="], "PTB must stay pinned to one minor release (>=X.Y.z,<X.Y+1)"


@pytest.mark.parametrize("module", sorted(PTB_PRIVATE))
def test_the_private_ptb_names_the_bot_imports_still_exist(module: str) -> None:
    loaded = import_module(module)
    missing = [name for name in PTB_PRIVATE[module] if not hasattr(loaded, name)]
    assert not missing, f"{module} no longer has {missing}: bot/telegram must follow the new PTB"


def test_the_bot_imports_no_private_ptb_name_this_file_does_not_check() -> None:
    used: set[tuple[str, str]] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("telegram")
                and "._" in (node.module or "")
            ):
                used.update((node.module or "", alias.name) for alias in node.names)
    checked = {(module, name) for module, names in PTB_PRIVATE.items() for name in names}
    assert used <= checked, f"private PTB imports not checked here: {sorted(used - checked)}"


def test_ext_bot_still_routes_every_call_through_do_post() -> None:
    """CoachBot overrides `_do_post` to drop unparseable updates and keep payloads out of logs."""
    from telegram import Bot
    from telegram.ext import ExtBot

    parameters = list(inspect.signature(ExtBot._do_post).parameters)
    assert parameters == DO_POST_PARAMETERS, f"ExtBot._do_post now takes {parameters}"
    assert "self._do_post(" in inspect.getsource(Bot._post), "Bot._post no longer calls _do_post"


def test_every_third_party_import_is_a_declared_dependency() -> None:
    declared = set(_requirements())
    providers = metadata.packages_distributions()
    undeclared: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in PACKAGES:
                        continue
                    distributions = {_normal(d) for d in providers.get(top, [top])}
                    if not distributions & declared:
                        undeclared.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    assert not undeclared, f"imported but not in pyproject.toml dependencies: {undeclared}"
