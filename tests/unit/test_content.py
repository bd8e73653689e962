"""Every word the coach can say exists, in both styles, with every placeholder fillable.

The content files are edited by coaches, not programmers: these checks are what stops a
typo in a TOML file or a renamed key in the code from reaching a leader.
"""

from __future__ import annotations

import ast
import string
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.content import CONTENT_DIR, MissingText
from flows.conversation import Conversation, Profile
from flows.events import Event
from flows.moves import IDLE_CHOICES
from flows.registry import FLOWS
from flows.settings import CoachSettings
from flows.turn import Turn
from flows.views import EmptyLookup
from tests.support.coach_driver import CONTENT

FLOWS_DIR = Path(__file__).resolve().parents[2] / "flows"
SOURCES = sorted(FLOWS_DIR.glob("*.py"))
TOML_FILES = sorted(path for path in (CONTENT_DIR / "en").glob("*.toml") if path.name != "safety.toml")
STYLES = ("guided", "open")
# Conversation data that makes each flow pick its other wordings (see each model's ask_field).
DATA_VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"revisit": True},
    {"adjusting": True},
    {"options": ["one", "two"]},
    {"outcome": "done"},
    {"outcome": "partly"},
    {"outcome": "not_yet"},
    {"kind": "midway"},
    {"kind": "midpoint"},
    {"kind": "closing"},
)
ALTERNATIVE_FIELDS = {
    "revisit",
    "adjust",
    "last",
    "midway",
    "ask_done",
    "ask_partly",
    "ask_not_yet",
    "midpoint",
    "closing",
}


def turn_with(flow: str, data: dict[str, Any], level: str = "first_time") -> Turn:
    conv = Conversation(flow, data=dict(data), profile=Profile(name="Ann", level=level, consented=True))
    typed = FLOWS[flow].data.from_dict(data)
    return Turn(conv, Event("text"), EmptyLookup(), CONTENT, CoachSettings(), typed)


def asked_fields(flow: str, state: str) -> set[str]:
    spec = FLOWS[flow]
    return {spec.model(turn_with(flow, data)).ask_field(state) for data in DATA_VARIANTS}


QUESTIONS = [(flow, state) for flow, spec in FLOWS.items() for state in spec.questions]


# the files


@pytest.mark.parametrize("path", TOML_FILES, ids=lambda path: path.name)
def test_every_content_file_is_valid_toml_and_loaded(path: Path) -> None:
    with path.open("rb") as handle:
        tree = tomllib.load(handle)
    assert tree, f"{path.name} is empty"
    assert CONTENT.flows[path.stem] == tree


def test_every_flow_has_a_content_file() -> None:
    assert {path.stem for path in TOML_FILES} >= set(FLOWS) | {"common", "errors"}


# questions


def test_the_data_variants_reach_every_alternative_wording() -> None:
    seen = set().union(*(asked_fields(flow, state) for flow, state in QUESTIONS))
    assert seen >= ALTERNATIVE_FIELDS | {"ask"}


@pytest.mark.parametrize(("flow", "state"), QUESTIONS, ids=[f"{f}.{s}" for f, s in QUESTIONS])
@pytest.mark.parametrize("style", STYLES)
def test_every_question_has_two_phrasings_in_each_style(flow: str, state: str, style: str) -> None:
    for field in asked_fields(flow, state):
        options = CONTENT.items(flow, state, field, style)
        assert len(options) >= 2, f"{flow}.{state}.{field} ({style}) has {len(options)} phrasing"
        assert len(set(options)) == len(options)
        assert all(option.strip() for option in options)


CHOICE_QUESTIONS = [(f, s) for f, s in QUESTIONS if FLOWS[f].questions[s].kind == "choice"]


@pytest.mark.parametrize(("flow", "state"), CHOICE_QUESTIONS, ids=[f"{f}.{s}" for f, s in CHOICE_QUESTIONS])
def test_every_choice_has_a_label(flow: str, state: str) -> None:
    labels = CONTENT.labels(flow, state)
    choices = FLOWS[flow].questions[state].choices
    assert set(choices) <= set(labels), f"{flow}.{state}: no label for {set(choices) - set(labels)}"
    assert all(labels[value].strip() for value in choices)
    assert len({labels[value].lower() for value in choices}) == len(choices), "two choices read the same"


def test_the_engine_labels_are_complete() -> None:
    assert {value.removeprefix("cmd:") for value in IDLE_CHOICES} <= set(
        CONTENT.labels("common", "idle_menu")
    )
    grow_steps = {state.split("_")[0] for state in FLOWS["grow"].questions} | {"closed"}
    where = set(CONTENT.labels("common", "where"))
    assert grow_steps | {"idle", "onboarding", "checkin", "rescore", "profile"} <= where
    assert {"first", "midway", "action_due", "next_session"} <= set(CONTENT.labels("common", "checkin_kinds"))
    summary = set(CONTENT.labels("grow", "summary"))
    assert summary <= set(FLOWS["grow"].questions)


# texts named in the code


