"""Names, yes/no and leadership level from the words people use for them."""

from __future__ import annotations

import re

from flows.conversation import LEVELS
from flows.lexicon import choice_words, fold, patterns, phrase_set, phrase_text, phrases

MAX_NAME_CHARS = 40
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "da", "das", "do", "dos", "del", "della", "di", "la", "le"}
)

_NAME_LEAD = re.compile(
    r"^(?:(?:you can |just |please )?call me|my name is|my name's|name's|name is|the name's|i'm called|"
    r"(?:my )?(?:first )?name ?[:=-]|(?:my )?first name(?: is|'s)?|"
    r"i am called|they call me|people call me|everyone calls me|i go by|i'm|i am|im|it's|its|it is|"
    r"this is)\s+",
    re.IGNORECASE,
)
_NAME_TAIL = re.compile(r"\s+(?:here|speaking|this side)$", re.IGNORECASE)
_NAME_WORD = r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?"


def extract_name(text: str) -> str | None:
    """The name in "I'm Maria", "call me Max", "hi, I'm dave", "Maria here" or plain "Maria"."""
    raw = re.sub(r"\s+", " ", text.strip().replace("’", "'")).strip(" .!?;:")
    # "👋 Maria", "~Sam~": what comes before the first letter is no part of the name.
    raw = re.sub(r"^[^\w]+", "", raw).strip()
    raw = _drop_greeting(raw)
    led = _NAME_LEAD.match(raw)
    if led:
        raw = raw[led.end() :]
    raw = _NAME_TAIL.sub("", raw)
    # "Maria, and I lead a team of six" / "Sam - nice to meet you"
    raw = re.split(r"\s*[,;:!?()]\s*|\s+[-–—]\s+", raw, maxsplit=1)[0].strip(" .")
    tokens = raw.split()
    stop = phrase_set("name_stop")
    kept: list[str] = []
    for token in tokens:
        if fold(token) in stop and kept:
            break
        kept.append(token)
    if not kept or len(kept) > 3 or fold(kept[0]) in phrase_set("not_names"):
        return None
    if not all(re.fullmatch(_NAME_WORD, token) for token in kept):
        return None
    name = " ".join(_capitalise(token, first=index == 0) for index, token in enumerate(kept))
    if (
        len(name) > MAX_NAME_CHARS
        or parse_yes_no(name) is not None
        or phrase_text(name) in phrase_set("greetings")
    ):
        return None
    return name


def _drop_greeting(raw: str) -> str:
    for _ in range(3):
        match = re.match(r"^([^\W\d_]+(?: [^\W\d_]+)?)[ ,.!]+(?=\S)", raw)
        if not match or phrase_text(match.group(1)) not in phrase_set("greetings"):
            match = re.match(r"^([^\W\d_]+)[ ,.!]+(?=\S)", raw)
            if not match or phrase_text(match.group(1)) not in phrase_set("greetings"):
                return raw
        raw = raw[match.end() :]
    return raw


def _capitalise(token: str, first: bool) -> str:
    """'dave' -> 'Dave', 'MARIA' -> 'Maria', "o'brien" -> "O'Brien"; 'McDonald' stays as typed."""
    if not first and token.lower() in _PARTICLES:
        return token.lower() if token.islower() else token
    if not (token.islower() or token.isupper()) or (token.isupper() and (len(token) <= 2 or "." in token)):
        return token  # "McDonald", "JR", "J.R" as typed
    parts = re.split(r"([-'’])", token.lower())
    out = []
    for index, part in enumerate(parts):
        # The part after an apostrophe is capitalised only after a one-letter prefix (O'Brien, D'Souza).
        after_apostrophe = index >= 2 and parts[index - 1] in "'’"
        if after_apostrophe and len(parts[index - 2]) > 1:
            out.append(part)
        else:
            out.append(part[:1].upper() + part[1:])
    return "".join(out)


