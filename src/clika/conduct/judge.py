"""Scoring one conductivity answer: which continents it names, whether it is right, whether it copies.

A fact question is **correct** when the gold (the answer's form in the question's language) occurs
in the answer after NFKC + case folding (docs/metrics.md, CD) and the answer names no other
continent: "Emberland or Frostmark" names two and is wrong, whatever the gold, and is counted in
the ``multi_answer`` diagnostic. **correct_any** also accepts the source-language form of the
gold (the ``xrr_en_answer`` and ``xrr_en_subject`` controls: the fact transferred but was
answered in English). Continents are found by their forms in both languages; a match inside a
longer match ("Ember" inside "Emberland") does not count as a second continent.

A name test is correct when the gold name occurs and the source name is not copied: an answer
that repeats the name it was asked to translate ("Fox Bridge" -> "Fox Bridge") is a **copy**,
wrong, and reported as the gate's copy rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from clika.fictional.dataset import ConductSplit, TestQuestion, TranslationTest, fold


@dataclass(frozen=True)
class Verdict:
    correct: bool
    correct_any: bool = False  # accepting the source-language form of the gold too
    multi: bool = False  # the answer names two or more continents
    copy: bool = False  # a name test answered with the source name


class AnswerJudge:
    """Judges answers to one split's tests (its continents' forms in the source and target)."""

    def __init__(self, split: ConductSplit):
        forms = {(fold(name), cid) for cid, by_lang in split.continents.items() for name in by_lang.values() if name}
        self._forms = sorted(forms, key=lambda f: -len(f[0]))

    def continents_named(self, answer: str) -> set[str]:
        """Ids of the continents an answer names (a match inside a longer match is not counted)."""
        text, spans, named = fold(answer), [], set()
        for form, cid in self._forms:  # longest first: a shorter form inside a taken span is part of it
            start = text.find(form)
            while start >= 0:
                end = start + len(form)
                if not any(s <= start and end <= e for s, e in spans):
                    spans.append((start, end))
                    named.add(cid)
                start = text.find(form, start + 1)
        return named

    def question(self, q: TestQuestion, answer: str) -> Verdict:
        text = fold(answer)
        multi = q.attribute == "continent" and len(self.continents_named(answer)) > 1
        hit = fold(q.gold) in text
        hit_any = hit or (bool(q.gold_source) and fold(q.gold_source) in text)
        return Verdict(hit and not multi, hit_any and not multi, multi)

    @staticmethod
    def translation(t: TranslationTest, answer: str) -> Verdict:
        text, source, gold = fold(answer), fold(t.source), fold(t.gold)
        copy = source in text and source not in gold
        ok = gold in text and not copy
        return Verdict(ok, ok, copy=copy)
