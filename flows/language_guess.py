"""Which language a leader's message is clearly written in, if any.

Used only to tell a leader, once, which language the coaching is in. It counts common
function words ("the", "und", "que", "je") of a handful of languages and answers only
when one language clearly wins, so a wrong guess costs nothing worse than silence:

* short messages (fewer than `MIN_WORDS` words of two letters or more) get no guess;
  names, dates and "ok" look the same in every language;
* the winner needs at least `MIN_HITS` function words, making up at least
  `MIN_SHARE` of the message, and more than twice as many as any other language.

No dependencies and no model: a few set look-ups per word.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MIN_WORDS: Final[int] = 4
MIN_HITS: Final[int] = 3
MIN_SHARE: Final[float] = 0.25

# Accent-free, lower case, as `_words` prepares the text. Words several languages share
# ("a", "de", "la", "en", "die") still count for each of them; the margin rule decides.
STOPWORDS: Final[dict[str, frozenset[str]]] = {
    "en": frozenset(
        "the and is are was were to of i my me you your that this with have has had it for not "
        "be been we our us on in but what do does did so just about can will would there they "
        "their he she his her an at if or how when why which who am really because".split()
    ),
    "es": frozenset(
        "el la los las que y en un una es no por para con mi mis me lo se pero mas muy esta "
        "estoy yo tengo del al como su hay ya quiero cuando porque todo nos le son fue ser "
        "tambien sin sobre eso esto hacer puedo".split()
    ),
    "de": frozenset(
        "der die das und ist ich nicht mit ein eine einen zu es sie wir auf fur den dem auch "
        "mein meine mich mir sich aber wie noch nur habe bin hat sind war wenn oder kann "
        "will mehr schon sehr dass was bei immer keine nach mochte muss sollte wurde haben "
        "diese dieser einem einer uns unser unsere meinem meinen meiner ihm ihn dann jetzt "
        "heute weil".split()
    ),
    "fr": frozenset(
        "le la les et est je j ne pas de des un une que qui il elle nous vous mon ma mes pour "
        "avec dans sur ce cette suis ai au du plus mais tres c l d qu n m tout sont etre "
        "fait faire aussi leur y en a non on".split()
    ),
    "pt": frozenset(
        "o a os as e de do da dos das que nao um uma eu meu minha para com em no na mais muito "
        "esta estou isso ele ela mas por se tenho quero sou voce como nos ao foi ser tem "
        "tambem sem sobre isto fazer posso".split()
    ),
    "it": frozenset(
        "il lo la gli le e di che non un una sono mi per con nel del della ma io mio mia questo "
        "questa anche molto ho ci si piu sei tutto cosa come perche quando essere fare".split()
    ),
    "nl": frozenset(
        "de het een en is ik niet van dat die met op voor mijn maar ook wat zijn er je we hij "
        "ze naar bij nog heb ben kan wil moet geen veel heel hebben".split()
    ),
}

_WORD: Final = re.compile(r"[^\W\d_]+")


def _words(text: str) -> list[str]:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Single letters ("a", "e", "j", "c") are words in several languages and also what
    # formulas, initials and list markers are made of ("a>b but b<c"), so they never count.
    return [word for word in _WORD.findall(text.casefold()) if len(word) > 1]


def _scores(words: list[str]) -> dict[str, int]:
    return {code: sum(word in stop for word in words) for code, stop in STOPWORDS.items()}


def _clear_winner(words: list[str], scores: dict[str, int]) -> str | None:
    if len(words) < MIN_WORDS:
        return None
    code = max(scores, key=scores.__getitem__)
    best = scores[code]
    return code if best >= MIN_HITS and best >= MIN_SHARE * len(words) else None


def guess_language(text: str) -> str | None:
    """The language `text` is clearly written in, or None when that is not clear.

    Clear means the winner has more than twice the function words of any other
    language; Spanish against Portuguese is often not clear, and then this says None.
    """
    words = _words(text)
    scores = _scores(words)
    code = _clear_winner(words, scores)
    if code is None or any(2 * score >= scores[code] for other, score in scores.items() if other != code):
        return None
    return code


def other_language(text: str, content_language: str) -> str | None:
    """The best-guess language of `text` when it is clearly not `content_language`.

    Only the content language has to be clearly beaten: a message that could be
    Spanish or Portuguese is still clearly not English.
    """
    words = _words(text)
    scores = _scores(words)
    code = _clear_winner(words, scores)
    if code is None or code == content_language:
        return None
    return code if 2 * scores.get(content_language, 0) < scores[code] else None
