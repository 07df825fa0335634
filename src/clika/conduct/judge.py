"""Scoring one conductivity answer: which continents it names, whether it is right, whether it copies.

Answers and forms are compared after NFKC + case folding (``fold``, docs/metrics.md, CD) and a form is found by
``mentions``, the one matching rule of every test (questions, ``continents_named`` and name tests):

- a form written in CJK characters (zh, ja) is found as a substring: those scripts have no spaces;
- any other form must start a word, optionally after a prefix that the answer's language attaches in front of
  words (Hebrew ו ה ב ל מ כ ש, Arabic و ف ب ك ل and the article ال), and may be followed only by a short
  inflection suffix of that language (``SUFFIX``: "Winterreichs", "Europas", ru/pl case endings), so
  "Nordeuropa" or "Überwinterreich" do not contain "Europa" / "Winterreich";
- a mention is **negated** when a negation word of the answer's language stands before it in the same clause
  (Japanese: after it, where Japanese puts it); clauses end at punctuation and at the language's contrastive
  conjunctions ("nicht in Europa, sondern in Afrika" asserts Afrika).

A fact question is **correct** when the gold (the answer's form in the question's language) is mentioned, no
mention of the gold is negated (``negated``: wrong, counted in ``negated_answer``), and the answer names no other
continent ("Emberland or Frostmark" names two and is wrong, counted in ``multi_answer``). **correct_any** also
accepts the source-language form of the gold (the ``xrr_en_answer`` and ``xrr_en_subject`` controls). Continents
are found by their forms in both languages; a match inside a longer match ("Ember" inside "Emberland") and a
negated mention do not count as naming a continent.

A name test is correct when the gold name is mentioned and the source name is not copied: an answer that repeats
the name it was asked to translate ("Fox Bridge" -> "Fox Bridge") is a **copy**, wrong, and reported as the
gate's copy rate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from clika.fictional.dataset import ConductSplit, TestQuestion, TranslationTest, fold

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")  # kana and Han
_TOKEN = re.compile(r"\w+(?:['’]\w+)*")  # "isn't", "n'est" stay one token
_PUNCT = ".,;:!?…。，、；：！？،؛\n"
# Letters an inflection may add after a form, by language (a missing language gets DEFAULT_SUFFIX):
# genitive/plural s, es, n, en in de; plural s in fr, it; case endings of up to 3 letters in ru and pl
# (Winterreichu, Winterreichem); none in he and ar, whose inflections attach in front (PREFIX).
SUFFIX = {"en": 2, "de": 2, "fr": 1, "it": 1, "ru": 3, "pl": 3, "he": 0, "ar": 0, "zh": 0, "ja": 0}
DEFAULT_SUFFIX = 2
PREFIX = {"he": r"[והבלמכש]{0,3}", "ar": r"(?:[وف]?[بكل]?(?:ال)?|[وف]?لل)"}
# Negation words (regexes matching a whole token; zh: substrings) and contrastive conjunctions that
# end a clause. Lone 非 is left out of zh: it starts 非洲 (Africa).
NEGATION = {"en": r"not|no|never|neither|nor|none|cannot|\w+n['’]t", "de": r"nicht|kein(?:e[mnrs]?)?|nie|niemals|weder",
            "fr": r"ne|n['’]\w+|pas|jamais|aucune?|ni|non", "it": r"non|mai|né|nessun[oa]?|neppure|nemmeno",
            "ru": r"не|нет|ни|никогда|нигде", "pl": r"nie|nigdy|nigdzie|ani|żad\w+", "he": r"לא|אין|אינ[והםן]|מעולם",
            "ar": r"لا|لم|لن|ليس|ليست|ليسوا|غير"}
NEGATION_ZH = ("不", "没", "并非")
NEGATION_AFTER_JA = ("ない", "ありません", "ではなく", "じゃなく")
CONTRAST = {"en": ("but", "rather"), "de": ("sondern", "aber"), "fr": ("mais",), "it": ("ma", "bensì"),
            "ru": ("а", "но"), "pl": ("ale", "lecz"), "he": ("אלא", "אבל"), "ar": ("بل", "لكن"),
            "zh": ("而是", "但是", "但", "而")}


def _word_char(c: str) -> bool:
    """A character that continues a word: letters, digits and combining marks of spaced scripts."""
    return (c.isalnum() or unicodedata.category(c).startswith("M")) and not _CJK.match(c)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    negated: bool


def _clause_before(text: str, start: int, lang: str) -> str:
    """The text of the clause that ``start`` lies in, up to ``start``."""
    clause = text[max(text.rfind(p, 0, start) for p in _PUNCT) + 1:start]
    if lang == "zh":
        ends = [clause.rfind(w) + len(w) for w in CONTRAST["zh"] if w in clause]
    else:
        ends = [t.end() for t in _TOKEN.finditer(clause) if t.group() in CONTRAST.get(lang, ())]
    return clause[max(ends, default=0):]


def _negated(text: str, start: int, end: int, lang: str) -> bool:
    if lang == "ja":
        stops = [i for i in (text.find(p, end) for p in _PUNCT) if i >= 0]
        return any(w in text[end:min(stops, default=len(text))] for w in NEGATION_AFTER_JA)
    clause = _clause_before(text, start, lang)
    if lang == "zh":
        return any(w in clause for w in NEGATION_ZH)
    if lang not in NEGATION:
        return False
    word = re.compile(PREFIX.get(lang, "") + "(?:" + NEGATION[lang] + ")")
    return any(word.fullmatch(t.group()) for t in _TOKEN.finditer(clause))


def mentions(text: str, form: str, lang: str) -> list[Mention]:
    """Where the folded ``form`` occurs in the folded ``text`` (an answer in language ``lang``) under
    the rule of this module's docstring, each with whether it is negated."""
    lang = lang.split("-")[0].lower()
    if not form:
        return []
    substring = bool(_CJK.search(form))
    prefix = re.compile(PREFIX.get(lang, ""))
    out, start = [], text.find(form)
    while start >= 0:
        end = start + len(form)
        ok = substring
        if not substring:
            word_start, word_end = start, end  # the whole word the match lies in
            while _word_char(form[0]) and word_start > 0 and _word_char(text[word_start - 1]):
                word_start -= 1
            while _word_char(form[-1]) and word_end < len(text) and _word_char(text[word_end]):
                word_end += 1
            suffix = text[end:word_end]
            ok = (prefix.fullmatch(text[word_start:start]) is not None
                  and len(suffix) <= SUFFIX.get(lang, DEFAULT_SUFFIX) and (not suffix or suffix.isalpha()))
        if ok:
            out.append(Mention(start, end, _negated(text, start, end, lang)))
        start = text.find(form, start + 1)
    return out