def parse_yes_no(text: str) -> bool | None:
    """True for "yes", "ok", "sure", "sounds good"...; False for "no", "not now", "nope"...; else None."""
    stripped = text.strip()
    for emoji, value in (("👍", True), ("✅", True), ("👌", True), ("👎", False), ("❌", False)):
        if stripped.startswith(emoji) and not phrase_text(stripped):
            return value
    parts = [phrase_text(part) for part in re.split(r"[,.;!?]+|\s[-–—]\s", stripped)]
    parts = [_strip_fillers(part) for part in parts if part]
    parts = [part for part in parts if part]
    if not parts:
        return None
    readings = [_yes_no_phrase(part) for part in parts]
    if all(reading is not None for reading in readings) and len(set(readings)) == 1:
        return readings[0]
    # "yes I'm ready to start", "no I'd rather stop here": the first word decides unless
    # the rest says the opposite ("yes but not now").
    first = readings[0] if readings[0] is not None else _leading_word(parts[0])
    if first is None:
        return None
    rest = " ".join(parts)
    opposite = phrase_set("no") if first else phrase_set("yes")
    words = rest.split()
    for size in (1, 2, 3):
        for start in range(1, len(words) - size + 1):
            if " ".join(words[start : start + size]) in opposite:
                return None
    if re.search(r"\b(?:but|although|though|however|unless)\b", rest):
        return None
    # "definitely not", "sure I don't": a yes word turned round by what follows.
    turned = r"\b(?:not|never|dont|don't|cannot|can't|cant|won't|wont)\b"
    if first and re.search(turned, rest.replace("why not", "")):
        return None
    return first


def _yes_no_phrase(phrase: str) -> bool | None:
    if phrase in phrase_set("yes"):
        return True
    if phrase in phrase_set("no"):
        return False
    return None


def _leading_word(phrase: str) -> bool | None:
    words = phrase.split()
    for size in (3, 2, 1):
        head = " ".join(words[:size])
        if len(words) > size and head in phrase_set("yes") | phrase_set("no"):
            return head in phrase_set("yes")
    return None


def _strip_fillers(phrase: str) -> str:
    changed = True
    while changed and phrase:
        changed = False
        for filler in sorted(phrases("yes_no_fillers"), key=len, reverse=True):
            if phrase == filler and phrase not in phrase_set("yes"):
                return ""
            if phrase.startswith(filler + " "):
                phrase, changed = phrase[len(filler) + 1 :], True
            elif phrase.endswith(" " + filler):
                phrase, changed = phrase[: -len(filler) - 1], True
    return phrase


_LEVEL_PATTERN_KEYS = {level: f"level_{level}_patterns" for level in LEVELS}
# Scope wins over tenure: a "new director" leads leaders, so the order is most senior first.
_LEVEL_ORDER = ("executive", "senior", "first_time", "experienced")


def parse_level(text: str) -> str | None:
    """One of LEVELS for "first time manager I guess", "I lead managers", "VP", "C-level"..."""
    phrase = phrase_text(text)
    if not phrase:
        return None
    for level in LEVELS:
        if phrase == phrase_text(level.replace("_", " ")):
            return level
    for level in _LEVEL_ORDER:
        if any(pattern.search(phrase) for pattern in patterns(_LEVEL_PATTERN_KEYS[level])):
            return level
    return None


def choice_in_words(question: str, text: str, offered: tuple[str, ...]) -> str | None:
    """The offered choice an answer names in its own words ("did it yesterday" -> "done"),
    from the lists in phrases.toml for `question` ("checkin.did"); the first match wins."""
    phrase = phrase_text(text)
    if not phrase:
        return None
    for value, found in choice_words(question):
        if value in offered and any(pattern.search(phrase) for pattern in found):
            return value
    return None


_ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "sixth": 6, "6th": 6, "six": 6,
}  # fmt: skip


def ordinal(text: str, count: int) -> int | None:
    """The position (1-based) a whole answer names among `count` choices: "the first one",
    "2nd", "number 2", "#3"; None for anything else."""
    phrase = phrase_text(text.replace("#", " number "))
    match = re.fullmatch(
        r"(?:(?:the|number|no|option|goal|choice) )*(\w+)(?: (?:one|goal|option|choice|please|pls))*", phrase
    )
    if match is None:
        return None
    # "the last one" is left to the flow: its last button may be "none of them".
    word = match.group(1)
    position = _ORDINALS.get(word)
    if position is None and word.isdigit() and phrase != word:
        position = int(word)
    return position if position is not None and 1 <= position <= count else None


_ORDINAL_WORDS = r"first|second|third|fourth|fifth|sixth|last|1st|2nd|3rd|4th|5th|6th"


def ordinal_in(text: str, count: int) -> int | None:
    """The one position a sentence names among `count` choices: "I achieved the first one"
    -> 1, "the last goal is done" -> count; None when it names none, or more than one."""
    found = {
        count if word == "last" else _ORDINALS[word]
        for word in re.findall(rf"\b(?:{_ORDINAL_WORDS})\b", phrase_text(text))
    }
    if len(found) != 1:
        return None
    position = found.pop()
    return position if 1 <= position <= count else None
