"""Telling "nothing to add" ("no, that's it", "idk", "🤷") from an answer with content."""

from __future__ import annotations

import re

from flows.lexicon import phrase_set, phrase_text, phrases


def is_non_answer(text: str) -> bool:
    """True when the text says nothing, or only that the leader has nothing (more) to say.

    "no meetings on Fridays" starts with "no" but is content; "no, that's it" is not.
    """
    if not phrase_text(text):
        # Only punctuation, emoji or symbols: "?", "...", "🤷", "-".
        return True
    parts = _clauses(text)
    # "Okay, that's all": an acknowledgement may stand beside a non-answer, not alone.
    empty = [_is_empty_phrase(part) for part in parts]
    return any(empty) and all(
        said or part in phrase_set("acknowledgements") for part, said in zip(parts, empty, strict=True)
    )


def says_too_little(text: str) -> bool:
    """True for a non-answer, for a reply that only acknowledges the question ("ok",
    "yes 👍") or is a bare number ("1"), and for one that asks about the question ("what do
    you mean?", "help", "hi"): nothing a question that needs content can keep.

    Asked for a recent example, "1" or "ok" is a slip or a tap-through, never the example.
    """
    if is_non_answer(text):
        return True
    parts = _clauses(text)
    # "what do you mean?", "help", "hi": a question about the question is no answer to it.
    meta = phrase_set("about_the_question")
    return all(_is_empty_phrase(part, "acknowledgements") or part.isdigit() or part in meta for part in parts)


def _clauses(text: str) -> list[str]:
    """The text's clauses ("no, that's it" -> "no", "that's it"), folded; empty ones left out."""
    folded = (phrase_text(part) for part in re.split(r"[,.;!?]+|\s[-–—]\s", text))
    return [part for part in folded if part]


def _is_empty_phrase(phrase: str, kind: str = "non_answers") -> bool:
    known = phrase_set(kind)
    if phrase in known:
        return True
    # "nothing else really", "no thanks, I think that's all for now"
    for filler in sorted(phrases("non_answer_fillers"), key=len, reverse=True):
        for stripped in (_drop_prefix(phrase, filler), _drop_suffix(phrase, filler)):
            if stripped is not None and (not stripped or _is_empty_phrase(stripped, kind)):
                return True
    # "no nothing", "nope that's all": two empty phrases back to back; "ok that's it",
    # "yes, done": an acknowledgement before one.
    openers = known | phrase_set("acknowledgements") if kind == "non_answers" else known
    tokens = phrase.split()
    for cut in range(1, len(tokens)):
        head, tail = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        if head in openers and _is_empty_phrase(tail, kind):
            return True
    return False


def _drop_prefix(phrase: str, word: str) -> str | None:
    if phrase == word:
        return ""
    return phrase[len(word) + 1 :] if phrase.startswith(word + " ") else None


def _drop_suffix(phrase: str, word: str) -> str | None:
    if phrase == word:
        return ""
    return phrase[: -len(word) - 1] if phrase.endswith(" " + word) else None
