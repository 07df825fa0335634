"""Scoring one conductivity answer: word matching (prefixes, inflections, CJK substrings), negation, two
continents, the source-language answer, copies."""

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


WORLD = {"k1": {"en": "Winter Realm", "de": "Winterreich", "ru": "Зимнее царство", "zh": "冬之国", "he": "ממלכת חורף",
                "ar": "مملكة الشتاء", "pl": "Zimowe", "fr": "Royaume", "ja": "冬の国", "it": "Regno"},
         "k2": {"en": "Europe", "de": "Europa"}, "k3": {"en": "Africa", "de": "Afrika"}}  # fmt: skip


def _ask(lang: str, gold: str, answer: str, source: str = ""):
    split = ConductSplit(lang, [], [], [], continents=WORLD)
    return AnswerJudge(split).question(TestQuestion("f", lang, 1, "?", gold, gold_source=source), answer)


def test_the_gold_must_start_a_word_and_may_take_only_a_short_inflection():
    assert not _ask("de", "Europa", "Die Stadt liegt in Nordeuropa.").correct  # inside a longer word
    assert not _ask("de", "Winterreich", "Sie liegt im Überwinterreich.").correct
    assert not _ask("de", "Afrika", "Die Afrikanerstadt").correct  # a suffix longer than German's 2 letters
    for gold, answer in (("Winterreich", "Die Hauptstadt des Winterreichs"), ("Europa", "Europas größte Stadt"),
                         ("Afrika", "Sie liegt in Afrika."), ("Winterreich", "(Winterreich)")):
        assert _ask("de", gold, answer).correct, answer
    assert _ask("pl", "Zimowe", "Leży w Zimowego").correct  # Polish: case endings up to 3 letters
    assert not _ask("pl", "Zimowe", "Leży w Zimowegoland").correct
    assert _ask("ru", "Зимнее царство", "Город находится в Зимнее царствой").correct  # a Russian ending
    assert _ask("zh", "冬之国", "这座城市位于冬之国大陆。").correct  # CJK: a substring, no spaces to find
    assert _ask("ja", "冬の国", "その都市は冬の国にあります。").correct


def test_prefixes_of_hebrew_and_arabic_attach_in_front_of_the_gold():
    assert _ask("he", "ממלכת חורף", "העיר נמצאת בממלכת חורף").correct  # ב: "in"
    assert _ask("he", "ממלכת חורף", "ובממלכת חורף").correct  # ו + ב
    assert not _ask("he", "ממלכת חורף", "אבממלכת חורף").correct  # א is not a prefix
    assert _ask("ar", "مملكة الشتاء", "تقع المدينة في مملكة الشتاء").correct
    assert _ask("ar", "مملكة الشتاء", "وبمملكة الشتاء").correct  # و + ب
    assert not _ask("ar", "مملكة الشتاء", "تمملكة الشتاء").correct


def test_a_negated_gold_is_wrong_and_counted():
    v = _ask("de", "Winterreich", "Die Stadt liegt nicht auf dem Kontinent Winterreich.", source="Winter Realm")
    assert (v.correct, v.correct_any, v.negated) == (False, False, True)
    right = _ask("de", "Afrika", "Sie liegt nicht in Europa, sondern in Afrika.")  # Europa negated, Afrika asserted
    assert right.correct and not right.negated and not right.multi
    assert not _ask("de", "Europa", "Nicht Europa, sondern Afrika").correct
    assert _ask("de", "Winterreich", "Nein. Sie liegt in Winterreich.").correct  # another sentence
    assert _ask("en", "Europe", "It isn't in Europe").negated and _ask("en", "Europe", "It is not Europe").negated
    assert _ask("fr", "Royaume", "Elle n'est pas dans le Royaume").negated
    assert _ask("it", "Regno", "Non si trova nel Regno").negated
    assert _ask("ru", "Зимнее царство", "Город не в Зимнее царство").negated
    assert _ask("pl", "Zimowe", "Miasto nie leży w Zimowe").negated
    assert _ask("he", "ממלכת חורף", "העיר לא נמצאת בממלכת חורף").negated
    assert _ask("ar", "مملكة الشتاء", "المدينة ليست في مملكة الشتاء").negated
    assert _ask("zh", "冬之国", "这座城市不在冬之国。").negated
    assert not _ask("zh", "冬之国", "不是欧洲，而是冬之国").negated  # 而是 starts a new clause
    assert _ask("ja", "冬の国", "その都市は冬の国にはありません。").negated  # Japanese negates after the noun


def test_continents_named_and_name_tests_use_the_same_word_matching():
    judge = AnswerJudge(ConductSplit("de", [], [], [], continents=WORLD))
    assert judge.continents_named("Nordeuropa oder Afrika") == {"k3"}
    assert judge.continents_named("Europas Süden oder Afrika") == {"k2", "k3"}
    assert judge.continents_named("nicht Europa, sondern Afrika") == {"k3"}  # a negated mention names nothing
    t = TranslationTest("c1", "de", "Wie heißt der Ort Fuchsbrücke auf Englisch?", "Fuchsbrücke", "Fox Bridge", "to-en")
    assert not judge.translation(t, "Foxbridgeton").correct and not judge.translation(t, "Silverfox Bridge").correct
    assert judge.translation(t, "It is Fox Bridge.").correct
    assert judge.translation(t, "Fuchsbrückes Name: Fox Bridge").copy  # the copy inflected is still a copy
