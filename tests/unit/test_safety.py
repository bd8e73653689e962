"""The therapy-boundary screen: what must reach professional help, and what must not.

The phrase lists are data (flows/content/en/safety.toml); these tests pin the behaviour
a coach or clinician editing that file must preserve, including the policy decisions
documented at its top.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.safety import (
    CLEAR,
    DEFAULT_PATH,
    Screen,
    ScreenResult,
    compile_pattern,
    load_screen,
    normalise_text,
    screen_text,
)

CATEGORIES = ("suicide", "self_harm", "abuse", "crisis", "severe_distress")

# Each entry: a distinct phrase, the category it must raise, and several phrasings of it
# (wording, case, punctuation, contractions, curly apostrophes, inside a work sentence).
MUST_FIRE: dict[str, tuple[str, list[str]]] = {
    # suicide
    "kill myself": (
        "suicide",
        [
            "I want to kill myself",
            "I WANT TO  KILL MYSELF",
            "i wanna kill myself",
            "Honestly, after the layoffs I've thought about killing myself.",
        ],
    ),
    "end it all": (
        "suicide",
        ["I’m going to end it all", "im gonna end it all", "Some days I just want to... end it all"],
    ),
    "suicidal": (
        "suicide",
        [
            "I've been feeling suicidal",
            "i feel SUICIDAL lately",
            "Since the restructure I've had suicidal thoughts",
        ],
    ),
    "commit suicide": (
        "suicide",
        [
            "I've thought about committing suicide",
            "I wrote a suicide note last night",
            "suicide crossed my mind",
        ],
    ),
    "want to die": (
        "suicide",
        ["I want to die", "i just wanna die", "After the review I honestly wanted to die."],
    ),
    "take my own life": (
        "suicide",
        ["I've thought about taking my own life", "I want to take my life.", "I might take my own life"],
    ),
    "end my life": (
        "suicide",
        ["I want to end my life", "I'm thinking about ending my life", "I'm planning to end my own life"],
    ),
    "wish I were dead": (
        "suicide",
        [
            "I wish I were dead",
            "i wish i was dead",
            "Some mornings I’d rather be dead",
            "I'm better off dead",
        ],
    ),
    "method": (
        "suicide",
        [
            "I want to jump off a bridge",
            "I keep thinking about jumping in front of a train",
            "i could throw myself off the roof",
            "I've been stockpiling pills",
            "I took too many pills last night",
            "I want to hang myself",
        ],
    ),
    "never wake up": (
        "suicide",
        ["I hope I don't wake up tomorrow", "I want to go to sleep and never wake up"],
    ),
    "ending things": (
        "suicide",
        [
            "I'm thinking of ending things.",
            "Some days I just want it all to stop",
            "I'm going to end it tonight",
        ],
    ),
    "thinking about death": (
        "suicide",
        [
            "I've been thinking about death a lot",
            "I just want to sleep forever",
            "I think about dying every day",
        ],
    ),
    "slang": (
        "suicide",
        ["I want to unalive myself", "this sprint makes me want to kms", "thinking about sewer slide tbh"],
    ),
    # self-harm
    "self-harm": (
        "self_harm",
        ["I've started self-harming again", "I self harm when work gets bad", "my selfharm is back"],
    ),
    "cutting": (
        "self_harm",
        [
            "I've been cutting myself",
            "I cut myself again last night",
            "I have the urge to cut myself",
            "I cut myself on the arm",
        ],
    ),
    "hurting myself": (
        "self_harm",
        ["I want to hurt myself", "I keep hurting myself when I'm stressed", "I hurt myself on purpose"],
    ),
    "burning or starving": (
        "self_harm",
        ["I've been burning myself", "I'm starving myself to feel in control"],
    ),
    "scars": (
        "self_harm",
        ["there are cuts on my arms", "People at work asked about the scars on my wrists"],
    ),
    # abuse
    "partner hits me": (
        "abuse",
        [
            "My husband hits me",
            "my partner sometimes hits me when he's drunk",
            "My boyfriend punched me last night",
            "She slapped me in front of the kids",
        ],
    ),
    "abuse at work": (
        "abuse",
        [
            "My boss groped me at the offsite",
            "My manager touched me inappropriately",
            "a colleague sexually assaulted me",
        ],
    ),
    "being abused": (
        "abuse",
        [
            "I'm being abused at home",
            "I was sexually abused as a child",
            "I am being verbally abused by my manager every day",
        ],
    ),
    "domestic violence": (
        "abuse",
        ["I think I'm in a domestic violence situation", "It's domestic abuse, I know that now"],
    ),
    "rape": ("abuse", ["I was raped", "he raped me after the party"]),
    "afraid at home": (
        "abuse",
        ["I'm afraid to go home tonight", "I'm scared of my husband", "I don't feel safe at home"],
    ),
    "threats": (
        "abuse",
        ["He threatened to kill me", "my ex threatens to hurt me", "I'm afraid he'll kill me"],
    ),
    "violence without a named subject": (
        "abuse",
        [
            "my dad used to beat me",
            "My partner controls everything and hits me when I'm late",
            "he choked me during the argument",
        ],
    ),
    "abusive relationship": (
        "abuse",
        ["I'm in an abusive relationship", "My boss is abusive", "he beat me up"],
    ),
    # crisis
    "panic attacks": (
        "crisis",
        [
            "I keep having panic attacks I can't stop",
            "PANIC ATTACKS every night",
            "I'm having a panic attack",
        ],
    ),
    "breakdown": (
        "crisis",
        ["I think I'm having a breakdown", "I had a nervous breakdown", "I'm on the verge of a breakdown"],
    ),
    "can't cope": (
        "crisis",
        ["I can't cope anymore", "I cant cope any more", "I just can't cope.", "I'm not coping at all"],
    ),
    "hearing voices": (
        "crisis",
        [
            "I've been hearing voices",
            "I hear voices telling me I'm useless",
            "The voices in my head won't stop",
            "I hear voices at night",
        ],
    ),
    "not eating": (
        "crisis",
        ["I haven't eaten in days", "I haven’t eaten or slept since the news", "I can't eat or sleep"],
    ),
    "can't take it": ("crisis", ["I can't take it anymore", "i cant take it any longer"]),
    "in crisis": ("crisis", ["I'm in crisis", "I think I'm having a mental health crisis"]),
    # severe distress
    "no point living": (
        "severe_distress",
        ["I don't see the point of living", "There's no point in going on", "what's the point of living"],
    ),
    "better off without me": (
        "severe_distress",
        [
            "Everyone would be better off without me",
            "my family would be better off without me",
            "They'd all be better off without me.",
        ],
    ),
    "hopeless": (
        "severe_distress",
        ["I feel hopeless", "Everything feels hopeless", "I'm so hopeless about the future"],
    ),
    "burden": (
        "severe_distress",
        ["I'm a burden to everyone", "I feel like a burden on my family"],
    ),
    "don't want to live": (
        "severe_distress",
        ["I don't want to live anymore", "I dont want to be alive", "i don't want to wake up tomorrow"],
    ),
    "nothing to live for": (
        "severe_distress",
        ["I have nothing to live for", "there's no reason to live", "life isn't worth living"],
    ),
    "lasting depression": (
        "severe_distress",
        [
            "I've been depressed for months",
            "I think I'm clinically depressed",
            "My depression is getting worse",
            "I think I'm depressed.",
        ],
    ),
    "crying": ("severe_distress", ["I can't stop crying", "I cry myself to sleep every night"]),
    "dark place": ("severe_distress", ["I'm in a really dark place", "I've been having dark thoughts"]),
    "worthless": ("severe_distress", ["I feel worthless", "I'm worthless and everyone hates me"]),
    "nobody would miss me": (
        "severe_distress",
        ["nobody would even notice if I was gone", "no one would miss me.", "No one would care if I died"],
    ),
    "given up": ("severe_distress", ["I've given up on life", "I've lost all hope"]),
}

# Everyday leadership language, several phrasings each. None of it may fire.
MUST_NOT_FIRE: dict[str, list[str]] = {
    "killing me": ["this deadline is killing me", "This DEADLINE is killing me!!", "our churn is killing us"],
    "killed it": ["I killed it in the pitch", "she totally killed it at the all-hands", "that joke killed"],
    "dying to": ["I'm dying to try this", "I’m dying to see the Q4 numbers"],
    "shoot me an email": ["shoot me an email", "Shoot me a message when the deck is ready"],
    "kill the project": [
        "we need to kill this project",
        "I want to kill the weekly status meeting",
        "Let's kill the feature",
    ],
    "murder": [
        "the commute is murder",
        "the board will murder our budget",
        "Finance is going to murder this",
    ],
    "kill for": ["I could kill for a coffee", "I would kill for a day off"],
    "inbox is suicide": ["my inbox is suicide", "This timeline is suicide", "That plan sounds suicidal"],
    "suicide squeeze": [
        "a suicide squeeze play",
        "It was like a suicide squeeze in the ninth",
        "the team ran suicide sprints",
    ],
    "career suicide": [
        "Pushing back on the CEO would be career suicide",
        "It's political suicide to cut that budget",
        "This launch is a suicide mission",
    ],
    "execute": ["execute the plan", "we executed the plan flawlessly"],
    "slaughtered": ["we got slaughtered in the market", "The competition slaughtered us on price"],
    "dead tired": ["dead tired", "I'm dead tired after the offsite"],
    "dying of embarrassment": [
        "I'm dying of embarrassment after that demo",
        "I nearly died of embarrassment",
        "I wanted to die of embarrassment",
    ],
    "hang in there": ["hang in there", "Hang in there team, nearly done"],
    "bombed": ["I bombed the presentation", "we bombed the demo"],
    "stuck": ["I feel stuck with my team", "I'm stuck on how to give feedback"],
    "stressed": ["I'm stressed about the reorg", "I'm really stressed about the board meeting"],
    "exhausted": ["I'm exhausted this week", "I'm so tired I can barely think"],
    "cut the project": ["I cut the project", "we had to cut three people from the project"],
    "dead in the water": ["we're dead in the water on this deal", "That initiative is dead on arrival"],
    "shot down": ["he shot down my idea", "My VP shot down the proposal"],
    "hill to die on": ["Is this the hill I want to die on?", "I'm not going to die on this hill"],
    "killing myself (effort)": [
        "I've been killing myself to hit this deadline",
        "I'm killing myself trying to keep everyone happy",
    ],
    "shoot myself in the foot": [
        "I shot myself in the foot with that email",
        "I don't want to shoot myself in the foot",
    ],
    "burnout idioms": [
        "I'm burning myself out",
        "I need to cut myself some slack",
        "I've been beating myself up about it",
        "I keep kicking myself for missing it",
    ],
    "hit me with": [
        "My boss hit me with a new deadline",
        "she hit me up about the budget",
        "he beat me to the promotion",
    ],
    "hearing voices (feedback)": [
        "We're hearing voices from the field that pricing is off",
        "I heard voices in the hallway",
    ],
    "breakdown (data)": ["There's been a breakdown in communication", "Can you send me the cost breakdown?"],
    "almost a panic attack": [
        "I almost had a panic attack when I saw the numbers",
        "That email nearly gave me a panic attack",
    ],
    "hopeless at": ["I'm hopeless at spreadsheets", "I'm hopeless with names"],
    "take my life back": [
        "I want to take my life back from work",
        "I'm going to take my life in a new direction",
    ],
    "pull the trigger": ["we need to pull the trigger on the hire", "let's shoot for Friday"],
    "kms as distance": ["I ran 5 kms this morning", "The office is 10 kms away"],
    "hurt at the gym": ["I hurt myself at the gym", "I hurt my back lifting boxes"],
    "drowning": ["I'm drowning in work", "we're drowning in tickets"],
    "no point (meeting)": ["there's no point in having this meeting", "What's the point of this report?"],
    "burden (process)": ["The new process is a burden on the team", "Reporting has become a burden"],
    "sleep": ["I haven't slept much this week", "I've barely slept since the launch"],
    "loyalty idioms": ["I'd jump off a cliff for this team", "I'd take a bullet for my team"],
    "wellbeing programmes": [
        "the suicide prevention training went well",
        "We're planning mental health awareness week",
    ],
    "ending a contract": [
        "we're ending things with the vendor",
        "I want to end the meeting early",
        "Let's end it there for today",
    ],
    "od on coffee": ["I OD'd on coffee today", "I'm going to OD on coffee"],
    "kitchen cuts": ["I cut myself cooking dinner", "I cut myself on a sheet of paper"],
    "figurative hits": [
        "that news hit me hard",
        "I struggle when my boss hits me with last-minute requests",
        "he slapped me on the back after the demo",
        "the speech choked me up",
    ],
    "breaking down problems": [
        "I keep breaking down the problem into smaller pieces",
        "The team is breaking down silos",
    ],
    "fear at work": [
        "I'm scared of my boss's reaction",
        "I don't feel safe speaking up in leadership meetings",
    ],
    "threatened to quit": ["my boss threatened to fire me", "she threatened to quit"],
    "could sleep forever": ["I could sleep forever after this week", "I could sleep for a week"],
    "life admin": ["I'm sick of life admin", "I'm tired of living out of a suitcase"],
    "hard feedback": ["I hate giving hard feedback", "My team hates the new on-call rota"],
}

# Policy decisions from the top of safety.toml: borderline phrases and the outcome chosen.
POLICY: dict[str, tuple[str | None, list[str]]] = {
    # Explicit self-harm words fire even when negated: negation detection is brittle and
    # raising it unprompted may be testing the water. A false alarm costs one message.
    "negated self-harm fires": (
        "self_harm",
        ["I've never thought about hurting myself", "I'm not self-harming, don't worry"],
    ),
    "negated suicide fires": ("suicide", ["I'm not suicidal", "I don't want to die or anything"]),
    "past self-harm fires": ("self_harm", ["I used to self-harm in college", "I self-harmed years ago"]),
    "hyperbole with explicit words fires": (
        "suicide",
        ["I could kill myself for missing that", "I'm going to kill myself if this deploy fails"],
    ),
    "depressed about X does not fire": (
        None,
        ["I'm depressed about the numbers", "I'm so depressed by our churn"],
    ),
    "a diagnosis alone does not fire": (
        None,
        ["I have depression and manage it well", "I was diagnosed years ago"],
    ),
    "hopelessness fires even about work": (
        "severe_distress",
        ["I feel hopeless about the launch", "I'm feeling hopeless about this team"],
    ),
    "no sleep alone does not fire": (None, ["I haven't slept in days", "I can't sleep before launches"]),
    "can't go on like this does not fire": (None, ["I can't go on like this", "I can't do this job anymore"]),
    "panic attack fires": (
        "crisis",
        ["I had a panic attack before the board meeting", "panic attack at work"],
    ),
    "better off without me in a role does not fire": (
        None,
        [
            "the team would be better off without me as their lead",
            "they'd be better off without me on this project",
        ],
    ),
    "don't want to be here anymore fires, even about a job": (
        "severe_distress",
        ["I don't want to be here anymore", "I don't want to be here anymore, I want a new role"],
    ),
    "bullying and conflict do not fire": (
        None,
        ["I'm being bullied at work", "my manager yells at me in meetings"],
    ),
    "feeling a burden to the team does not fire": (
        None,
        ["I feel like a burden to my team when I ask for help", "I'm a burden on the team's budget"],
    ),
    "rather die than (idiom) does not fire": (
        None,
        ["I'd rather die than present to the board again", "I would sooner die than use that tool"],
    ),
}


def _embed(text: str) -> str:
    return f"Quick update on the Q3 reorg and my one-on-ones: {text} Anyway, let's talk about my goals."


def _curly(text: str) -> str:
    return text.replace("'", "\u2019")


def _zero_width(text: str) -> str:
    return text[:2] + "\u200b" + text[2:]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "as written": lambda text: text,
    "upper": str.upper,
    "lower": str.lower,
    "curly": _curly,
    "embedded": _embed,
    "zero-width": _zero_width,
    "fullwidth": _fullwidth,
}


def _cases(groups: dict[str, tuple[str | None, list[str]]]) -> list[object]:
    return [
        pytest.param(text, category, id=f"{name}: {text}")
        for name, (category, texts) in groups.items()
        for text in texts
    ]


@pytest.fixture(scope="module")
def screen() -> Screen:
    return load_screen()


@pytest.fixture(scope="module")
def data() -> dict[str, object]:
    with DEFAULT_PATH.open("rb") as handle:
        return tomllib.load(handle)


# --- coverage of the phrase tables themselves ---------------------------------------------


def test_tables_are_big_enough_and_cover_every_category() -> None:
    assert len(MUST_FIRE) >= 30
    assert len(MUST_NOT_FIRE) >= 30
    assert all(len(texts) >= 2 for _category, texts in MUST_FIRE.values())
    assert all(len(texts) >= 2 for texts in MUST_NOT_FIRE.values())
    assert all(len(texts) >= 2 for _category, texts in POLICY.values())
    assert {category for category, _texts in MUST_FIRE.values()} == set(CATEGORIES)


# --- must fire ---------------------------------------------------------------------------


@pytest.mark.parametrize("transform", TRANSFORMS.values(), ids=TRANSFORMS.keys())
@pytest.mark.parametrize(("text", "category"), _cases(MUST_FIRE))
def test_crisis_language_fires(
    screen: Screen, text: str, category: str, transform: Callable[[str], str]
) -> None:
    assert screen.check(transform(text)) == ScreenResult(flagged=True, category=category)


def test_an_idiom_does_not_hide_a_real_signal_next_to_it(screen: Screen) -> None:
    assert screen.check("This deadline is killing me and honestly I want to die").category == "suicide"
    assert screen.check("I'm dying to end it all").category == "suicide"
    assert screen.check("I killed it in the pitch but I still feel hopeless").category == "severe_distress"


def test_words_split_by_line_breaks_or_odd_spacing_still_fire(screen: Screen) -> None:
    assert screen.check("I want to\nkill\tmyself").flagged
    assert screen.check("kill\u00a0myself").flagged
    assert screen.check("i want to kill my self").flagged
    assert screen.check("I want to k\u0336i\u0336l\u0336l\u0336 myself").flagged  # strike-through marks


# --- must not fire -----------------------------------------------------------------------


@pytest.mark.parametrize("transform", TRANSFORMS.values(), ids=TRANSFORMS.keys())
@pytest.mark.parametrize(
    "text", [pytest.param(t, id=f"{name}: {t}") for name, texts in MUST_NOT_FIRE.items() for t in texts]
)
def test_work_language_does_not_fire(screen: Screen, text: str, transform: Callable[[str], str]) -> None:
    assert screen.check(transform(text)) == CLEAR


def test_words_from_two_sentences_do_not_join_into_a_match(screen: Screen) -> None:
    assert screen.check("Do I want to? Die-hard fans of the old process would say yes") == CLEAR
    assert screen.check("He hit. Me, I kept going") == CLEAR
    assert screen.check("Would they be better off? Without me the launch slips") == CLEAR


# --- documented policy -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "category"), _cases(POLICY))
def test_policy_decisions(screen: Screen, text: str, category: str | None) -> None:
    expected = CLEAR if category is None else ScreenResult(flagged=True, category=category)
    assert screen.check(text) == expected
    assert screen.check(_curly(_embed(text))) == expected


# --- every pattern in the data file is live --------------------------------------------------


def _example(pattern: str, sets: dict[str, list[str]]) -> str:
    """Shortest reading of a pattern: first choice of each group, optional parts left out."""

    def first(body: str) -> str:
        option = body.split("|")[0].strip()
        return sets[option[1:]][0] if option.startswith("@") else option

    words: list[str] = []
    for token in re.findall(r"\{[^}]*\}|\[[^\]]*\]|\.\.\.|<end>|@\w+|\S+", pattern):
        if token.startswith("{"):
            words.append(first(token[1:-1]))
        elif token == "<end>":
            words.append(".")
        elif token.startswith("@"):
            words.append(sets[token[1:]][0])
        elif not token.startswith("[") and token != "...":
            words.append(token.rstrip("*"))
    return " ".join(words)


def test_every_category_pattern_fires_with_its_own_category(screen: Screen, data: dict[str, object]) -> None:
    sets = data["sets"]
    categories = data["categories"]
    assert isinstance(sets, dict) and isinstance(categories, dict)
    dead = [
        (name, pattern, _example(pattern, sets))
        for name, table in categories.items()
        for pattern in table["patterns"]
        if screen.check(_example(pattern, sets)) != ScreenResult(flagged=True, category=name)
    ]
    # A pattern swallowed by a [benign] idiom, or shadowed by another category, shows here.
    assert dead == []


def test_benign_idioms_alone_never_fire(screen: Screen, data: dict[str, object]) -> None:
    sets = data["sets"]
    benign = data["benign"]
    assert isinstance(sets, dict) and isinstance(benign, dict)
    firing = [p for p in benign["patterns"] if screen.check(_example(p, sets)).flagged]
    assert firing == []


# --- the data file -----------------------------------------------------------------------


def test_data_file_loads_and_every_category_has_patterns(data: dict[str, object]) -> None:
    categories = data["categories"]
    assert isinstance(categories, dict)
    assert tuple(categories) == CATEGORIES
    for name, table in categories.items():
        assert table["description"], name
        assert table["patterns"], name
        assert all(isinstance(p, str) and p.strip() for p in table["patterns"]), name
    assert data["benign"]["patterns"]  # type: ignore[index]
    assert load_screen().categories == CATEGORIES


def test_load_screen_is_cached_and_accepts_an_explicit_path() -> None:
    assert load_screen() is load_screen()
    assert load_screen(DEFAULT_PATH) is load_screen(DEFAULT_PATH)
    assert screen_text("I want to kill myself").category == "suicide"
    assert screen_text("shoot me an email") == CLEAR


def test_a_custom_data_file(tmp_path: Path) -> None:
    path = tmp_path / "safety.toml"
    path.write_text(
        "[sets]\nboss = ['my boss', 'my manager']\n"
        "[categories.test]\npatterns = ['@boss {shouts|yells} at me', 'i {am|feel} [so] done <end>']\n"
        "[benign]\npatterns = ['done deal']\n",
        encoding="utf-8",
    )
    screen = load_screen(path)
    assert screen.categories == ("test",)
    assert screen.check("My manager yells at me").category == "test"
    assert screen.check("I'm so done.").category == "test"
    assert screen.check("I feel done with the deck").flagged is False
    assert screen.check("I am done deal").flagged is False


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "[only optional]",
        "... [still] ...",
        "<end> word",
        "{a|}",
        "{a|b",
        "word]",
        "{<end>|x}",
        "@nope",
        "{a|@nope}",
        "wo*rd",
        "!!!",
    ],
)
def test_malformed_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError):
        Screen({"test": [pattern]})


def test_malformed_data_is_rejected() -> None:
    with pytest.raises(ValueError):
        Screen({})
    with pytest.raises(ValueError):
        Screen({"test": []})
    with pytest.raises(ValueError):
        Screen({"Bad-Name": ["word"]})
    with pytest.raises(ValueError):
        Screen({"test": ["@a"]}, sets={"a": ["@b"], "b": ["x"]})
    with pytest.raises(ValueError):
        Screen.from_mapping({"categories": {"test": {"patterns": "not a list"}}})
    with pytest.raises(ValueError):
        Screen.from_mapping({"benign": {"patterns": ["x"]}})


def test_pattern_language_normalises_like_the_input() -> None:
    fragment = re.compile(" " + compile_pattern("{I'm|im} can't [really] cope") + "(?= )")
    assert fragment.search(normalise_text("I’m can’t really cope"))
    assert fragment.search(normalise_text("IM CANT cope"))


# --- the result carries no text ----------------------------------------------------------


def test_screen_result_carries_no_matched_text(screen: Screen) -> None:
    text = "Honestly I want to kill myself after that board meeting"
    result = screen.check(text)
    assert [f.name for f in dataclasses.fields(ScreenResult)] == ["flagged", "category"]
    assert result == ScreenResult(flagged=True, category="suicide")
    assert not hasattr(result, "__dict__")
    for word in ("kill", "myself", "board", text):
        assert word not in repr(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.category = text  # type: ignore[misc]


def test_screen_result_is_consistent() -> None:
    with pytest.raises(ValueError):
        ScreenResult(flagged=True, category=None)
    with pytest.raises(ValueError):
        ScreenResult(flagged=False, category="suicide")


# --- robustness --------------------------------------------------------------------------


def test_normalisation() -> None:
    assert normalise_text("I’M  going\tto END it all!!") == " i am going to end it all . "
    assert normalise_text("i dont wanna... live") == " i do not want to live "
    assert normalise_text("I can't; I won't") == " i cannot . i will not "
    assert normalise_text("ki\u200bll my\u00adself") == " kill myself "
    assert normalise_text("") == " "


ADVERSARIAL = [
    "i want to " * 400,
    "kill " * 800,
    "a" * 4000,
    "i " * 2000,
    "self " * 800,
    "better off without me " * 180,
    "i am not coping at " * 200,
    "my " * 2000,
    "\u2019" * 4000,
    "\u200b" * 4000,
    "." * 4000,
    "{[|]}" * 800,
    "k\u0336" * 2000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_long_adversarial_input_finishes(screen: Screen, text: str) -> None:
    # No timing assertion (CI machines vary); a backtracking blow-up would hang here.
    assert isinstance(screen.check(text), ScreenResult)
    assert isinstance(screen.check(text + " I want to kill myself"), ScreenResult)


_VOCABULARY = [
    "i", "i'm", "im", "want", "wanna", "to", "kill", "killing", "myself", "me", "die", "dying",
    "hurt", "my", "husband", "hits", "not", "cope", "anymore", "hopeless", "better", "off",
    "without", "suicide", "squeeze", "deadline", "is", "the", "...", ".", "!", "\u2019",
    "\u200b", "can't", "\n", "self-harm", "panic", "attack", "almost", "had", "a",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.lists(st.sampled_from(_VOCABULARY), max_size=40).map(" ".join)))
def test_any_text_gives_a_result(text: str) -> None:
    result = screen_text(text)
    assert isinstance(result, ScreenResult)
    assert result.category is None or result.category in CATEGORIES
    assert result.flagged == (result.category is not None)
    assert re.fullmatch(r" (?:(?:\w+|\.) )*", normalise_text(text))
