"""After training: generate answers, apply the mastery gate, compute xrr (METRICS.md, CD).

Correct = the gold value, NFKC-normalised and case-folded, occurs in the
answer. The answer is the generated text up to its first newline: a taught
answer is one line, and text after it (a model rambling on to other facts)
must not be able to contain the gold by chance.

Intervals: percentile bootstrap over facts, seeded and vectorised. xrr pairs
acc_l(type 1) with acc_en(type 1) on the same resampled facts; xrr_ctrl's two
accuracies are on different facts (type 1 vs type 0), resampled independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from clika.conduct.train import PromptFormat
from clika.fictional.dataset import ConductSplit
from clika.fictional.generator import fold
from clika.items import PIVOT
from clika.metrics.bootstrap import percentile_intervals
from clika.metrics.records import MetricRecord

TASK = "fictional"
GATE_PARTS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation")
_PART_WORDS = {
    "gate_en_type0": "English type 0",
    "gate_en_type1": "English type 1",
    "gate_l_type0": "{lang} type 0",
    "gate_translation": "name translation",
}


@torch.inference_mode()
def generate_answers(
    model, tokenizer, prompts: Sequence[str], fmt: PromptFormat, max_new_tokens: int = 48, batch_size: int = 16
) -> list[str]:
    """Greedy answers, batched by prompt length (left padding), first line only."""
    encoded = [fmt.prompt_ids(tokenizer, p) for p in prompts]
    order = np.argsort([len(e) for e in encoded], kind="stable")  # length buckets: little padding
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(model.parameters()).device
    answers: list[str] = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            ids[row, width - len(encoded[i]) :] = torch.tensor(encoded[i])
            mask[row, width - len(encoded[i]) :] = 1
        out = model.generate(
            input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
            do_sample=False, pad_token_id=pad_id, eos_token_id=tokenizer.eos_token_id,
        )  # fmt: skip
        texts = tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
        for row, i in enumerate(idx):
            answers[i] = texts[row].strip().split("\n", 1)[0]
    return answers


def is_correct(golds: Sequence[str], answers: Sequence[str]) -> np.ndarray:
    return np.array([fold(g) in fold(a) for g, a in zip(golds, answers)], dtype=bool)


@dataclass
class Outcome:
    """Correctness vectors of one target's tests, aligned by fact (type 1 / type 0 facts)."""

    target: str
    en_type0: np.ndarray
    en_type1: np.ndarray
    l_type0: np.ndarray
    l_type1: np.ndarray
    translation: np.ndarray
    answers: list[dict] = field(default_factory=list)  # every question, its answer and verdict


def run_tests(model, tokenizer, split: ConductSplit, fmt: PromptFormat, batch_size: int = 16) -> Outcome:
    """Ask every test question and translation once; align by fact id for paired resampling."""
    qs = split.questions
    prompts = [q.prompt for q in qs] + [t.prompt for t in split.translations]
    # A taught answer restates its question, so twice the longest question is room enough.
    longest = max(len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts)
    max_new = min(96, 2 * longest + 8)
    answers = generate_answers(model, tokenizer, prompts, fmt, max_new_tokens=max_new, batch_size=batch_size)
    q_ans, t_ans = answers[: len(qs)], answers[len(qs) :]
    q_ok = is_correct([q.gold for q in qs], q_ans)
    t_ok = is_correct([t.gold for t in split.translations], t_ans)
    by_key = {(q.lang, q.fact_type, q.fact_id): ok for q, ok in zip(qs, q_ok)}
    fact_ids = {t: sorted({q.fact_id for q in qs if q.fact_type == t}) for t in (0, 1)}

    def vec(lang: str, fact_type: int) -> np.ndarray:
        # A question missing in one language counts as wrong (METRICS.md: it stays in N).
        return np.array([by_key.get((lang, fact_type, f), False) for f in fact_ids[fact_type]], dtype=bool)

    log = [dict(kind="question", fact_id=q.fact_id, lang=q.lang, fact_type=q.fact_type, prompt=q.prompt,
                gold=q.gold, answer=a, correct=bool(ok)) for q, a, ok in zip(qs, q_ans, q_ok)]  # fmt: skip
    log += [dict(kind="translation", name_id=t.name_id, lang=t.lang, prompt=t.prompt, gold=t.gold, answer=a,
                 correct=bool(ok)) for t, a, ok in zip(split.translations, t_ans, t_ok)]  # fmt: skip
    t = split.target
    return Outcome(t, vec(PIVOT, 0), vec(PIVOT, 1), vec(t, 0), vec(t, 1), t_ok, log)


