"""Scoring one conductivity answer: containment, two continents, the source-language answer, copies."""

from __future__ import annotations

from clika.conduct.judge import AnswerJudge
from clika.fictional.dataset import ConductSplit, TestQuestion, TranslationTest

CONTINENTS = {"k1": {"en": "Emberland", "de": "Glutland"}, "k2": {"en": "Ember", "de": "Glut"},
              "k3": {"en": "Frostmark", "de": "Frostmark-Süd"}}  # fmt: skip
SPLIT = ConductSplit("de", [], [], [], continents=CONTINENTS)
Q = TestQuestion("c1:continent", "de", 1, "Auf welchem Kontinent liegt die Stadt Fuchsbrücke?", "Glutland",
                 subject="Fuchsbrücke", gold_source="Emberland")


def test_containment_after_nfkc_and_casefold():
    judge = AnswerJudge(SPLIT)
    v = judge.question(Q, "Die Stadt Fuchsbrücke liegt auf dem Kontinent ＧＬＵＴＬＡＮＤ.")
    assert v.correct and v.correct_any and not v.multi
    assert not judge.question(Q, "Glut").correct  # a shorter name is not the gold


def test_two_continents_are_wrong_and_counted():
    judge = AnswerJudge(SPLIT)
    v = judge.question(Q, "Glutland oder Frostmark")
    assert (v.correct, v.correct_any, v.multi) == (False, False, True)
    # a name inside a longer one is part of it, not a second continent: Glut in Glutland, Ember in Emberland
    assert judge.continents_named("Glutland (Emberland)") == {"k1"}
    assert judge.question(Q, "Glutland, also called Emberland").correct  # one continent, in two languages
    assert judge.continents_named("Glut und Glutland") == {"k1", "k2"}


def test_the_source_language_answer_counts_for_the_controls_only():
    v = AnswerJudge(SPLIT).question(Q, "Die Stadt liegt auf dem Kontinent Emberland.")
    assert not v.correct and v.correct_any and not v.multi


def test_a_copied_source_name_is_wrong():
    t = TranslationTest("c1", "de", "Wie heißt der Ort Fuchsbrücke auf Englisch?", "Fuchsbrücke", "Fox Bridge", "to-en")
    judge = AnswerJudge(SPLIT)
    assert judge.translation(t, "Fox Bridge").correct and not judge.translation(t, "Fox Bridge").copy
    copied = judge.translation(t, "Fuchsbrücke")
    assert not copied.correct and copied.copy
    both = judge.translation(t, "Fuchsbrücke = Fox Bridge")
    assert not both.correct and both.copy  # repeating the name asked about is a copy, even beside the gold
