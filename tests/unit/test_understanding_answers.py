"""Non-answers, vague actions and plans, nonsense, names, yes/no and levels as people type them."""

from __future__ import annotations

import pytest

from flows.conversation import LEVELS
from flows.nonanswers import is_non_answer
from flows.short_answers import extract_name, parse_level, parse_yes_no
from flows.vagueness import is_vague_action, is_vague_plan, looks_like_nonsense, split_plan

# non-answers


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No.",
        "nothing else",
        "Nothing else really.",
        "that's it",
        "That’s it!",
        "no, that's it",
        "No that's all",
        "nope, that's everything",
        "skip",
        "Skip",
        "dunno",
        "idk",
        "IDK",
        "I don't know",
        "i dont know",
        "not sure",
        "Not sure yet",
        "?",
        "??",
        "...",
        "…",
        "-",
        "🤷",
        "🤷‍♀️",
        "😅",
        "nope",
        "n/a",
        "N/A",
        "nah",
        "no thanks, I think that's all for now",
        "no idea tbh",
        "none",
        "  ",
        "nothing comes to mind",
        "can't think of anything",
    ],
)
def test_non_answers_are_recognised(text: str) -> None:
    assert is_non_answer(text)


@pytest.mark.parametrize(
    "text",
    [
        "no meetings on Fridays",
        "No more than two priorities per sprint",
        "nothing, just ask Sam first",
        "Sam",
        "I don't know how to tell Alex about the reorg",
        "not sure Priya is ready to lead the project",
        "skip the weekly status meeting",
        "delegate more",
        "pass the budget review to Jo",
        "that's it: I'll book the 1:1 for Monday",
        "none of the team knows the plan yet",
    ],
)
def test_content_that_starts_like_a_non_answer_is_content(text: str) -> None:
    assert not is_non_answer(text)


# vague actions


@pytest.mark.parametrize(
    "text",
    [
        "communicate better",
        "Communicate better with the team",
        "be more proactive",
        "Be more present",
        "try harder",
        "I'll try harder",
        "improve team communication",
        "Delegate more",
        "listen more",
        "be a better manager",
        "work on my feedback skills",
        "I will do my best",
        "step up",
        "get better at prioritising",
        "be more organised",
    ],
)
def test_vague_actions(text: str) -> None:
    assert is_vague_action(text)


@pytest.mark.parametrize(
    "text",
    [
        "Book a 30-minute 1:1 with Sam on Thursday",
        "Ask Priya to run the Monday standup",
        "be more present in Monday 1:1s",
        "Send the weekly update to the team by Friday",
        "I will give feedback to Alex right after our next review",
        "Delegate the budget report to Jo by the 18th",
        "Write down three priorities every morning",
        "",
        "hire a second designer",
    ],
)
def test_concrete_actions_are_not_vague(text: str) -> None:
    assert not is_vague_action(text)


# if-then plans


@pytest.mark.parametrize(
    "text",
    [
        "When Sam asks me to decide, I'll ask what he recommends first",
        "After Monday standup I will message Alex the priorities",
        "Every Friday at 4pm, I block 30 minutes to plan next week",
        "If a meeting runs over, I will end it and book a follow-up",
        "I will ask one question before giving my view when someone brings me a problem",
        "when my calendar reminder goes off at 9, then I write the three priorities for the day",
    ],
)
def test_concrete_plans(text: str) -> None:
    assert not is_vague_plan(text)


@pytest.mark.parametrize(
    "text",
    [
        "If I have time, I'll delegate more",
        "When needed, I will communicate better",
        "I will try harder",
        "if it comes up I will deal with it",
        "when I get a chance I will write to Sam",
        "When possible I'll be more proactive",
        "If Sam asks, I'll try harder",
        "when the meeting starts, then",
        "be better",
    ],
)
def test_vague_plans(text: str) -> None:
    assert is_vague_plan(text)


def test_split_plan_reads_back_both_halves() -> None:
    assert split_plan("When Sam asks me to decide, I'll ask what he recommends") == (
        "sam asks me to decide",
        "i'll ask what he recommends",
    )
    assert split_plan("I'll write to Jo after the retro") == ("the retro", "i'll write to jo")
    assert split_plan("I'll write to Jo") is None


# nonsense


@pytest.mark.parametrize(
    "text",
    [
        "asdf",
        "ASDF",
        "qwerty",
        "asdfghjkl",
        "sdfkjhsdf",
        "aaaaaa",
        "kkkk",
        "!!!!",
        "zzzzzz",
        "jkljkljkl",
        "asdasd",
        "test",
        "lorem ipsum",
        "blah blah",
        "qwert asdfg",
        "xxxxx",
        "poiuyt",
    ],
)
def test_nonsense(text: str) -> None:
    assert looks_like_nonsense(text)


