"""The coach's words, loaded from the TOML files under flows/content/<language>/.

A coach can edit those files without touching code. Every question has two or more
phrasings; which one a leader sees depends on a per-session seed, so a repeat session
reads differently while a resumed one repeats the same words.
"""

from __future__ import annotations

import tomllib
import zlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).parent / "content"


class MissingText(KeyError):
    pass


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class Content:
    def __init__(self, tree: Mapping[str, Any]) -> None:
        self._tree = tree

    @property
    def flows(self) -> Mapping[str, Any]:
        return self._tree

    def text(
        self,
        flow: str,
        key: str,
        field: str = "ask",
        *,
        style: str | None = None,
        seed: int = 0,
        values: Mapping[str, object] | None = None,
    ) -> str:
        options = self._options(flow, key, field, style)
        pick = options[(seed + zlib.crc32(f"{flow}.{key}.{field}".encode())) % len(options)]
        return pick.format_map(_Blank({k: str(v) for k, v in (values or {}).items()}))

    def labels(self, flow: str, key: str) -> dict[str, str]:
        node = self._node(flow, key)
        labels = node.get("labels")
        if not isinstance(labels, dict):
            raise MissingText(f"{flow}.{key}.labels")
        return {str(k): str(v) for k, v in labels.items()}

    def has(self, flow: str, key: str) -> bool:
        try:
            self._node(flow, key)
        except MissingText:
            return False
        return True

    def items(self, flow: str, key: str, field: str, style: str | None = None) -> list[str]:
        return list(self._options(flow, key, field, style))

    def _node(self, flow: str, key: str) -> Mapping[str, Any]:
        node: Any = self._tree.get(flow, {})
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise MissingText(f"{flow}.{key}")
            node = node[part]
        if not isinstance(node, Mapping):
            raise MissingText(f"{flow}.{key}")
        return node

    def _options(self, flow: str, key: str, field: str, style: str | None) -> list[str]:
        node = self._node(flow, key)
        styled = node.get(style) if style else None
        value = styled.get(field) if isinstance(styled, Mapping) else None
        if value is None:
            value = node.get(field)
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value
        raise MissingText(f"{flow}.{key}.{field}")


@cache
def load_content(language: str = "en") -> Content:
    tree = {path.stem: _load(path) for path in sorted(_folder(language).glob("*.toml"))}
    return Content(tree)


@cache
def load_part(part: str, language: str = "en") -> Content:
    """One content file alone (e.g. `frontend`): a process that only says a few lines
    around the conversation need not hold the coach's whole script."""
    return Content({part: _load(_folder(language) / f"{part}.toml")})


def available_languages() -> tuple[str, ...]:
    """The languages the coach can speak: a folder under flows/content/ with the common texts."""
    return tuple(sorted(path.parent.name for path in CONTENT_DIR.glob("*/common.toml")))


def _folder(language: str) -> Path:
    folder = CONTENT_DIR / language
    if not folder.is_dir():
        raise FileNotFoundError(f"no content for language {language!r} in {CONTENT_DIR}")
    return folder


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)
