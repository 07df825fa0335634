"""After training: ask every test question through the Backend contract and score it.

The trained model (base + LoRA adapter, or the fully fine-tuned weights) is asked through the
same backends as `clika run` (hf, or vllm with the adapter as a LoRA request), in generate mode,
with the prompt token ids exactly as training taught them (PromptFormat.prompt_ids) and "\\n"
as the stop string: a taught answer is one line. Correct = the gold value, NFKC-normalised and
case-folded, occurs in the answer (docs/metrics.md, CD).

Every answer is kept (kind, fact id, language, type, prompt, gold, answer, verdict, overlap
stratum) so a run can be inspected and re-scored; the correctness vectors, aligned by fact,
feed clika.metrics.conductivity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clika.fictional.dataset import ConductSplit, fold
from clika.items import PIVOT
from clika.metrics.conductivity import FactOutcomes

STOP = ("\n",)


def is_correct(gold: str, answer: str) -> bool:
    return fold(gold) in fold(answer)


def max_answer_tokens(tokenizer, split: ConductSplit) -> int:
    """Room for the longest taught answer (answers restate their question), plus a margin."""
    answers = {ex.answer for ex in split.train} | {q.gold for q in split.questions}
    longest = max(len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)
    return longest + 8


def ask(backend, tokenizer, fmt, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
    """Greedy answers through the backend, asked exactly as taught, first line only."""
    ids = [fmt.prompt_ids(tokenizer, p) for p in prompts]
    return [a.strip() for a in backend.generate(ids, max_new_tokens, stop=STOP)]


@dataclass
class TestRun:
    __test__ = False

    rows: list[dict]  # one per question / translation asked
    outcomes: FactOutcomes


def run_tests(backend, tokenizer, fmt, split: ConductSplit, *, gate_only: bool = False,
              strata: dict[str, str] | None = None, n_continents: int | None = None,
              max_new_tokens: int | None = None) -> TestRun:
    """Ask the split's questions (all, or only the mastery gate's: English types 0 and 1,
    target type 0 and the translations, never the target type-1 questions being measured)."""
    target = split.target
    questions = [q for q in split.questions if not (gate_only and q.lang == target and q.fact_type == 1)]
    prompts = [q.prompt for q in questions] + [t.prompt for t in split.translations]
    budget = max_new_tokens or max_answer_tokens(tokenizer, split)
    answers = ask(backend, tokenizer, fmt, prompts, budget)
    q_answers, t_answers = answers[: len(questions)], answers[len(questions):]
    rows, by_key = [], {}
    for q, a in zip(questions, q_answers):
        ok = is_correct(q.gold, a)
        by_key[(q.lang, q.fact_type, q.fact_id)] = ok
        stratum = (strata or {}).get(q.fact_id) if q.lang == target else None
        rows.append(dict(kind="question", fact_id=q.fact_id, lang=q.lang, fact_type=q.fact_type, prompt=q.prompt,
                         gold=q.gold, answer=a, correct=ok, stratum=stratum))
    t_ok = np.array([is_correct(t.gold, a) for t, a in zip(split.translations, t_answers)], dtype=bool)
    rows += [dict(kind="translation", fact_id=t.name_id, lang=t.lang, prompt=t.prompt, gold=t.gold, answer=a,
                  correct=bool(ok)) for t, a, ok in zip(split.translations, t_answers, t_ok)]
    return TestRun(rows, outcomes_from(split, by_key, t_ok, strata, n_continents))


def outcomes_from(split: ConductSplit, by_key: dict, translation: np.ndarray, strata: dict[str, str] | None,
                  n_continents: int | None) -> FactOutcomes:
    """Correctness vectors aligned by fact id (a question not asked or missing counts as wrong)."""
    target = split.target
    ids = {t: sorted({q.fact_id for q in split.questions if q.fact_type == t}) for t in (0, 1)}

    def vec(lang: str, fact_type: int) -> np.ndarray:
        return np.array([by_key.get((lang, fact_type, f), False) for f in ids[fact_type]], dtype=bool)

    def strata_of(fact_type: int) -> np.ndarray | None:
        if strata is None:
            return None
        return np.array([strata.get(f, "none") for f in ids[fact_type]])

    return FactOutcomes(target, vec(PIVOT, 0), vec(PIVOT, 1), vec(target, 0), vec(target, 1), translation,
                        strata_of(1), strata_of(0), n_continents)


def outcomes_from_rows(split: ConductSplit, rows: list[dict], strata: dict[str, str] | None,
                       n_continents: int | None) -> FactOutcomes:
    """The same vectors from stored answer rows (a resumed run re-scores without asking again)."""
    by_key = {(r["lang"], r["fact_type"], r["fact_id"]): bool(r["correct"]) for r in rows if r["kind"] == "question"}
    t_ok = {r["fact_id"]: bool(r["correct"]) for r in rows if r["kind"] == "translation"}
    translation = np.array([t_ok.get(t.name_id, False) for t in split.translations], dtype=bool)
    return outcomes_from(split, by_key, translation, strata, n_continents)


def split_strata(split: ConductSplit, tokenizer=None) -> dict[str, str]:
    """fact_id -> surface overlap of the fact's target-language subject and answer with English."""
    from clika.fictional.overlap import surface_overlap

    en = {q.fact_id: q for q in split.questions if q.lang == PIVOT}
    out = {}
    for q in split.questions:
        if q.lang != split.target or q.fact_id not in en:
            continue
        pairs = [(en[q.fact_id].gold, q.gold)]
        if q.subject and en[q.fact_id].subject:
            pairs.append((en[q.fact_id].subject, q.subject))
        out[q.fact_id] = surface_overlap(pairs, tokenizer)
    return out

