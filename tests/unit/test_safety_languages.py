"""The crisis screen reads Spanish, German, French and Portuguese, whatever the content language.

Positives are sentences as people in crisis write them (wishes, means and preparation,
abuse, acute crisis); negatives are ordinary work sentences with the idioms that look
alarming out of context. Each is also checked without accents, in capitals and with
curly apostrophes, because that is how people type on phones.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from flows.safety import (
    DEFAULT_PATH,
    SCREENING_DIR,
    Screen,
    ScreenResult,
    load_screen,
    normalise_text,
    screening_paths,
)
from tests.unit.test_safety import _example

LANGUAGES = ("de", "es", "fr", "pt")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss")


def _shout(text: str) -> str:
    return text.upper()


def _curly(text: str) -> str:
    return text.replace("'", "\u2019")


def _as_is(text: str) -> str:
    return text


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "as_written": _as_is,
    "no_accents": _strip_accents,
    "upper": _shout,
    "curly": _curly,
}

# (sentence, expected category)
POSITIVE: dict[str, list[tuple[str, str]]] = {
    "es": [
        ("Ya no quiero vivir", "severe_distress"),
        ("¿Para qué vivir así?", "severe_distress"),
        ("A veces pienso en quitarme la vida", "suicide"),
        ("Me quiero morir, no sé qué hacer", "suicide"),
        ("Llevo semanas juntando pastillas", "suicide"),
        ("Tengo un plan para acabar con todo", "suicide"),
        ("Ya tengo la fecha.", "suicide"),
        ("Escribí cartas de despedida a mis hijos", "suicide"),
        ("He regalado mis cosas a mis amigos", "suicide"),
        ("Compré una cuerda ayer", "suicide"),
        ("Busqué cuántas pastillas hacen falta", "suicide"),
        ("Anoche me corté los brazos otra vez", "self_harm"),
        ("Mi marido me pega cuando bebe", "abuse"),
        ("Tengo miedo de volver a casa", "abuse"),
        ("Esta mañana tuve un ataque de pánico en la oficina", "crisis"),
        ("Ya no puedo más.", "crisis"),
        ("Oigo voces en mi cabeza", "crisis"),
        ("Todos estarían mejor sin mí", "severe_distress"),
        ("Me siento una carga para mi familia", "severe_distress"),
    ],
    "de": [
        ("Ich will nicht mehr leben", "severe_distress"),
        ("Ich will mich umbringen", "suicide"),
        ("Manchmal denke ich daran, mir das Leben zu nehmen", "suicide"),
        ("Ich möchte einfach sterben", "suicide"),
        ("Ich sammle seit Wochen meine Schlaftabletten", "suicide"),
        ("Ich habe schon Tabletten gesammelt", "suicide"),
        ("Ich habe einen Abschiedsbrief geschrieben", "suicide"),
        ("Ich habe meine Sachen verschenkt", "suicide"),
        ("Ich habe einen Strick gekauft", "suicide"),
        ("Ich habe nachgelesen, wie viele Tabletten tödlich sind", "suicide"),
        ("Ich ritze mich wieder", "self_harm"),
        ("Mein Mann schlägt mich", "abuse"),
        ("Ich habe Angst, nach Hause zu gehen", "abuse"),
        ("Ich hatte heute eine Panikattacke im Büro", "crisis"),
        ("Ich kann einfach nicht mehr.", "crisis"),
        ("Ich höre Stimmen", "crisis"),
        ("Alle wären ohne mich besser dran", "severe_distress"),
        ("Mein Leben hat keinen Sinn", "severe_distress"),
        ("Ich fühle mich so hoffnungslos", "severe_distress"),
    ],
    "fr": [
        ("j'ai envie de disparaître pour toujours", "severe_distress"),
        ("J'ai envie d'en finir.", "suicide"),
        ("jai envie den finir", "suicide"),
        ("Je veux me tuer", "suicide"),
        ("Je pense à mettre fin à mes jours", "suicide"),
        ("Je voudrais mourir", "suicide"),
        ("J'ai mis mes médicaments de côté", "suicide"),
        ("J'accumule des somnifères depuis un mois", "suicide"),
        ("J'ai un plan pour en finir", "suicide"),
        ("J'ai écrit des lettres d'adieu", "suicide"),
        ("J'ai acheté une corde", "suicide"),
        ("J'ai cherché combien de cachets il faut", "suicide"),
        ("Je me fais du mal le soir", "self_harm"),
        ("Mon mari me frappe", "abuse"),
        ("J'ai peur de rentrer chez moi", "abuse"),
        ("J'ai fait une crise d'angoisse en réunion", "crisis"),
        ("Je n'en peux plus.", "crisis"),
        ("J'entends des voix", "crisis"),
        ("Ils seraient mieux sans moi", "severe_distress"),
        ("Je n'ai plus envie de vivre", "severe_distress"),
        ("La vie n'a plus de sens", "severe_distress"),
    ],
    "pt": [
        ("Não quero mais viver", "severe_distress"),
        ("Quero me matar", "suicide"),
        ("Penso em tirar a minha vida", "suicide"),
        ("Queria morrer", "suicide"),
        ("Estou juntando comprimidos há semanas", "suicide"),
        ("Tenho um plano para acabar com tudo", "suicide"),
        ("Escrevi cartas de despedida", "suicide"),
        ("Dei as minhas coisas aos meus amigos", "suicide"),
        ("Comprei uma corda", "suicide"),
        ("Pesquisei quantos comprimidos para morrer", "suicide"),
        ("Me cortei de novo ontem", "self_harm"),
        ("Meu marido me bate", "abuse"),
        ("Tenho medo de voltar para casa", "abuse"),
        ("Tive uma crise de pânico no trabalho", "crisis"),
        ("Não aguento mais.", "crisis"),
        ("Ouço vozes à noite", "crisis"),
        ("Todos estariam melhor sem mim", "severe_distress"),
        ("Sinto que sou um peso para todos", "severe_distress"),
        ("A vida não tem sentido", "severe_distress"),
    ],
}

NEGATIVE: dict[str, list[str]] = {
    "es": [
        "Me muero de ganas de empezar el nuevo proyecto",
        "Este proyecto me mata, pero lo sacaremos",
        "Mi jefe me va a matar si no entrego el informe",
        "Estoy muerto de cansancio después del lanzamiento",
        "No aguanto más este proyecto, necesito delegar",
        "No puedo más reuniones hoy, voy a bloquear la agenda",
        "Mi jefe me pega unas broncas terribles delante del equipo",
        "Casi me da un ataque de pánico cuando vi el presupuesto",
        "Tengo una fecha de entrega muy ajustada",
        "Me corté el pelo y el equipo ni lo notó",
        "Quiero acabar con todo el backlog esta semana",
        "Fue una misión suicida presentar sin datos",
        "Me muero de risa con mi equipo",
    ],
    "de": [
        "Ich sterbe vor Langeweile in Meetings",
        "Mein Chef bringt mich um, wenn der Bericht zu spät kommt",
        "Das Projekt bringt mich um",
        "Ich kann nicht mehr warten, bis das Budget steht",
        "Ich bin todmüde nach dem Offsite",
        "Das war ein Selbstmordkommando ohne Daten",
        "Ich habe mir einen Tag für den Workshop ausgesucht",
        "Ich höre Stimmen aus dem Team, die mehr Klarheit wollen",
        "Wir haben den Zusammenbruch der Lieferkette gut gemeistert",
        "Ich sammle Ideen für die Retrospektive",
        "Ich will nicht mehr so viele Meetings haben",
        "Meine Chefin hat mir heute gesagt, dass ich zu langsam bin",
    ],
    "fr": [
        "Ce projet me tue",
        "Mon chef va me tuer si je rate la deadline",
        "J'ai envie de disparaître après cette réunion",
        "Je suis mort de rire avec l'équipe",
        "Je me tue à la tâche depuis des semaines",
        "Je n'en peux plus de ces réunions",
        "Je préférerais mourir que de refaire cette présentation",
        "Il me bat aux échecs chaque vendredi",
        "Ce qui me frappe, c'est le manque de clarté",
        "L'équipe serait mieux sans moi sur ce dossier",
        "C'était une mission suicide de lancer sans tests",
        "J'ai choisi la date de l'atelier avec mon équipe",
    ],
    "pt": [
        "Estou morto de cansaço depois do lançamento",
        "Estou morrendo de vontade de começar",
        "Meu chefe vai me matar se eu atrasar",
        "Esse projeto está me matando",
        "Não aguento mais essas reuniões sem pauta",
        "Me bate uma saudade do time antigo",
        "A equipe estaria melhor sem mim nesse projeto",
        "Foi uma missão suicida apresentar sem dados",
        "Morri de rir na retrospectiva",
        "Quero acabar com tudo o que está pendente hoje",
        "Guardo os relatórios numa pasta",
        "Ele me pega no escritório às oito",
    ],
}


@pytest.fixture(scope="module")
def screen() -> Screen:
    return load_screen()


def _cases(kind: str) -> list[object]:
    table = POSITIVE if kind == "pos" else NEGATIVE
    return [
        pytest.param(lang, case, transform, id=f"{lang}-{i}-{name}")
        for lang, cases in table.items()
        for i, case in enumerate(cases)
        for name, transform in TRANSFORMS.items()
    ]


def test_each_language_has_at_least_eight_positives_and_negatives() -> None:
    for lang in LANGUAGES:
        assert len(POSITIVE[lang]) >= 8, lang
        assert len(NEGATIVE[lang]) >= 8, lang
        categories = {category for _text, category in POSITIVE[lang]}
        assert {"suicide", "self_harm", "abuse", "crisis", "severe_distress"} <= categories, lang


@pytest.mark.parametrize(("lang", "case", "transform"), _cases("pos"))
def test_crisis_language_fires_in_every_screened_language(
    screen: Screen, lang: str, case: tuple[str, str], transform: Callable[[str], str]
) -> None:
    text, category = case
    assert screen.check(transform(text)) == ScreenResult(flagged=True, category=category)


@pytest.mark.parametrize(("lang", "text", "transform"), _cases("neg"))
def test_work_language_does_not_fire_in_any_language(
    screen: Screen, lang: str, text: str, transform: Callable[[str], str]
) -> None:
    assert screen.check(transform(text)) == ScreenResult(flagged=False, category=None)


def test_an_idiom_does_not_hide_a_real_signal_next_to_it(screen: Screen) -> None:
    assert screen.check("Me muero de ganas de irme y ya no quiero vivir").flagged
    assert screen.check("Ich sterbe vor Langeweile und will nicht mehr leben").flagged
    assert screen.check("Ce projet me tue et j'ai envie d'en finir.").flagged
    assert screen.check("Estou morto de cansaço e não quero mais viver").flagged


# The means-and-preparation phrases added to the English list for this issue.
ENGLISH_PREPARATION = [
    "I've been saving up my pills",
    "I've got a plan to end it",
    "I've picked a date",
    "I wrote goodbye letters to my kids",
    "I gave away my things last weekend",
    "I bought a rope",
    "I've been looking up how many pills it takes",
    "I've been googling the most painless way to die",
    "I have been setting aside my sleeping pills.",
    "i've got a plan to end my life",
]
ENGLISH_WORK = [
    "We have a plan to end it next quarter if the pilot fails",
    "We made a plan to end the contract",
    "I picked a date for the offsite",
    "I keep my pills in the desk drawer",
    "I wrote a farewell email to the team",
    "I gave away the lead on the project to Sam",
    "The team bought a ropes course day for the offsite",
    "I looked up how many people signed up",
    "We saved up budget for the conference",
]


@pytest.mark.parametrize("text", ENGLISH_PREPARATION)
def test_english_means_and_preparation_fire(screen: Screen, text: str) -> None:
    assert screen.check(text) == ScreenResult(flagged=True, category="suicide")


@pytest.mark.parametrize("text", ENGLISH_WORK)
def test_english_planning_at_work_does_not_fire(screen: Screen, text: str) -> None:
    assert not screen.check(text).flagged


# --- normalisation ------------------------------------------------------------------------


def test_accents_umlauts_sharp_s_elision_and_inverted_marks_are_normalised() -> None:
    assert normalise_text("disparaître") == normalise_text("disparaitre") == " disparaitre "
    assert normalise_text("Não") == normalise_text("nao") == " nao "
    assert normalise_text("Straße") == normalise_text("STRASSE") == " strasse "
    assert normalise_text("müde") == normalise_text("muede") == normalise_text("MÜDE") == " muede "
    assert normalise_text("vergüenza") == " verguenza "
    assert normalise_text("j'ai l'envie qu'il d'en") == " j ai l envie qu il d en "
    assert normalise_text("J’ai") == normalise_text("jai") == " j ai "
    assert normalise_text("¿Para qué vivir? ¡Nada!") == " para que vivir . nada . "
    # English contractions are unchanged by the elision rule.
    assert normalise_text("I don't think I'd") == " i do not think i would "


# --- the data files -----------------------------------------------------------------------


def _data(lang: str) -> dict[str, object]:
    with (SCREENING_DIR / f"{lang}.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_the_default_screen_loads_every_language_file() -> None:
    paths = screening_paths()
    assert paths[0] == DEFAULT_PATH
    assert sorted(p.stem for p in paths[1:]) == sorted(LANGUAGES)
    assert load_screen() is load_screen()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_pattern_in_a_language_file_fires_with_its_own_category(screen: Screen, lang: str) -> None:
    data = _data(lang)
    sets, categories = data["sets"], data["categories"]
    assert isinstance(sets, dict) and isinstance(categories, dict)
    dead = [
        (name, pattern, _example(pattern, sets))
        for name, table in categories.items()
        for pattern in table["patterns"]
        if screen.check(_example(pattern, sets)) != ScreenResult(flagged=True, category=name)
    ]
    assert dead == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_benign_idioms_in_a_language_file_never_fire(screen: Screen, lang: str) -> None:
    data = _data(lang)
    sets, benign = data["sets"], data["benign"]
    assert isinstance(sets, dict) and isinstance(benign, dict)
    assert [p for p in benign["patterns"] if screen.check(_example(p, sets)).flagged] == []


def test_sets_stay_in_their_own_language(tmp_path: Path) -> None:
    one = {"sets": {"who": ["my boss"]}, "categories": {"a": {"patterns": ["@who yells"]}}}
    two = {"sets": {"who": ["mi jefe"]}, "categories": {"a": {"patterns": ["@who grita"]}}}
    screen = Screen.from_mappings([one, two])
    assert screen.check("my boss yells").flagged and screen.check("mi jefe grita").flagged
    assert not screen.check("my boss grita").flagged
    assert not screen.check("mi jefe yells").flagged