@pytest.mark.parametrize(
    "text",
    [
        "delegate more",
        "hire",
        "rhythm",
        "strengths",
        "ok",
        "hmm",
        "Sam",
        "1:1s",
        "property",
        "liberty",
        "привет",
        "дел",
        "委任する",
        "Be on time",
        "xkcd",
        "Dzień dobry",
        "fix the sprint planning",
    ],
)
def test_real_words_are_not_nonsense(text: str) -> None:
    assert not looks_like_nonsense(text)


# names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I'm Maria", "Maria"),
        ("call me Max", "Max"),
        ("Call me max.", "Max"),
        ("my name is Ana Lúcia", "Ana Lúcia"),
        ("it's Sam", "Sam"),
        ("Maria here", "Maria"),
        ("hi, I'm dave", "Dave"),
        ("Maria", "Maria"),
        ("maria", "Maria"),
        ("MARIA", "Maria"),
        ("McDonald", "McDonald"),
        ("I'm Ronan McDonald", "Ronan McDonald"),
        ("o'brien", "O'Brien"),
        ("Hi! My name is Jean-Luc and I lead a team", "Jean-Luc"),
        ("jean-luc", "Jean-Luc"),
        ("Sam, nice to meet you", "Sam"),
        ("Hey there, call me Priya", "Priya"),
        ("Good morning, Maria here", "Maria"),
        ("ludwig van beethoven", "Ludwig van Beethoven"),
        ("李明", "李明"),
        ("I’m Zoë", "Zoë"),
        ("José", "José"),
        ("this is Kwame speaking", "Kwame"),
        ("you can call me DJ", "DJ"),
    ],
)
def test_extract_name(text: str, name: str) -> None:
    assert extract_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "I'm fine",
        "I'm a new manager",
        "hello",
        "yes",
        "ok",
        "idk",
        "I am in Berlin",
        "4",
        "🙂",
        "",
        "I'm not sure",
        "I'm so tired",
        "my name is",
        "The quick brown fox jumps",
        "x" * 60,
        "hi there",
    ],
)
def test_extract_name_refuses_what_is_not_a_name(text: str) -> None:
    assert extract_name(text) is None


# yes / no


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes!",
        "ok",
        "OK",
        "okay",
        "sure",
        "Sure thing",
        "sounds good",
        "Sounds good 👍",
        "yep",
        "absolutely",
        "go ahead",
        "Go for it",
        "yes please",
        "y",
        "let's do it",
        "👍",
        "ok sure",
        "yes, I'm ready",
        "yeah why not",
        "of course",
        "um yes",
    ],
)
def test_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No.",
        "not now",
        "nope",
        "nah",
        "no thanks",
        "Not today",
        "later",
        "maybe later",
        "👎",
        "nah not today",
    ],
)
def test_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "maybe",
        "not sure",
        "yes but not now",
        "no, go ahead",
        "what do you mean?",
        "",
        "I'd like to talk about Sam",
    ],
)
def test_neither_yes_nor_no(text: str) -> None:
    assert parse_yes_no(text) is None


# leadership level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("first time manager I guess", "first_time"),
        ("First-time manager", "first_time"),
        ("new manager", "first_time"),
        ("I'm a new team lead", "first_time"),
        ("just got promoted", "first_time"),
        ("been a manager for 4 months", "first_time"),
        ("experienced", "experienced"),
        ("Experienced manager", "experienced"),
        ("I have been managing a team for 5 years", "experienced"),
        ("team lead", "experienced"),
        ("i run a team of 6", "experienced"),
        ("I lead managers", "senior"),
        ("I manage managers", "senior"),
        ("I lead a few managers", "senior"),
        ("director", "senior"),
        ("Senior leader", "senior"),
        ("Head of Engineering", "senior"),
        ("new director", "senior"),
        ("VP", "executive"),
        ("vice president of sales", "executive"),
        ("C-level", "executive"),
        ("c suite", "executive"),
        ("CEO and founder", "executive"),
        ("executive", "executive"),
    ],
)
def test_parse_level(text: str, level: str) -> None:
    assert parse_level(text) == level
    assert level in LEVELS


@pytest.mark.parametrize(
    "text", ["hmm", "", "I like pizza", "what do you mean", "they solve problems without pinging me first"]
)
def test_parse_level_refuses_what_names_no_level(text: str) -> None:
    assert parse_level(text) is None
