"""The therapy-boundary screen: spot crisis or clinical territory in a leader's free text.

Every free-text answer passes through `Screen.check` before the coach reads it. A match
means the conversation has left coaching (thoughts of suicide or self-harm, abuse, a
mental-health crisis, severe hopelessness) and the engine hands over to professional-help
resources instead of asking the next question.

The phrase lists live in `flows/content/en/safety.toml` so a coach or clinician can tune
them without touching code. They are written in a small pattern language rather than raw
regex (see `compile_pattern`), because the people who know which phrases matter are
rarely the people who can audit a regex for backtracking.

Design constraints that shape the code:

* It runs on every message, so all patterns are compiled once into a single regex and a
  check is a handful of `re` calls over the normalised text (tens of microseconds).
* Every pattern is a sequence of whole words with only bounded gaps, so matching cost is
  linear in the input length; no data-file edit can introduce catastrophic backtracking.
* The result carries the category only, never the matched words: what a person wrote in
  a crisis must not leak into logs or events through this object.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

DEFAULT_PATH: Final[Path] = Path(__file__).resolve().parent / "content" / "en" / "safety.toml"

# A gap (`...`) spans at most this many words: enough for "I really just want to",
# few enough that unrelated words in one sentence are not stitched into a match.
GAP_WORDS: Final[int] = 3

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """Whether a text needs the professional-help reply, and which kind of concern it is.

    Deliberately has no field for the text or the matched phrase (and `slots` stops one
    being bolted on), so a result can be logged or recorded as an event safely.
    """

    flagged: bool
    category: str | None

    def __post_init__(self) -> None:
        # A flag without a category (or the reverse) would let the engine record a
        # misleading event, so make the combination impossible to construct.
        if self.flagged != (self.category is not None):
            raise ValueError("a flagged result needs a category and a clear one must not have one")


CLEAR: Final[ScreenResult] = ScreenResult(flagged=False, category=None)


# --- normalisation ---------------------------------------------------------------------

# NFKC leaves typographic quotes alone, and a curly apostrophe would split "I’m" into
# two words that no contraction rule recognises.
_QUOTES: Final = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "\uff07": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)

# Format characters (zero-width space/joiner, soft hyphen, bidi marks), controls and
# stray combining marks can hide inside a word ("kill\u200bmyself", zalgo text) and would
# break it in two; none of them carries meaning for an English screen.
_DROP_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Me", "Mn"})
_ASCII_CONTROLS: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

# Spelled-out forms, so a pattern written once as "i am" also catches "I'm", "im", "I’m".
# Apostrophe-less spellings are listed only where they are not also ordinary words
# ("ill", "its", "id", "were" stay as they are).
_CONTRACTIONS: Final[Mapping[str, str]] = {
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "can't": "cannot",
    "cant": "cannot",
    "can not": "cannot",
    "won't": "will not",
    "wont": "will not",
    "shan't": "shall not",
    "ain't": "am not",
    "aint": "am not",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "hafta": "have to",
    "tryna": "trying to",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "isnt": "is not",
    "wasnt": "was not",
    "arent": "are not",
    "werent": "were not",
    "thats": "that is",
    "whats": "what is",
    "theres": "there is",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "he's": "he is",
    "she's": "she is",
    "who's": "who is",
    "my self": "myself",
}
_CONTRACTION_RE: Final = re.compile(
    r"(?<![\w'])(?:"
    + "|".join(
        re.escape(key).replace(r"\ ", r"\s+")
        for key in sorted(_CONTRACTIONS, key=len, reverse=True)
    )
    + r")(?![\w'])"
)
_SUFFIXES: Final[Mapping[str, str]] = {
    "n't": " not",
    "'re": " are",
    "'ve": " have",
    "'ll": " will",
    "'d": " would",
    "'m": " am",
}
_SUFFIX_RE: Final = re.compile(r"(?<=\w)(?:n't|'re|'ve|'ll|'d|'m)(?!\w)")
_ELLIPSIS: Final = re.compile(r"\.{2,}")
# Underscore counts as \w in Python but is punctuation to a person typing.
_NON_WORD: Final = re.compile(r"(?:[^\w.!?;]|_)+")
_SENTENCE_END: Final = re.compile(r" ?[.!?;][ .!?;]*")


def _strip_invisible(text: str) -> str:
    if text.isascii():
        return _ASCII_CONTROLS.sub("", text)
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _DROP_CATEGORIES
    )


def _expand(match: re.Match[str]) -> str:
    return _CONTRACTIONS[" ".join(match.group().split())]


def normalise_text(text: str) -> str:
    """Reduce text to space-separated lower-case words with " . " between sentences.

    The result always starts and ends with a space so every word, including the first
    and last, has a space on both sides; patterns anchor on those spaces instead of
    `\\b`, which keeps the compiled regex simple. Sentence ends become a "." token that
    no word or gap matches, so a pattern never joins words from two sentences.
    An ellipsis is a pause, not an ending ("I just want to... end it all").
    """
    text = text.translate(_QUOTES)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = _strip_invisible(text)
    text = _CONTRACTION_RE.sub(_expand, text)
    text = _SUFFIX_RE.sub(lambda m: _SUFFIXES[m.group()], text)
    text = text.replace("'", "")
    text = _ELLIPSIS.sub(" ", text)
    text = _NON_WORD.sub(" ", text)
    text = _SENTENCE_END.sub(" . ", text)
    return f" {text.strip()} "


# --- the pattern language ----------------------------------------------------------------

_TOKEN: Final = re.compile(
    r"\s*(\{[^{}\[\]]*\}|\[[^{}\[\]]*\]|\.\.\.|<end>|@[a-z_][a-z0-9_]*|[^\s{}\[\]]+)\s*"
)
_WORD: Final = re.compile(r"\w+")


def _literal(phrase: str, source: str) -> str:
    """Regex for a run of words, each written with its leading space.

    Words are normalised like the input, so the data file may say "can't" or "I'm".
    A trailing `*` on a word makes it a prefix ("suicid*" covers suicide, suicidal).
    """
    parts: list[str] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            for word in normalise_text(" ".join(plain)).split():
                if not _WORD.fullmatch(word):
                    raise ValueError(f"pattern {source!r}: {word!r} is not a word")
                parts.append(" " + re.escape(word))
            plain.clear()

    for word in phrase.split():
        if word.endswith("*"):
            flush()
            stem = normalise_text(word[:-1]).split()
            if len(stem) != 1 or not _WORD.fullmatch(stem[0]) or "*" in word[:-1]:
                raise ValueError(f"pattern {source!r}: {word!r} is not a word with a trailing *")
            parts.append(" " + re.escape(stem[0]) + r"\w*")
        else:
            plain.append(word)
    flush()
    if not parts:
        raise ValueError(f"pattern {source!r}: empty phrase")
    return "".join(parts)


def _alternatives(
    body: str, source: str, sets: Mapping[str, Sequence[str]]
) -> Iterator[str]:
    for option in body.split("|"):
        option = option.strip()
        if not option:
            raise ValueError(
                f"pattern {source!r}: empty alternative (use [a|b] for optional words)"
            )
        if option.startswith("@"):
            yield from _set_members(option, source, sets)
        else:
            yield _literal(option, source)


def _set_members(ref: str, source: str, sets: Mapping[str, Sequence[str]]) -> Iterator[str]:
    name = ref[1:]
    if name not in sets:
        raise ValueError(f"pattern {source!r}: unknown set {ref!r}")
    for member in sets[name]:
        yield _literal(member, source)


def compile_pattern(pattern: str, sets: Mapping[str, Sequence[str]] | None = None) -> str:
    """Translate one pattern of the data file's language into a regex fragment.

    Tokens, separated by spaces:

    * `word` - that word; `word*` - any word starting with "word".
    * `{a|b c|d}` - one of the alternatives (each a word or a phrase, or `@set`).
    * `[a|b c]` - optionally one of the alternatives.
    * `@name` - any phrase from the `[sets]` table entry `name`.
    * `...` - up to GAP_WORDS arbitrary words (never across a sentence end).
    * `<end>` - the end of a sentence or of the message.

    Every quantifier is bounded and every token consumes whole space-delimited words,
    so a fragment backtracks over at most a fixed number of word positions.
    """
    sets = sets or {}
    pieces: list[str] = []
    required = False
    pos = 0
    while pos < len(pattern):
        match = _TOKEN.match(pattern, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"pattern {pattern!r}: cannot parse at {pattern[pos:]!r}")
        token = match.group(1)
        pos = match.end()
        if token.startswith("{"):
            pieces.append("(?:" + "|".join(_alternatives(token[1:-1], pattern, sets)) + ")")
            required = True
        elif token.startswith("["):
            pieces.append("(?:" + "|".join(_alternatives(token[1:-1], pattern, sets)) + ")?")
        elif token == "...":
            pieces.append(rf"(?: \w+){{0,{GAP_WORDS}}}")
        elif token == "<end>":
            pieces.append(r"(?= \.| $)")
        elif token.startswith("@"):
            pieces.append("(?:" + "|".join(_set_members(token, pattern, sets)) + ")")
            required = True
        else:
            pieces.append(_literal(token, pattern))
            required = True
    # A pattern of only optional parts would match the empty string and flag every
    # message, so refuse it rather than silently shutting the coach down.
    if not required:
        raise ValueError(f"pattern {pattern!r}: needs at least one required word")
    return "".join(pieces)


# --- the screen --------------------------------------------------------------------------


class Screen:
    """A compiled set of category patterns plus the benign idioms removed before matching."""

    __slots__ = ("_benign", "_categories", "_detector", "_results")

    def __init__(
        self,
        categories: Mapping[str, Sequence[str]],
        benign: Sequence[str] = (),
        sets: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if not categories:
            raise ValueError("the screen needs at least one category")
        sets = dict(sets or {})
        for name, members in sets.items():
            if not _NAME.fullmatch(name):
                raise ValueError(f"set name {name!r} must be lower_snake_case")
            if not members or any(m.strip().startswith("@") for m in members):
                raise ValueError(f"set {name!r} must list phrases (sets cannot nest)")
        branches: list[str] = []
        for name, patterns in categories.items():
            if not _NAME.fullmatch(name):
                raise ValueError(f"category name {name!r} must be lower_snake_case")
            if not patterns:
                raise ValueError(f"category {name!r} has no patterns")
            body = "|".join(compile_pattern(p, sets) for p in patterns)
            branches.append(f"(?P<{name}>{body})")
        # Every fragment ends at a word boundary; the shared lookahead says so once.
        self._detector = re.compile("(?:" + "|".join(branches) + ")(?= )")
        self._benign = (
            re.compile("(?:" + "|".join(compile_pattern(p, sets) for p in benign) + ")(?= )")
            if benign
            else None
        )
        self._categories = tuple(categories)
        # Results are immutable, so one per category avoids an allocation per message.
        self._results = {name: ScreenResult(flagged=True, category=name) for name in categories}

    @property
    def categories(self) -> tuple[str, ...]:
        return self._categories

    def check(self, text: str) -> ScreenResult:
        normalised = normalise_text(text)
        if self._benign is not None:
            # Replace an idiom with a sentence break rather than deleting it, so the
            # words on either side cannot join up into a match that was never written.
            normalised = self._benign.sub(" .", normalised)
        match = self._detector.search(normalised)
        if match is None or match.lastgroup is None:
            return CLEAR
        return self._results[match.lastgroup]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Screen:
        """Build a screen from the parsed data file (see safety.toml for the layout)."""
        raw_categories = data.get("categories")
        if not isinstance(raw_categories, Mapping) or not raw_categories:
            raise ValueError("safety data needs a non-empty [categories] table")
        categories = {
            str(name): _strings(table.get("patterns") if isinstance(table, Mapping) else None,
                                f"categories.{name}.patterns")
            for name, table in raw_categories.items()
        }
        raw_benign = data.get("benign", {})
        benign = (
            _strings(raw_benign.get("patterns", []), "benign.patterns", allow_empty=True)
            if isinstance(raw_benign, Mapping)
            else _strings(None, "benign")
        )
        raw_sets = data.get("sets", {})
        if not isinstance(raw_sets, Mapping):
            raise ValueError("[sets] must be a table of phrase lists")
        sets = {str(name): _strings(members, f"sets.{name}") for name, members in raw_sets.items()}
        return cls(categories, benign, sets)


def _strings(value: object, where: str, *, allow_empty: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    if not value and not allow_empty:
        raise ValueError(f"{where} must not be empty")
    return list(value)


def load_screen(path: Path | None = None) -> Screen:
    """The screen built from a data file; the shipped English file by default.

    Cached per path, so the file is read and compiled once per process, never per message.
    """
    return _load_cached(DEFAULT_PATH if path is None else Path(path).resolve())


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> Screen:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return Screen.from_mapping(data)


def screen_text(text: str) -> ScreenResult:
    """Check text against the default screen."""
    return load_screen().check(text)