def _literal(node: ast.expr) -> list[str] | None:
    """The string(s) an argument can be: a constant, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literal(node.body), _literal(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def text_calls() -> Iterator[tuple[str, str, str, str, str | None, tuple[str, ...]]]:
    """(where, method, flow, key, field, styles) for each call naming a text with literals."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method not in ("say", "text", "labels", "items", "has") or len(node.args) < 2:
                continue
            flows, keys = _literal(node.args[0]), _literal(node.args[1])
            if flows is None or keys is None:
                continue
            fields: list[str | None] = ["ask"]
            if len(node.args) > 2:
                third = _literal(node.args[2])
                fields = list(third) if third is not None else [None]
            styles: tuple[str, ...] = STYLES
            if method == "items" and len(node.args) > 3:
                styles = tuple(_literal(node.args[3]) or STYLES)
            where = f"{path.name}:{node.lineno}"
            for flow in flows:
                for key in keys:
                    for field in fields:
                        yield where, method, flow, key, None if method == "labels" else field, styles


TEXT_CALLS = list(text_calls())


def test_the_source_scan_finds_the_calls() -> None:
    names = {(flow, key) for _, _, flow, key, _, _ in TEXT_CALLS}
    assert {
        ("common", "unsupported"),
        ("rescore", "none_low"),
        ("grow", "closed"),
        ("checkin", "snoozed"),
    } <= names
    assert len(TEXT_CALLS) > 40


@pytest.mark.parametrize(
    ("where", "method", "flow", "key", "field", "styles"),
    TEXT_CALLS,
    ids=[f"{c[0]}-{c[2]}.{c[3]}" for c in TEXT_CALLS],
)
def test_every_text_named_in_the_code_exists(
    where: str, method: str, flow: str, key: str, field: str | None, styles: tuple[str, ...]
) -> None:
    if method == "labels":
        assert CONTENT.labels(flow, key), where
        return
    if field is None:
        # The field is chosen at run time (grow's recap): the key must at least exist.
        assert isinstance(CONTENT.flows[flow][key], dict), where
        return
    for style in styles:
        try:
            assert CONTENT.items(flow, key, field, style), where
        except MissingText:
            pytest.fail(f"{where}: {flow}.{key}.{field} ({style}) is missing")


def test_the_recap_has_both_endings() -> None:
    for field in ("recap", "recap_low"):
        for style in STYLES:
            assert len(CONTENT.items("grow", "closed", field, style)) >= 2


def invalid_reasons() -> set[str]:
    reasons = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Invalid":
                reason = _literal(node.args[0]) if node.args else None
                assert reason is not None, f"{path.name}:{node.lineno}: Invalid() without a literal reason"
                reasons.update(reason)
    return reasons


def test_the_source_scan_finds_the_parse_errors() -> None:
    assert {"empty", "too_long", "score_format", "score_range", "date_past", "timezone", "expired"} <= (
        invalid_reasons()
    )


@pytest.mark.parametrize("reason", sorted(invalid_reasons()))
def test_every_refusal_has_words(reason: str) -> None:
    for style in STYLES:
        options = CONTENT.items("errors", reason, "ask", style)
        assert len(options) >= 2, reason
        assert all(option.strip() for option in options)


# placeholders


def _source_placeholders() -> set[str]:
    """Every value the engine can put into a text: vars it sets, and keywords it passes."""
    names = {"name"}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            attr = func.attr if isinstance(func, ast.Attribute) else ""
            if attr == "set_var" and node.args:
                names.update(_literal(node.args[0]) or [])
            is_ask = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "Ask"
            )
            if attr in ("say", "text") and not is_ask:
                names.update(
                    kw.arg for kw in node.keywords if kw.arg not in (None, "style", "seed", "values")
                )
                for kw in node.keywords:
                    if kw.arg == "values" and isinstance(kw.value, ast.Dict):
                        names.update(
                            k.value
                            for k in kw.value.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str)
                        )
            if attr == "update" and isinstance(func, ast.Attribute) and "vars" in ast.unparse(func.value):
                names.update(kw.arg for kw in node.keywords if kw.arg is not None)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "vars" and isinstance(value, ast.Dict):
                        names.update(
                            k.value
                            for k in value.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str)
                        )
    return names


FILLABLE = _source_placeholders()


def all_strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from all_strings(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from all_strings(value, f"{path}.{key}")


TEXTS = [item for path in TOML_FILES for item in all_strings(CONTENT.flows[path.stem], path.stem)]


def test_the_placeholders_the_engine_fills() -> None:
    expected = {"name", "goal", "baseline", "option", "action", "due_text", "commitment", "next_checkin"}
    assert (
        expected | {"previous_action", "earlier", "when", "where", "resources", "score", "date"} <= FILLABLE
    )


@pytest.mark.parametrize(("where", "text"), TEXTS, ids=[where for where, _ in TEXTS])
def test_every_placeholder_is_one_the_engine_fills(where: str, text: str) -> None:
    used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    assert used <= FILLABLE, f"{where} uses {used - FILLABLE}"
    rendered = text.format_map(dict.fromkeys(FILLABLE, "X"))
    assert "{" not in rendered and "}" not in rendered, where


@pytest.mark.parametrize(("flow", "state"), QUESTIONS, ids=[f"{f}.{s}" for f, s in QUESTIONS])
def test_every_question_renders_without_braces(flow: str, state: str) -> None:
    values = dict.fromkeys(FILLABLE, "X")
    for style in STYLES:
        for field in asked_fields(flow, state):
            for seed in range(len(CONTENT.items(flow, state, field, style))):
                text = CONTENT.text(flow, state, field, style=style, seed=seed, values=values)
                assert "{" not in text and "}" not in text, f"{flow}.{state}.{field}: {text}"
