"""After (or during) training: ask every test of a split through the Backend contract and judge it.

The trained model (base + LoRA adapter, or the fully fine-tuned weights) is asked through the
same backends as `clika run` (hf, or vllm with the adapter as a LoRA request), in generate mode,
with the prompt token ids exactly as training taught them (PromptFormat.prompt_ids) and "\\n"
as the stop string: a taught answer is one line. Answers are judged by clika.conduct.judge.

Every answer is kept as a row (kind, fact or entity id, language, type, prompt, gold, answer and the verdict fields, the
fact's overlap stratum), so a run can be inspected and re-scored without asking again: ``outcomes_from_rows`` judges the
stored answers anew, so a change of the scoring rule applies to old runs. The correctness vectors, aligned by fact, feed
clika.metrics.cd.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clika.conduct.judge import AnswerJudge, Verdict
from clika.fictional.dataset import ConductSplit
from clika.metrics.cd import FactOutcomes

STOP = ("\n",)
_QUESTION_FIELDS = ("kind", "fact_id", "lang", "fact_type", "prompt", "gold", "gold_source")
_NAME_FIELDS = ("lang", "direction", "taught", "prompt", "source", "gold")
_WRONG = Verdict(False)  # a test not asked or missing


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

    rows: list[dict]  # one per question / name test asked
    outcomes: FactOutcomes


def fact_strata(split: ConductSplit, tokenizer=None) -> dict[str, dict]:
    """fact_id -> {stratum, dice, token_overlap} of the fact's target subject against its source
    subject (clika.fictional.overlap: tokenizer-free strata; token_overlap needs the tokenizer)."""
    from clika.fictional.overlap import subject_overlap, token_overlap

    src = {q.fact_id: q.subject for q in split.questions if q.lang == split.source and q.kind == "question"}
    out = {}
    for q in split.questions:
        if q.lang != split.target or q.kind != "question" or q.fact_id not in src:
            continue
        stratum, dice = subject_overlap(src[q.fact_id], q.subject)
        shared = None if tokenizer is None else token_overlap(tokenizer, src[q.fact_id], q.subject)
        out[q.fact_id] = {"stratum": stratum, "dice": round(dice, 4), "token_overlap": shared}
    return out


def answer_rows(split: ConductSplit, answers: Sequence[str], strata: dict[str, dict] | None = None) -> list[dict]:
    """One row per test (questions, then name tests, in the split's order) with its answer and verdict."""
    judge, rows = AnswerJudge(split), []
    for q, a in zip(split.questions, answers[:len(split.questions)]):
        verdict = _fields(judge.question(q, a), ("correct", "correct_any", "multi", "negated"))
        info = (strata or {}).get(q.fact_id, {}) if q.lang == split.target else {}
        rows.append({**_fields(q, _QUESTION_FIELDS), "answer": a, **verdict, **info})
    for t, a in zip(split.translations, answers[len(split.questions):]):
        verdict = _fields(judge.translation(t, a), ("correct", "copy"))
        rows.append({"kind": "translation", "fact_id": t.name_id, **_fields(t, _NAME_FIELDS), "answer": a, **verdict})
    return rows


def _fields(obj, names: Sequence[str]) -> dict:
    return {name: getattr(obj, name) for name in names}


def run_tests(backend, tokenizer, fmt, split: ConductSplit, *, strata: dict[str, dict] | None = None,
              n_continents: int | None = None, max_new_tokens: int | None = None) -> TestRun:
    """Ask every test of the split (source and target questions, the controls, both name directions)."""
    prompts = [q.prompt for q in split.questions] + [t.prompt for t in split.translations]
    budget = max_new_tokens or max_answer_tokens(tokenizer, split)
    rows = answer_rows(split, ask(backend, tokenizer, fmt, prompts, budget), strata)
    return TestRun(rows, outcomes_from_rows(split, rows, n_continents))


def outcomes_from_rows(split: ConductSplit, rows: list[dict], n_continents: int | None) -> FactOutcomes:
    """Correctness vectors aligned by fact id, judged anew from the stored answers (a question not
    asked or missing counts as wrong). Strata are the split's (tokenizer-free, so recomputed here)."""
    judge = AnswerJudge(split)
    by_prompt = {(r["kind"], r["fact_id"], r["lang"], r.get("direction")): r for r in rows}
    verdicts = {}
    for q in split.questions:
        row = by_prompt.get((q.kind, q.fact_id, q.lang, None))
        verdicts[(q.kind, q.lang, q.fact_id)] = judge.question(q, row["answer"]) if row else None
    target, source = split.target, split.source
    ids = {t: sorted({q.fact_id for q in split.questions if q.fact_type == t and q.kind == "question"}) for t in (0, 1)}

    def vec(kind: str, lang: str, fact_type: int, attr: str = "correct") -> np.ndarray:
        return np.array([bool(getattr(verdicts.get((kind, lang, f)) or _WRONG, attr)) for f in ids[fact_type]])

    names, copies, directions, untaught = [], [], [], []
    for t in split.translations:
        row = by_prompt.get(("translation", t.name_id, t.lang, t.direction))
        v = judge.translation(t, row["answer"]) if row else _WRONG
        if t.taught:
            names.append(v.correct), copies.append(v.copy), directions.append(t.direction)
        else:
            untaught.append(v.correct)
    stratum_of = {f: info["stratum"] for f, info in fact_strata(split).items()}
    return FactOutcomes(
        target, vec("question", source, 0), vec("question", source, 1), vec("question", target, 0),
        vec("question", target, 1), np.array(names, bool), vec("question", target, 1, "correct_any"),
        vec("en_subject", target, 1, "correct_any"), vec("question", target, 1, "multi"), np.array(copies, bool),
        np.array(directions, dtype=object), np.array(untaught, bool),
        np.array([stratum_of.get(f, "none") for f in ids[1]]), np.array([stratum_of.get(f, "none") for f in ids[0]]),
        n_continents, source, tuple(ids[1]), ctrl_type1_strict=vec("en_subject", target, 1),
        negated_type1=vec("question", target, 1, "negated"))
