"""The therapy-boundary screen: spot crisis or clinical territory in a leader's free text.

Every free-text answer passes through `Screen.check` before the coach reads it. A match
means the conversation has left coaching (thoughts of suicide or self-harm, abuse, a
mental-health crisis, severe hopelessness) and the engine hands over to professional-help
resources instead of asking the next question.

The phrase lists live in `flows/content/<language>/safety.toml`, beside the rest of the
coach's words for that language, and, for the other languages leaders write in whatever
the content language, in `flows/content/safety/<lang>.toml`, so a coach or clinician can tune
them without touching code. They are written in a small pattern language rather than raw
regex (see `compile_pattern`), because the people who know which phrases matter are
rarely the people who can audit a regex for backtracking.

Design constraints that shape the code:

* It runs on every message, so all patterns are compiled once into a single regex and a
  check is a handful of `re` calls over the normalised text (cost: bench/README.md).
* Every pattern is a sequence of whole words with only bounded gaps, so matching cost is
  linear in the input length; no data-file edit can introduce catastrophic backtracking.
* The result carries the category only, never the matched words: what a person wrote in
  a crisis must not leak into logs or events through this object.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

CONTENT_DIR: Final[Path] = Path(__file__).resolve().parent / "content"
DEFAULT_PATH: Final[Path] = CONTENT_DIR / "en" / "safety.toml"
# Phrase lists for the other languages leaders may write in, one file per language
# (es.toml, de.toml, ...). They are screened whatever language the coaching content is in.
SCREENING_DIR: Final[Path] = CONTENT_DIR / "safety"

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
# two words that no contraction rule recognises. The same table turns underscores and
# line breaks into spaces and deletes ASCII controls, which is far cheaper than a regex.
_TRANSLATE: Final = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4\uff07`", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("_\t\n\v\f\r", " "),
        **dict.fromkeys([*map(chr, range(0x00, 0x09)), *map(chr, range(0x0E, 0x20)), "\x7f"]),
    }
)

# Format characters (zero-width space/joiner, soft hyphen, bidi marks), controls and
# stray combining marks can hide inside a word ("kill\u200bmyself", zalgo text) and would
# break it in two; none of them carries meaning for an English screen.
_DROP_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Me", "Mn"})

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
    # French written without the elision apostrophe, common on phones.
    "jai": "j ai",
    "jen": "j en",
    "jme": "j me",
    "jveux": "j veux",
    "chui": "j suis",
    "jsuis": "j suis",
}
# Split across two words, so they are fixed on the joined text.
_TWO_WORD: Final[tuple[tuple[str, str], ...]] = (
    (" can not ", " cannot "),
    (" my self ", " myself "),
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
_PUNCTUATION: Final = re.compile(r"[^\w\s'.!?;]+")
_SENTENCE_END: Final = re.compile(r"[.!?;][\s.!?;]*")


_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")
_UMLAUT: Final = re.compile("([aou])\u0308(?!e)")
# A single elided letter (or "qu") at the start of a word, followed by a letter.
_ELISION: Final = re.compile(r"(?<![\w'])([cdjlmnst]|qu)'(?=\w)")


def _keep_visible(match: re.Match[str]) -> str:
    ch = match.group()
    if ch.isspace():
        return " "
    return "" if unicodedata.category(ch) in _DROP_CATEGORIES else ch


def normalise_text(text: str) -> str:
    """Reduce text to space-separated lower-case words with " . " between sentences.

    The result always starts and ends with a space so every word, including the first
    and last, has a space on both sides; patterns anchor on those spaces instead of
    `\\b`, which lets the compiled regex skip straight from space to space. Sentence
    ends become a "." token that no word or gap matches, so a pattern never joins words
    from two sentences. An ellipsis is a pause, not an ending ("I just want to... die").
    """
    text = text.translate(_TRANSLATE)
    if text.isascii():
        # Typical answers are plain ASCII; NFKC and the per-character scan cannot
        # change them, and skipping both halves the cost of a check.
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).casefold()
        # Accents are split off and then dropped with the other combining marks, so
        # "disparaître" and "disparaitre", "não" and "nao" read the same; casefold has
        # already made "ß" "ss". German umlauts become the e-spelling people type without
        # them ("müde" -> "muede"), except before an e ("vergüenza" -> "verguenza").
        text = unicodedata.normalize("NFD", text)
        if "\u0308" in text:
            text = _UMLAUT.sub(r"\1e", text)
        # Only the non-ASCII characters need a category look-up.
        text = _NON_ASCII.sub(_keep_visible, text)
    if ".." in text:
        text = _ELLIPSIS.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _SENTENCE_END.sub(" . ", text)
    text = " ".join([_CONTRACTIONS.get(word, word) for word in text.split()])
    if "'" in text:
        # French elision ("j'ai", "qu'il", "l'envie") becomes two words; apostrophe-less
        # "jai" is spelled out by _CONTRACTIONS so both forms reach the same patterns.
        text = _ELISION.sub(r"\1 ", text)
        text = _SUFFIX_RE.sub(lambda m: _SUFFIXES[m.group()], text)
        # Leftover apostrophes are possessives or quote marks: "husband's" -> "husbands".
        # Re-splitting closes the gap a lone quote mark would leave between two words.
        text = " ".join(text.replace("'", "").split())
    # Even an empty message keeps the one-space frame the patterns anchor on.
    text = f" {text} " if text else " "
    for written, spelled in _TWO_WORD:
        if written in text:
            text = text.replace(written, spelled)
    return text


# --- the pattern language ----------------------------------------------------------------

_TOKEN: Final = re.compile(
    r"\s*(\{[^{}\[\]]*\}|\[[^{}\[\]]*\]|\.\.\.|<end>|@[a-z_][a-z0-9_]*|[^\s{}\[\]]+)\s*"
)
_WORD: Final = re.compile(r"\w+")
_OPERATOR: Final = re.compile(r"[<>@{}\[\]|]|\.\.\.")

# A phrase is compiled to one regex per word; the caller decides where the spaces go.
_Phrase = list[str]


def _phrase(text: str, source: str) -> _Phrase:
    """Word regexes for a run of words, normalised like the input.

    So the data file may say "can't" or "I'm". A trailing `*` on a word makes it a
    prefix ("suicid*" covers suicide, suicidal).
    """
    # Normalisation would quietly turn "<end>" into the word "end" or "..." into
    # nothing, so a misplaced operator must fail loudly instead of changing meaning.
    if _OPERATOR.search(text):
        raise ValueError(f"pattern {source!r}: operator inside a phrase in {text!r}")
    words: _Phrase = []
    plain: list[str] = []

    def flush() -> None:
        for word in normalise_text(" ".join(plain)).split():
            if not _WORD.fullmatch(word):
                raise ValueError(f"pattern {source!r}: {word!r} is not a word")
            words.append(re.escape(word))
        plain.clear()

    for word in text.split():
        if "*" in word[:-1]:
            raise ValueError(f"pattern {source!r}: * may only end a word, not {word!r}")
        if word.endswith("*"):
            flush()
            stem = normalise_text(word[:-1]).split()
            if len(stem) != 1 or not _WORD.fullmatch(stem[0]):
                raise ValueError(f"pattern {source!r}: {word!r} is not a word with a trailing *")
            words.append(re.escape(stem[0]) + r"\w*")
        else:
            plain.append(word)
    flush()
    if not words:
        raise ValueError(f"pattern {source!r}: empty phrase")
    return words


def _alternatives(body: str, source: str, sets: Mapping[str, Sequence[str]]) -> list[_Phrase]:
    phrases: list[_Phrase] = []
    for option in body.split("|"):
        option = option.strip()
        if not option:
            raise ValueError(f"pattern {source!r}: empty alternative (use [a|b] for optional words)")
        if option.startswith("@") and _WORD.fullmatch(option[1:]):
            phrases.extend(_set_members(option, source, sets))
        else:
            phrases.append(_phrase(option, source))
    return phrases


def _set_members(ref: str, source: str, sets: Mapping[str, Sequence[str]]) -> list[_Phrase]:
    name = ref[1:]
    if name not in sets:
        raise ValueError(f"pattern {source!r}: unknown set {ref!r}")
    return [_phrase(member, source) for member in sets[name]]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "words" (required), "optional", "gap" or "end"
    phrases: tuple[_Phrase, ...] = ()


def _parse(pattern: str, sets: Mapping[str, Sequence[str]]) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(pattern):
        match = _TOKEN.match(pattern, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"pattern {pattern!r}: cannot parse at {pattern[pos:]!r}")
        token = match.group(1)
        pos = match.end()
        if token.startswith("{"):
            tokens.append(_Token("words", tuple(_alternatives(token[1:-1], pattern, sets))))
        elif token.startswith("["):
            tokens.append(_Token("optional", tuple(_alternatives(token[1:-1], pattern, sets))))
        elif token == "...":
            tokens.append(_Token("gap"))
        elif token == "<end>":
            tokens.append(_Token("end"))
        elif token.startswith("@"):
            tokens.append(_Token("words", tuple(_set_members(token, pattern, sets))))
        else:
            tokens.append(_Token("words", (_phrase(token, pattern),)))
    return tokens


def _lead(tokens: Sequence[_Token]) -> str:
    """Regex for tokens that follow a matched word: each word brings its own space."""
    pieces: list[str] = []
    for token in tokens:
        if token.kind == "gap":
            pieces.append(rf"(?: \w+){{0,{GAP_WORDS}}}")
        elif token.kind == "end":
            pieces.append(r"(?= \.| $)")
        else:
            group = "(?:" + "|".join("".join(" " + w for w in ph) for ph in token.phrases) + ")"
            pieces.append(group + "?" if token.kind == "optional" else group)
    return "".join(pieces)


def _starts(tokens: Sequence[_Token], source: str) -> list[tuple[tuple[_Phrase, ...], str]]:
    """Split a pattern into (possible first phrases, regex for the rest) pairs.

    Knowing the first word of every way a pattern can begin is what lets the screen
    index all patterns by their first letter (see `_indexed`).
    """
    if not tokens:
        # A pattern of only optional parts would match the empty string and flag every
        # message, so refuse it rather than silently shutting the coach down.
        raise ValueError(f"pattern {source!r}: needs at least one required word")
    first, rest = tokens[0], tokens[1:]
    if first.kind == "gap":
        # Where a match starts does not change whether it exists.
        return _starts(rest, source)
    if first.kind == "end":
        raise ValueError(f"pattern {source!r}: <end> must follow a word")
    head = (first.phrases, _lead(rest))
    if first.kind == "optional":
        return [head, *_starts(rest, source)]
    return [head]


def _by_first_letter(starts: Sequence[tuple[tuple[_Phrase, ...], str]]) -> list[tuple[str, str]]:
    """(first letter, regex for the remainder) pairs covering every way to begin."""
    out: list[tuple[str, str]] = []
    for phrases, rest in starts:
        tails: dict[str, list[str]] = {}
        for words in phrases:
            text = " ".join(words)
            # Words are \w+, which re.escape leaves alone, so text[0] is a plain letter.
            tails.setdefault(text[0], []).append(text[1:])
        out.extend((letter, "(?:" + "|".join(t) + ")" + rest) for letter, t in tails.items())
    return out


def _entries(pattern: str, sets: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    return _by_first_letter(_starts(_parse(pattern, sets), pattern))


def compile_pattern(pattern: str, sets: Mapping[str, Sequence[str]] | None = None) -> str:
    """Translate one pattern of the data file's language into a regex fragment.

    Tokens, separated by spaces:

    * `word` - that word; `word*` - any word starting with "word".
    * `{a|b c|d}` - one of the alternatives (each a word or a phrase, or `@set`).
    * `[a|b c]` - optionally one of the alternatives.
    * `@name` - any phrase from the `[sets]` table entry `name`.
    * `...` - up to GAP_WORDS arbitrary words (never across a sentence end).
    * `<end>` - the end of a sentence or of the message.

    The fragment matches starting just after a space of normalised text. Every
    quantifier is bounded and every token consumes whole space-delimited words, so a
    fragment backtracks over a fixed number of word positions: no catastrophic cases.
    """
    pairs = _entries(pattern, sets or {})
    return "(?:" + "|".join(letter + tail for letter, tail in pairs) + ")"


def _indexed(entries: Sequence[tuple[str, str, str]], *, mark: bool) -> tuple[str, list[str]]:
    """One regex over many (label, first letter, remainder) entries, grouped by letter.

    `re` skips an alternative cheaply only when it starts with a plain character, so
    grouping by first letter turns "try every pattern at every word" into "try the few
    patterns that start with this word's letter". The leading literal space also lets
    the search jump from word to word. With `mark`, each entry ends in an empty group so
    `match.lastindex` says which entry matched; the returned labels are in group order.
    Entries keep their relative order, so earlier categories win ties.
    """
    buckets: dict[str, list[tuple[str, str]]] = {}
    for label, letter, tail in entries:
        buckets.setdefault(letter, []).append((label, tail + "()" if mark else tail))
    body = "|".join(
        letter + "(?:" + "|".join(tail for _label, tail in bucket) + ")" for letter, bucket in buckets.items()
    )
    labels = [label for bucket in buckets.values() for label, _tail in bucket]
    return " (?:" + body + ")(?= )", labels


# --- the screen --------------------------------------------------------------------------


class Screen:
    """A compiled set of category patterns plus the benign idioms removed before matching."""

    __slots__ = ("_benign", "_by_group", "_categories", "_detector")

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
        entries: list[tuple[str, str, str]] = []
        for name, patterns in categories.items():
            if not _NAME.fullmatch(name):
                raise ValueError(f"category name {name!r} must be lower_snake_case")
            if not patterns:
                raise ValueError(f"category {name!r} has no patterns")
            for pattern in patterns:
                entries.extend((name, letter, tail) for letter, tail in _entries(pattern, sets))
        detector, labels = _indexed(entries, mark=True)
        self._detector = re.compile(detector)
        # Results are immutable, so one per category avoids an allocation per message;
        # index 0 stands for "no marker group", which a match never reports.
        results = {name: ScreenResult(flagged=True, category=name) for name in categories}
        self._by_group: tuple[ScreenResult, ...] = (CLEAR, *(results[label] for label in labels))
        idioms = [("", letter, tail) for pattern in benign for letter, tail in _entries(pattern, sets)]
        self._benign = re.compile(_indexed(idioms, mark=False)[0]) if idioms else None
        self._categories = tuple(categories)

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
        if match is None or match.lastindex is None:
            return CLEAR
        return self._by_group[match.lastindex]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Screen:
        """Build a screen from the parsed data file (see safety.toml for the layout)."""
        return cls(*_parts(data))

    @classmethod
    def from_mappings(cls, datas: Sequence[Mapping[str, Any]]) -> Screen:
        """One screen over several data files (one per language), compiled as one regex.

        Each file keeps its own [sets]: a set name is made unique per file, so Spanish
        "@someone" never picks up the English members. Categories of the same name are
        pooled, in file order, so the first file's category order wins.
        """
        categories: dict[str, list[str]] = {}
        benign: list[str] = []
        sets: dict[str, list[str]] = {}
        for index, data in enumerate(datas):
            file_categories, file_benign, file_sets = _parts(data)

            def local(pattern: str, suffix: str = f"__f{index}") -> str:
                return _SET_REF.sub(lambda m: m.group() + suffix, pattern)

            for name, patterns in file_categories.items():
                categories.setdefault(name, []).extend(local(p) for p in patterns)
            benign.extend(local(p) for p in file_benign)
            sets.update({f"{name}__f{index}": list(members) for name, members in file_sets.items()})
        return cls(categories, benign, sets)


_SET_REF: Final = re.compile(r"@[a-z_][a-z0-9_]*")


def _parts(data: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str], dict[str, list[str]]]:
    """Categories, benign idioms and sets of one parsed data file, checked for shape."""
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, Mapping) or not raw_categories:
        raise ValueError("safety data needs a non-empty [categories] table")
    categories = {
        str(name): _strings(
            table.get("patterns") if isinstance(table, Mapping) else None, f"categories.{name}.patterns"
        )
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
    return categories, benign, sets


def _strings(value: object, where: str, *, allow_empty: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    if not value and not allow_empty:
        raise ValueError(f"{where} must not be empty")
    return list(value)


def screening_paths(language: str = "en") -> tuple[Path, ...]:
    """The content language's own list first, then every file in `SCREENING_DIR`.

    Leaders write about a crisis in their own language whatever language the coaching
    content is in, so the default screen always holds all of them. A screening file for
    the content language itself is skipped: the content's own list is the one to edit.
    """
    own = CONTENT_DIR / language / "safety.toml"
    if not own.is_file():
        raise FileNotFoundError(f"no safety screen for language {language!r} in {CONTENT_DIR}")
    return (own, *(path for path in sorted(SCREENING_DIR.glob("*.toml")) if path.stem != language))


def load_screen(path: Path | None = None, *, language: str = "en") -> Screen:
    """The screen from one data file if a path is given, else the language's own list
    together with every other screening language.

    Cached, so the files are read and compiled once per process, never per message.
    """
    if path is None:
        return _load_all(screening_paths(language))
    return _load_cached(Path(path).resolve())


@lru_cache(maxsize=4)
def _load_all(paths: tuple[Path, ...]) -> Screen:
    datas = []
    for path in paths:
        with path.open("rb") as handle:
            datas.append(tomllib.load(handle))
    return Screen.from_mappings(datas)


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> Screen:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return Screen.from_mapping(data)


def screen_text(text: str) -> ScreenResult:
    """Check text against the default screen."""
    return load_screen().check(text)
