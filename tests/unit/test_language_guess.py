"""The language guess behind the once-only "I coach in English" note: clear cases only."""

from __future__ import annotations

import pytest

from flows.language_guess import MIN_WORDS, guess_language, other_language

CLEAR = [
    ("Quiero mejorar la comunicación con mi equipo y no sé por dónde empezar", "es"),
    ("Mi jefe me pide resultados pero no tengo tiempo para nada", "es"),
    ("Ich möchte lernen, besser zu delegieren", "de"),
    ("Meine Chefin hat mir heute gesagt, dass ich zu langsam bin", "de"),
    ("Je voudrais mieux gérer mon temps avec l'équipe", "fr"),
    ("J'ai du mal à dire non à mon directeur", "fr"),
    ("Quero dar feedback melhor para a minha equipe", "pt"),
    ("Eu não consigo delegar e fico com tudo para mim", "pt"),
    ("Vorrei essere un leader più presente per il mio team", "it"),
    ("Ik wil beter leren delegeren in mijn team", "nl"),
    ("I want to give better feedback to my team", "en"),
    ("Have a 1:1 with Ana about the roadmap and the hiring plan", "en"),
]

NOT_CLEAR = [
    "Ok",
    "Sí",
    "Danke schön",
    "Maria José de la Cruz",
    "Europe/Berlin",
    "8",
    "The team said que no es posible this week",
    "I'm working on la comunicación",
    "Set up a weekly meeting with Juan and María",
    "Roadmap Q3, OKRs, Jira",
    "",
]


@pytest.mark.parametrize(("text", "language"), CLEAR)
def test_clear_messages_are_recognised(text: str, language: str) -> None:
    assert guess_language(text) == language


@pytest.mark.parametrize("text", NOT_CLEAR)
def test_short_or_mixed_messages_get_no_notice(text: str) -> None:
    assert other_language(text, "en") is None


@pytest.mark.parametrize(("text", "language"), [c for c in CLEAR if c[1] != "en"])
def test_any_clear_other_language_is_reported_against_english(text: str, language: str) -> None:
    assert other_language(text, "en") == language


def test_the_content_language_itself_is_never_reported() -> None:
    assert other_language("I want to give better feedback to my team", "en") is None
    assert other_language("Quiero mejorar la comunicación con mi equipo", "es") is None


def test_without_accents_or_in_capitals_it_still_reads() -> None:
    assert other_language("QUIERO MEJORAR LA COMUNICACION CON MI EQUIPO", "en") == "es"
    assert other_language("nao consigo delegar e fico com tudo para mim", "en") == "pt"


def test_fewer_than_the_minimum_words_never_count() -> None:
    assert MIN_WORDS == 4
    assert other_language("no es la", "en") is None


def test_formulas_and_initials_are_not_a_language() -> None:
    for text in ("a>b but b<c & c>&a", "<i>nothing</i> &amp; more", "A, B, C, D and E", "j. l. d. c. a. e."):
        assert other_language(text, "en") is None, text
