"""When a leader who already holds the most goals sets a new one: make room, or carry on.

A leader holds at most `MAX_ACTIVE_GOALS` open goals. The new goal's words are kept while
they choose one of the held goals to close (achieved or dropped, as /goals does) or to
carry on with in this session instead. Read here: the answers people type to that
("drop the second one", "the first is done", "carry on with the delegation one").
"""

from __future__ import annotations

from flows.lexicon import NUMBER_WORDS, patterns, phrase_text, words
from flows.quoting import quote
from flows.short_answers import ordinal_in

# How a held goal is dealt with, in the order the buttons show them.
HOW = ("achieved", "dropped", "continue")
# Words that say what to do, not which goal: never read as part of a goal's wording.
_NOT_NAMING = frozenset(
    "goal goals that this about with drop dropped keep close done achieved continue carry work "
    "working instead please let's lets".split()
)


def listing(held: list[list[str]]) -> str:
    return "\n".join(f"{number}. {quote(text, 80)}" for number, (_, text) in enumerate(held, start=1))


def how_in_words(text: str) -> str | None:
    """achieved | dropped | continue, as the leader put it; None when they did not say."""
    said = phrase_text(text)
    for how in ("dropped", "achieved", "continue"):
        if any(pattern.search(said) for pattern in patterns(f"goal_{how}_patterns")):
            return how
    return None


def which_in_words(text: str, held: list[list[str]]) -> int | None:
    """The position (from 0) of the held goal the leader named: by number, order or words."""
    count = len(held)
    position = ordinal_in(text, count)  # "the second one", "the last is done"
    if position is not None:
        return position - 1
    said = words(text)
    for word in said:
        # "one" is left out: "the delegation one" names a goal by its words, not its number.
        spelled = NUMBER_WORDS.get(word) if word != "one" else None
        number = spelled or (int(word) if word.isdigit() and len(word) < 3 else None)
        if number is not None and 1 <= number <= count:
            return number - 1
        if word in ("latest", "newest"):
            return count - 1
    # "the delegation one": the goal whose wording shares the most of the leader's words.
    # Compared by their first five letters, so "delegation" finds "delegate".
    naming = {word[:5] for word in said if len(word) >= 4 and word not in _NOT_NAMING}
    overlaps = [len(naming & {w[:5] for w in words(goal_text) if len(w) >= 4}) for _, goal_text in held]
    best = max(overlaps, default=0)
    if best and overlaps.count(best) == 1:
        return overlaps.index(best)
    return None