def _percentile_ci(samples: np.ndarray) -> tuple[float | None, float | None]:
    """The project's one interval rule (clika.metrics.bootstrap): an interval is
    withheld when too many resamples are undefined (e.g. a zero denominator)."""
    samples = np.where(np.isfinite(samples), samples, np.nan)
    intervals = percentile_intervals(samples[:, None])
    if np.isnan(intervals.low[0]):
        return None, None
    return float(intervals.low[0]), float(intervals.high[0])


def _resampled_means(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return x[idx].mean(axis=1) if x.size else np.full(idx.shape[0], np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def score(outcome: Outcome, model_name: str, gate: float = 0.9, n_boot: int = 1000, seed: int = 0) -> list[MetricRecord]:
    """Gate records, acc_l_type1, xrr and xrr_ctrl (None with a note when the gate fails)."""
    rng = np.random.default_rng(seed)
    o, lang = outcome, outcome.target
    parts = {"gate_en_type0": o.en_type0, "gate_en_type1": o.en_type1, "gate_l_type0": o.l_type0,
             "gate_translation": o.translation}  # fmt: skip
    records, failed = [], []
    for metric, x in parts.items():
        acc = float(x.mean()) if x.size else float("nan")
        lo, hi = _percentile_ci(_resampled_means(x, rng.integers(0, max(x.size, 1), (n_boot, x.size))))
        passed = x.size > 0 and acc >= gate
        what = _PART_WORDS[metric].format(lang=lang)
        if not passed:
            failed.append(f"{what} {acc:.2f} < {gate:.2f}" if x.size else f"{what}: no test items")
        note = f"{what}: {'passes' if passed else 'fails'} the mastery gate {gate:.2f}"
        records.append(MetricRecord(model_name, TASK, lang, metric, acc if x.size else None, lo, hi, int(x.size), note))

    n1, n0 = o.l_type1.size, o.l_type0.size
    idx1 = rng.integers(0, max(n1, 1), (n_boot, n1))
    idx0 = rng.integers(0, max(n0, 1), (n_boot, n0))
    l1, en1, l0 = (_resampled_means(x, i) for x, i in ((o.l_type1, idx1), (o.en_type1, idx1), (o.l_type0, idx0)))
    acc_l1 = float(o.l_type1.mean()) if n1 else None
    gate_note = None if not failed else "gate failed; reported for diagnosis only"
    records.append(MetricRecord(model_name, TASK, lang, "acc_l_type1", acc_l1, *_percentile_ci(l1), n1, gate_note))

    if failed:
        note = "not measured: the mastery gate failed (" + "; ".join(failed) + ")"
        for metric in ("xrr", "xrr_ctrl"):
            records.append(MetricRecord(model_name, TASK, lang, metric, None, None, None, n1, note))
        return records
    for metric, num, den, den_name in (
        ("xrr", o.l_type1, o.en_type1, "acc_en(type 1)"),
        ("xrr_ctrl", o.l_type1, o.l_type0, f"acc_{lang}(type 0)"),
    ):
        if den.mean() == 0:
            records.append(MetricRecord(model_name, TASK, lang, metric, None, None, None, n1, f"undefined: {den_name} is 0"))
            continue
        value = float(num.mean() / den.mean())
        boot = _ratio(l1, en1 if metric == "xrr" else l0)
        records.append(MetricRecord(model_name, TASK, lang, metric, value, *_percentile_ci(boot), n1))
    return records


def gate_failure(records: Sequence[MetricRecord]) -> str | None:
    """The note of a failed gate, in words, or None when xrr was measured."""
    for r in records:
        if r.metric == "xrr" and r.value is None:
            return r.note
    return None