@dataclass(frozen=True)
class Verdict:
    correct: bool
    correct_any: bool = False  # accepting the source-language form of the gold too
    multi: bool = False  # the answer names two or more continents
    copy: bool = False  # a name test answered with the source name
    negated: bool = False  # the answer negates the gold ("nicht in Winterreich")


class AnswerJudge:
    """Judges answers to one split's tests (its continents' forms in the source and target)."""

    def __init__(self, split: ConductSplit):
        forms = {(fold(name), cid) for cid, by_lang in split.continents.items() for name in by_lang.values() if name}
        self._forms = sorted(forms, key=lambda f: -len(f[0]))
        self._source, self._target = split.source, split.target

    def continents_named(self, answer: str, lang: str | None = None) -> set[str]:
        """Ids of the continents an answer in ``lang`` (default: the target language) names: mentions
        that are not negated and not inside a longer mention."""
        text, spans, named = fold(answer), [], set()
        for form, cid in self._forms:  # longest first: a shorter form inside a taken span is part of it
            for m in mentions(text, form, lang or self._target):
                if not any(s <= m.start and m.end <= e for s, e in spans):
                    spans.append((m.start, m.end))
                    if not m.negated:
                        named.add(cid)
        return named

    def question(self, q: TestQuestion, answer: str) -> Verdict:
        text = fold(answer)
        gold = mentions(text, fold(q.gold), q.lang)
        either = gold + (mentions(text, fold(q.gold_source), q.lang) if q.gold_source else [])
        negated = any(m.negated for m in either)
        multi = q.attribute == "continent" and len(self.continents_named(answer, q.lang)) > 1
        wrong = negated or multi
        return Verdict(bool(gold) and not wrong, bool(either) and not wrong, multi, negated=negated)

    def translation(self, t: TranslationTest, answer: str) -> Verdict:
        """Each name is matched with the rules of its own language (to-en: the gold is the source language's)."""
        gold_lang, source_lang = (self._source, t.lang) if t.direction == "to-en" else (t.lang, self._source)
        text, source, gold = fold(answer), fold(t.source), fold(t.gold)
        copy = bool(mentions(text, source, source_lang)) and not mentions(gold, source, source_lang)
        ok = bool(mentions(text, gold, gold_lang)) and not copy
        return Verdict(ok, ok, copy=copy)
