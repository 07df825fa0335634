"""Findings: does the data support each testable claim of Gao et al. (2024)? With numbers and 95% CIs.

Each claim is turned into pooled means of model-level values or of paired deltas (strategy.py), with
a decision rule stated in the finding itself. A claim the data does not support is reported as such,
and a claim the data cannot test (no pair of that kind present) says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from clika.analysis.compare import PairDeltas
from clika.analysis.families import FamilyRegistry
from clika.analysis.stats import TaskStats, format_p
from clika.analysis.strategy import POOL, _scope_rows, pooled_mean, pooled_record
from clika.formatting import format_interval, format_value
from clika.items import PIVOT
from clika.metrics.catalog import tagged
from clika.metrics.estimate import Estimate
from clika.metrics.record_io import record_from_row
from clika.metrics.records import Record

PARITY_BELOW = 0.9  # "far from parity": the whole 95% CI of the mean lies below this


@dataclass
class Evidence:
    """One value a claim rests on, as a Record (n: how many values it pools), with a label for people;
    is_change: the value is a change (delta), so its p-value against 0 means something; reading: what
    the value says, where a rule reads it (CD)."""

    label: str
    record: Record
    is_change: bool = True
    reading: str = ""

    def to_dict(self) -> dict:
        return {"label": self.label, "record": self.record.to_dict(), "is_change": self.is_change,
                "reading": self.reading}

    @classmethod
    def from_dict(cls, data: dict) -> Evidence:
        return cls(data["label"], record_from_row(data["record"]), data["is_change"], data.get("reading", ""))


EVIDENCE_COLUMNS = ("evidence", "mean", "95% CI", "p vs. 0 (bootstrap)", "n (values pooled, or items)")
WITHHELD_MARK = "withheld¹"


@dataclass
class Finding:
    key: str
    claim: str
    verdict: str  # supported | partly supported | not supported | not testable (VERDICT_RULE)
    summary: str
    rule: str
    evidence: list[Evidence] = field(default_factory=list)
    n_boot: int = 0  # the resamples behind the p-values (p = 0 is printed as < 1/(n_boot + 1))

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[str]]:
        """The evidence table as findings.md and the HTML report print it: column names, rows of
        cells (text), footnotes."""
        rows, withheld = [], False
        for e in self.evidence:
            v = e.record
            if v.value is None:
                rows.append((e.label, "n/a", "", "", "0"))
                continue
            ci = format_interval(v.ci_low, v.ci_high) or WITHHELD_MARK
            withheld = withheld or ci == WITHHELD_MARK
            p = format_p(v.p_value, self.n_boot) if e.is_change else "—"
            rows.append((e.label, f"{v.value:.3f}", ci, p, str(v.n)))
        return EVIDENCE_COLUMNS, rows, [f"¹ {WITHHELD}"] if withheld else []

    def to_dict(self) -> dict:
        """JSON-ready data (findings.json beside findings.md); from_dict reads it back."""
        return {**{k: getattr(self, k) for k in ("key", "claim", "verdict", "summary", "rule", "n_boot")},
                "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        evidence = [Evidence.from_dict(e) for e in data["evidence"]]
        return cls(data["key"], data["claim"], data["verdict"], data["summary"], data["rule"], evidence,
                   data.get("n_boot", 0))


def _fmt(r: Record) -> str:
    return format_value(r.value, r.ci_low, r.ci_high, signed=True)


def _pos(r: Record) -> bool:
    return r.ci_low is not None and r.ci_low > 0


def _neg(r: Record) -> bool:
    return r.ci_high is not None and r.ci_high < 0


VERDICT_RULE = ("A claim is tested by one or more checks, each a 95% CI in the claim's direction. **Supported**: "
                "every check passes. **Partly supported**: at least one passes and none is significantly the "
                "other way. **Not supported**: none passes, or at least one is significantly the other way (its "
                "95% CI lies wholly on the side the claim rules out). **Not testable**: the data has nothing to "
                "check it on.")


def _verdict(n_for: int, n_total: int, n_against: int = 0) -> str:
    """VERDICT_RULE: n_for checks pass, n_against are significantly the other way, of n_total."""
    if n_total == 0:
        return "not testable"
    if n_against:  # evidence significantly against one part of a claim outweighs support for another part
        return "not supported"
    return "supported" if n_for == n_total else ("partly supported" if n_for else "not supported")


def _pair_pool(deltas: list[PairDeltas], metric: str, scope: str, target: str | None, pivot: str) -> Record:
    """The mean change of ``metric`` over the pairs of one strategy (a strategy pool's record)."""
    parts = [_scope_rows(d, metric, scope, target, pivot) for d in deltas]
    strategy = deltas[0].strategy if deltas else "none"
    return pooled_record(pooled_mean([p for p, _ in parts], [b for _, b in parts]), model=strategy,
                         strategy=strategy, metric=metric, lang=target, aggregate=POOL, stratum=scope)


def _group_pool(group: str, metric: str, estimate: Estimate) -> Record:
    """The mean of ``metric`` over a group of models' non-pivot values."""
    return pooled_record(estimate, model=group, metric=metric, aggregate="mean of models")


def _model_rows(stats: dict[str, TaskStats], models: set[str], metric: str, exclude: dict[str, str | None]):
    """Point values and replicates of `models` in every non-pivot language (minus exclude[model])."""
    points, boots = [], []
    for s in stats.values():
        langs = np.array(s.langs)
        for mi, m in enumerate(s.models):
            if m in models:
                mask = (langs != s.pivot) & (langs != exclude.get(m))
                points.append(s.values[metric][mi, mask])
                boots.append(s.boots[metric][mi, mask])
    return points, boots


def _difference(group: str, other: str, metric: str, a: Estimate, b: Estimate) -> Record:
    """a - b of two groups' means, resample by resample; n: the values behind both."""
    diff = a.minus(b).tested_vs_zero()
    diff.n = a.n + b.n
    return pooled_record(diff, model=group, model_ref=other, metric=metric, aggregate="mean of models")


def continued_pretraining(deltas, registry, pivot) -> Finding:
    ev, hits, against, total = [], 0, 0, 0
    targets = sorted({registry.get(d.model_b).target_lang for d in deltas if d.strategy == "continued_pretraining"})
    for t in targets:
        group = [d for d in deltas if d.strategy == "continued_pretraining" and registry.get(d.model_b).target_lang == t]
        tgt = _pair_pool(group, "accuracy", "target", t, pivot)
        oth = _pair_pool(group, "accuracy", "others", t, pivot)
        ev += [Evidence(f"on {t}: accuracy change in {t}", tgt), Evidence(f"on {t}: accuracy change in the other non-{pivot} languages", oth),
               Evidence(f"on {t}: accuracy change in {pivot}", _pair_pool(group, "accuracy", "pivot", t, pivot)),
               Evidence(f"on {t}: RA change in {t}", _pair_pool(group, "ra", "target", t, pivot)),
               Evidence(f"on {t}: RA change in the other languages", _pair_pool(group, "ra", "others", t, pivot))]
        total += 2
        hits += _pos(tgt) + _neg(oth)
        against += _neg(tgt) + _pos(oth)
    summary = "; ".join(f"{e.label}: {_fmt(e.record)}" for e in ev if "accuracy" in e.label and pivot + ":" not in e.label)
    return Finding("continued_pretraining", "Continued pretraining on one language raises that language at the cost of the others.",
                   _verdict(hits, total, against), summary or "no continued-pretraining pair in the data",
                   "per target language: the target's mean accuracy change has a 95% CI above 0, and the other "
                   "non-pivot languages' mean change a CI below 0 (both needed for 'supported')", ev)


def mixed_pretraining(stats, deltas, registry, pivot) -> Finding:
    present = set().union(*(set(s.models) for s in stats.values())) if stats else set()
    resolve = {m: registry.get(m) for m in present}
    mixed = {m for m, e in resolve.items() if e and e.strategy == "mixed_multilingual_pretraining"}
    english = {m for m, e in resolve.items() if e and e.strategy == "base" and e.pretraining == "english_dominant"}
    continued = {m: e.target_lang for m, e in resolve.items() if e and e.strategy == "continued_pretraining"}
    ev, hits, against, total = [], 0, 0, 0
    for metric, name in ((d.name, d.label) for d in tagged("alignment")):
        g_mixed = pooled_mean(*_model_rows(stats, mixed, metric, {}))
        g_english = pooled_mean(*_model_rows(stats, english, metric, {}))
        g_cont = pooled_mean(*_model_rows(stats, set(continued), metric, continued))
        ev += [Evidence(f"{name}, mixed multilingual pretrained models ({len(mixed)})",
                        _group_pool("mixed multilingual", metric, g_mixed), False),
               Evidence(f"{name}, English-dominant base models ({len(english)})",
                        _group_pool("English-dominant", metric, g_english), False),
               Evidence(f"{name}, continued-pretraining models, non-target languages ({len(continued)})",
                        _group_pool("continued-pretraining", metric, g_cont), False)]
        for other, label in ((g_english, "English-dominant"), (g_cont, "continued-pretraining")):
            diff = _difference("mixed multilingual", label, metric, g_mixed, other)
            ev.append(Evidence(f"{name}: mixed minus {label}", diff))
            total += diff.value is not None
            hits += _pos(diff)
            against += _neg(diff)
    summary = "; ".join(f"{e.label}: {_fmt(e.record)}" for e in ev if "minus" in e.label)
    return Finding("mixed_pretraining", "Mixed multilingual pretraining harms the other (non-English) languages less.",
                   _verdict(hits, total, against), summary or "no mixed multilingual pretrained model in the data",
                   f"mean RA / en-CO over non-{pivot} languages of mixed multilingual pretrained models is higher (CI of the "
                   "difference above 0) than that of English-dominant base models and than continued-pretraining "
                   "models in their non-target languages", ev)


def instruction_tuning(deltas, pivot) -> Finding:
    ev, hits, against, total = [], 0, 0, 0
    for strategy, name in (("instruction_tuning_en", "English"), ("instruction_tuning_multilingual", "multilingual")):
        group = [d for d in deltas if d.strategy == strategy]
        if not group:
            continue
        n_pairs = len({(d.model_a, d.model_b) for d in group})
        for metric, level in ((d.name, f"{d.level} ({d.label})") for d in tagged("alignment")):
            p = _pair_pool(group, metric, "non_pivot", None, pivot)
            ev.append(Evidence(f"{name} instruction tuning ({n_pairs} pairs): {level} change", p))
            total += 1
            hits += _pos(p)
            against += _neg(p)
    summary = "; ".join(f"{e.label}: {_fmt(e.record)}" for e in ev)
    return Finding("instruction_tuning", "Instruction tuning improves cross-lingual alignment at the PF and CT levels.",
                   _verdict(hits, total, against), summary or "no instruction-tuning pair in the data",
                   f"mean change over pairs, tasks and non-{pivot} languages has a 95% CI above 0, separately for "
                   "RA and en-CO and for English / multilingual instruction tuning", ev)


def far_from_parity(stats, pivot) -> Finding:
    everyone = set().union(*(set(s.models) for s in stats.values())) if stats else set()
    ev, hits, against, total = [], 0, 0, 0
    for metric, name in ((d.name, d.label) for d in tagged("alignment")):
        p = _group_pool("every model", metric, pooled_mean(*_model_rows(stats, everyone, metric, {})))
        ev.append(Evidence(f"mean {name}, all {len(everyone)} models with complete coverage, non-{pivot} languages",
                           p, False))
        total += p.value is not None
        hits += p.ci_high is not None and p.ci_high < PARITY_BELOW
        against += p.ci_low is not None and p.ci_low > PARITY_BELOW  # significantly not far from parity
        for task, s in sorted(stats.items()):
            ev.append(Evidence(f"mean {name} on {task}",
                               _group_pool("every model", metric, pooled_mean(*_model_rows({task: s}, everyone, metric,
                                                                                        {}))), False))
    summary = "; ".join(f"{e.label}: {_fmt(e.record)}" for e in ev if "all" in e.label)
    return Finding("far_from_parity", "Cross-lingual knowledge alignment stays far from parity (RA and en-CO well below 1).",
                   _verdict(hits, total, against), summary + ". CD (XRR) is not in the prediction files and is not tested here.",
                   f"the 95% CI of the mean over all models, tasks and non-{pivot} languages lies below {PARITY_BELOW} "
                   "(RA counts chance hits: with 2 options, as in x_copa, a guessing model still gets RA near 1)", ev)


def natural_transfer(stats, deltas) -> Finding:
    """home_transfer (no training needed) changed by each strategy, pair by pair."""
    from clika.analysis.home_transfer_deltas import STRATEGY_WORDS, by_strategy, transfer_deltas

    pairs = sorted({(d.model_a, d.model_b, d.strategy) for d in deltas}, key=lambda p: (p[2] or "", p[0], p[1]))
    changes = transfer_deltas(stats, pairs)
    pooled = by_strategy(changes)
    ev = [Evidence(f"{STRATEGY_WORDS[k]}: mean change of home_transfer over {v.n} pair-task(s)", v)
          for k, v in sorted(pooled.items())]
    ev += [Evidence(f"{r.model_ref} -> {r.model} on {r.task}", r) for r, _ in changes]
    raised = sum(_pos(v) for v in pooled.values())
    lowered = sum(_neg(v) for v in pooled.values())
    summary = "; ".join(f"{STRATEGY_WORDS[k]}: {_fmt(v)}" for k, v in sorted(pooled.items()))
    return Finding("home_transfer", "Training strategies raise the natural transfer of knowledge between languages "
                   "(home_transfer: facts known in their own culture's language, also known in another).",
                   _verdict(raised, len(pooled), lowered), summary or "no registry pair on a task whose items carry their "
                   "culture (x_geo, x_name)",
                   "per strategy, the mean change of home_transfer (avg over source and query languages) over its "
                   "pairs and tasks has a 95% paired-bootstrap CI above 0; home_transfer is a proxy for the "
                   "conductivity of naturally acquired knowledge, not XRR", ev)


def restrict_models(stats: dict[str, TaskStats],
                    models: set[str] | Callable[[str, str], bool]) -> dict[str, TaskStats]:
    """The same statistics over a subset of the models (a set, or keep(model, task): e.g. the selected
    pairs' models, or the models x tasks with complete coverage)."""
    from dataclasses import replace

    keeps = models if callable(models) else (lambda model, task: model in models)
    out = {}
    for task, s in stats.items():
        keep = [i for i, m in enumerate(s.models) if keeps(m, task)]
        if keep:
            out[task] = replace(s, models=[s.models[i] for i in keep],
                                per_model={s.models[i]: s.per_model[s.models[i]] for i in keep},
                                values={k: v[keep] for k, v in s.values.items()},
                                boots={k: v[keep] for k, v in s.boots.items()})
    return out


def compute_findings(stats: dict[str, TaskStats], deltas: list[PairDeltas], registry: FamilyRegistry, *,
                     pivot: str = PIVOT, selected: bool = False) -> list[Finding]:
    """The four testable claims, in the paper's order, then natural transfer. selected: the deltas are of pairs the user
    chose (--pair), so every claim is restricted to those pairs and their models."""
    deltas = [d for d in deltas if d.strategy is not None and registry.get(d.model_b) is not None]
    found = [continued_pretraining(deltas, registry, pivot), mixed_pretraining(stats, deltas, registry, pivot),
             instruction_tuning(deltas, pivot), far_from_parity(stats, pivot), natural_transfer(stats, deltas)]
    n_boot = next(iter(stats.values())).n_boot if stats else 0
    for f in found:
        f.n_boot = n_boot
    if selected:
        for f in found:
            f.rule += " (restricted to the selected --pair pairs and their models)"
            if f.verdict == "not testable":
                n = {"continued_pretraining": len(registry.pairs("continued_pretraining")),
                     "instruction_tuning": len(registry.pairs("instruction_tuning_en"))
                     + len(registry.pairs("instruction_tuning_multilingual"))}.get(f.key)
                if n:
                    f.summary = (f"none of the selected pairs is of this kind (the registry has {n}; run without "
                                 "--pair to use every registry pair present in the data)")
    return found


WITHHELD = ("withheld: more than 5% of the bootstrap resamples are undefined (e.g. a resample with no "
            "item answered correctly in a source language), so neither an interval nor a p-value is given.")
