"""Answer extraction: the upstream first-character rule and the smart extractor."""

from __future__ import annotations

import pytest

from clika.data.answers import extract_choice, first_char_choice, smart_choice
from clika.errors import ConfigError


@pytest.mark.parametrize(
    ("res", "n", "expected"),
    [
        ("B.", 4, 1),
        ("  C. Paris\nQuestion: ...", 4, 2),  # stripped first, then the first character
        ("E", 5, 4),
        ("E", 4, None),  # a letter beyond the options is no answer
        ("b.", 4, None),  # upstream compares the raw character: lowercase does not count
        ("Answer: B", 4, 0),  # "A" of "Answer" -- the upstream rule really does this
        ("(B)", 4, None),
        ("Ｂ", 4, None),  # full-width letter is not the letter B for upstream
        ("А.", 4, None),  # Cyrillic А
        ("", 4, None),
        ("   ", 4, None),
        (None, 4, None),
    ],
)
def test_first_char_rule(res, n, expected):
    assert first_char_choice(res, n) == expected


OPTIONS = ["Red Sea Governorate", "Alexandria Governorate", "Cairo Governorate", "Emirate of Dubai"]


@pytest.mark.parametrize(
    ("res", "expected"),
    [
        ("B", 1),
        ("B.", 1),
        ("B)", 1),
        ("(B)", 1),
        ("[C]", 2),
        ("**B**", 1),
        ("**B. Alexandria Governorate**", 1),
        ("Ｂ", 1),  # full-width
        ("（Ｃ）", 2),  # full-width brackets and letter
        ("Answer: B", 1),
        ("answer: D", 3),
        ("The answer is C.", 2),
        ("I think the answer is (D)", 3),
        ("答案：C", 2),
        ("Antwort: A", 0),
        ("Ответ: B", 1),
        ("b.", 1),
        ("(d)", 3),
        ("a cat", None),  # lowercase without punctuation is an English word, not a letter
        ("Alexandria Governorate", 1),  # exact option text (would be "A" by the first-char rule)
        ("alexandria governorate.", 1),  # case and final full stop do not matter
        ("B Alexandria Governorate", 1),
        ("Б.", 1),  # Russian enumeration А Б В Г Д
        ("ב. something", 1),  # Hebrew alef-bet
        ("ج.", 2),  # Arabic abjad order
        ("В.", None),  # Cyrillic Ve: Latin B look-alike or Russian third letter -- ambiguous
        ("E", None),  # out of range for 4 options
        ("Answer: E", None),  # an explicit out-of-range letter is no answer (first char would say "A")
        ("Dubai", 3),  # first-char fallback (D), no option text matches
        ("", None),
        (None, None),
    ],
)
def test_smart_choice(res, expected):
    assert smart_choice(res, 4, OPTIONS) == expected


def test_smart_never_loses_a_first_char_answer():
    samples = ["A.", "B", "C) x", "D!", "Dog", "Because", "A big dog", "C4", "Answer: B"]
    for res in samples:
        fc = first_char_choice(res, 4)
        if fc is not None:
            assert smart_choice(res, 4, None) is not None


def test_option_text_must_match_exactly_one_option():
    assert smart_choice("same", 3, ["same", "same", "other"]) is None


def test_extract_choice_dispatches_and_rejects_unknown_rules():
    assert extract_choice("Answer: C", 4, None, "first-char") == 0
    assert extract_choice("Answer: C", 4, None, "smart") == 2
    with pytest.raises(ConfigError):
        extract_choice("A", 4, None, "regex")
