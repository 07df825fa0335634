"""Findings: does the data support each testable claim of Gao et al. (2024)? With numbers and 95% CIs.

Each claim becomes pooled means of model-level values or of paired deltas (strategy.py), with a decision rule stated
in the finding; a claim the data cannot test (no pair of that kind present) says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np

from clika.analysis.compare import PairDeltas
from clika.analysis.families import STRATEGIES, FamilyRegistry
from clika.analysis.stats import TaskStats, all_models, format_p
from clika.analysis.strategy import POOL, pooled_mean, pooled_record, scope_mean
from clika.formatting import format_interval, format_value
from clika.items import PIVOT
from clika.metrics.catalog import tagged
from clika.metrics.estimate import Estimate
from clika.metrics.record_io import record_from_row
from clika.metrics.records import Record

PARITY_BELOW = 0.9  # "far from parity": the whole 95% CI of the mean lies below this


@dataclass
class Evidence:
    """One value a claim rests on, as a Record (n: how many values it pools); is_change: a delta, so its p-value
    against 0 means something; reading: what the value says, where a rule reads it (CD)."""

    label: str
    record: Record
    is_change: bool = True
    reading: str = ""

    def to_dict(self) -> dict:
        return dict(label=self.label, record=self.record.to_dict(), is_change=self.is_change, reading=self.reading)

    @classmethod
    def from_dict(cls, data: dict) -> Evidence:
        return cls(data["label"], record_from_row(data["record"]), data["is_change"], data.get("reading", ""))


EVIDENCE_COLUMNS = ("evidence", "mean", "95% CI", "p vs. 0 (bootstrap)", "n (values pooled, or items)")
WITHHELD_MARK = "withheld¹"
WITHHELD = ("withheld: more than 5% of the bootstrap resamples are undefined (e.g. a resample with no "
            "item answered correctly in a source language), so neither an interval nor a p-value is given.")


@dataclass
class Claim:
    """A claim with its verdict and the evidence behind it (Finding: PF/CT; clika.analysis.cd_claims.CDFinding)."""

    key: str
    claim: str
    verdict: str
    summary: str
    rule: str
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready data (findings.json beside findings.md); from_dict reads it back."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "evidence"}
        return {**data, "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, data: dict) -> Claim:
        evidence = [Evidence.from_dict(e) for e in data["evidence"]]
        extra = {f.name: data[f.name] for f in fields(cls)[len(fields(Claim)) :] if f.name in data}  # e.g. n_boot
        return cls(data["key"], data["claim"], data["verdict"], data["summary"], data["rule"], evidence, **extra)


@dataclass
class Finding(Claim):
    """verdict: supported | partly supported | not supported | not testable (VERDICT_RULE)."""

    n_boot: int = 0  # the resamples behind the p-values (p = 0 is printed as < 1/(n_boot + 1))

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[str]]:
        """The evidence table as findings.md and the HTML report print it: columns, rows of cells, footnotes."""
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


def _fmt(r: Record) -> str:
    return format_value(r.value, r.ci_low, r.ci_high, signed=True)


def _summary(evidence: list[Evidence]) -> str:
    return "; ".join(f"{e.label}: {_fmt(e.record)}" for e in evidence)


def _check(r: Record, up: bool = True, line: float = 0.0) -> tuple[bool, bool]:
    """(passes, significantly the other way) of a check that ``r``'s 95% CI lies above ``line`` (below: up=False)."""
    above, below = r.ci_low is not None and r.ci_low > line, r.ci_high is not None and r.ci_high < line
    return (above, below) if up else (below, above)


VERDICT_RULE = ("A claim is tested by one or more checks, each a 95% CI in the claim's direction. **Supported**: "
                "every check passes. **Partly supported**: at least one passes and none is significantly the "
                "other way. **Not supported**: none passes, or at least one is significantly the other way (its "
                "95% CI lies wholly on the side the claim rules out). **Not testable**: the data has nothing to "
                "check it on.")


def _verdict(checks: list[tuple[bool, bool]]) -> str:
    """VERDICT_RULE over checks (passes, significantly the other way)."""
    if not checks:
        return "not testable"
    if any(against for _, against in checks):  # evidence against one part of a claim outweighs support for another
        return "not supported"
    n_for = sum(passes for passes, _ in checks)
    return "supported" if n_for == len(checks) else ("partly supported" if n_for else "not supported")


def _pair_pool(deltas: list[PairDeltas], metric: str, scope: str, target: str | None, pivot: str) -> Record:
    strategy = deltas[0].strategy if deltas else "none"
    estimate = scope_mean(deltas, metric, scope, target, pivot)
    return pooled_record(estimate, model=strategy, strategy=strategy, metric=metric, lang=target, aggregate=POOL,
                         stratum=scope)


def _group_pool(group: str, metric: str, estimate: Estimate) -> Record:
    return pooled_record(estimate, model=group, metric=metric, aggregate="mean of models")


def _group_mean(stats: dict[str, TaskStats], models: set[str], metric: str, exclude: dict[str, str | None]):
    """The mean of `models`' values in every non-pivot language (minus exclude[model]), resample by resample."""
    points, boots = [], []
    for s in stats.values():
        langs = np.array(s.langs)
        for mi, m in enumerate(s.models):
            if m in models:
                mask = (langs != s.pivot) & (langs != exclude.get(m))
                points.append(s.values[metric][mi, mask])
                boots.append(s.boots[metric][mi, mask])
    return pooled_mean(points, boots)


def continued_pretraining(deltas, registry, pivot) -> Finding:
    ev, checks = [], []
    mine = [d for d in deltas if d.strategy == "continued_pretraining"]
    # (metric, scope, where: None for the target)
    views = (("accuracy", "target", None), ("accuracy", "others", f"the other non-{pivot} languages"),
             ("accuracy", "pivot", pivot), ("ra", "target", None), ("ra", "others", "the other languages"))
    for t in sorted({registry.get(d.model_b).target_lang for d in mine}):
        group = [d for d in mine if registry.get(d.model_b).target_lang == t]
        pools = [_pair_pool(group, metric, scope, t, pivot) for metric, scope, _ in views]
        for (metric, _, where), pool in zip(views, pools):
            ev.append(Evidence(f"on {t}: {'RA' if metric == 'ra' else metric} change in {where or t}", pool))
        checks += [_check(pools[0]), _check(pools[1], up=False)]  # the target's accuracy up, the others' down
    summary = _summary([e for e in ev if "accuracy" in e.label and pivot + ":" not in e.label])
    return Finding("continued_pretraining",
                   "Continued pretraining on one language raises that language at the cost of the others.",
                   _verdict(checks), summary or "no continued-pretraining pair in the data",
                   "per target language: the target's mean accuracy change has a 95% CI above 0, and the other "
                   "non-pivot languages' mean change a CI below 0 (both needed for 'supported')", ev)


def mixed_pretraining(stats, deltas, registry, pivot) -> Finding:
    entries = {m: registry.get(m) for m in all_models(stats)}
    mixed = {m for m, e in entries.items() if e and e.strategy == "mixed_multilingual_pretraining"}
    english = {m for m, e in entries.items() if e and e.strategy == "base" and e.pretraining == "english_dominant"}
    continued = {m: e.target_lang for m, e in entries.items() if e and e.strategy == "continued_pretraining"}
    # (name, what its models are, models, the language each leaves out)
    groups = (("mixed multilingual", "pretrained models", mixed, {}), ("English-dominant", "base models", english, {}),
              ("continued-pretraining", "models, non-target languages", set(continued), continued))
    ev, checks = [], []
    for metric, name in ((d.name, d.label) for d in tagged("alignment")):
        means = [_group_mean(stats, models, metric, exclude) for _, _, models, exclude in groups]
        for (group, kind, models, _), mean in zip(groups, means):
            ev.append(Evidence(f"{name}, {group} {kind} ({len(models)})", _group_pool(group, metric, mean), False))
        for (group, *_), other in zip(groups[1:], means[1:]):  # mixed minus each other group
            diff = means[0].minus(other).tested_vs_zero()
            diff.n = means[0].n + other.n  # the values behind both means
            record = pooled_record(diff, model=groups[0][0], model_ref=group, metric=metric, aggregate="mean of models")
            ev.append(Evidence(f"{name}: mixed minus {group}", record))
            if record.value is not None:
                checks.append(_check(record))
    summary = _summary([e for e in ev if "minus" in e.label])
    return Finding("mixed_pretraining", "Mixed multilingual pretraining harms the other (non-English) languages less.",
                   _verdict(checks), summary or "no mixed multilingual pretrained model in the data",
                   f"mean RA / en-CO over non-{pivot} languages of mixed multilingual pretrained models is higher "
                   "(CI of the difference above 0) than that of English-dominant base models and than "
                   "continued-pretraining models in their non-target languages", ev)


def instruction_tuning(deltas, pivot) -> Finding:
    ev, checks = [], []
    for strategy, name in (("instruction_tuning_en", "English"), ("instruction_tuning_multilingual", "multilingual")):
        if group := [d for d in deltas if d.strategy == strategy]:
            n_pairs = len({(d.model_a, d.model_b) for d in group})
            for metric in tagged("alignment"):
                p = _pair_pool(group, metric.name, "non_pivot", None, pivot)
                label = f"{name} instruction tuning ({n_pairs} pairs): {metric.level} ({metric.label}) change"
                ev.append(Evidence(label, p))
                checks.append(_check(p))
    return Finding("instruction_tuning", "Instruction tuning improves cross-lingual alignment at the PF and CT levels.",
                   _verdict(checks), _summary(ev) or "no instruction-tuning pair in the data",
                   f"mean change over pairs, tasks and non-{pivot} languages has a 95% CI above 0, separately for "
                   "RA and en-CO and for English / multilingual instruction tuning", ev)


def far_from_parity(stats, pivot) -> Finding:
    everyone = all_models(stats)
    ev, checks = [], []
    for metric, name in ((d.name, d.label) for d in tagged("alignment")):
        p = _group_pool("every model", metric, _group_mean(stats, everyone, metric, {}))
        label = f"mean {name}, all {len(everyone)} models with complete coverage, non-{pivot} languages"
        ev.append(Evidence(label, p, False))
        if p.value is not None:  # against: the whole CI above the line, significantly not far from parity
            checks.append(_check(p, up=False, line=PARITY_BELOW))
        for task, s in sorted(stats.items()):
            task_mean = _group_mean({task: s}, everyone, metric, {})
            ev.append(Evidence(f"mean {name} on {task}", _group_pool("every model", metric, task_mean), False))
    summary = _summary([e for e in ev if "all" in e.label])
    return Finding("far_from_parity",
                   "Cross-lingual knowledge alignment stays far from parity (RA and en-CO well below 1).",
                   _verdict(checks), summary + ". CD (XRR) is not in the prediction files and is not tested here.",
                   f"the 95% CI of the mean over all models, tasks and non-{pivot} languages lies below {PARITY_BELOW} "
                   "(RA counts chance hits: with 2 options, as in x_copa, a guessing model still gets RA near 1)", ev)


def natural_transfer(stats, deltas) -> Finding:
    """home_transfer (no training needed) changed by each strategy, pair by pair."""
    from clika.analysis.home_transfer_deltas import STRATEGY_WORDS, by_strategy, transfer_deltas

    pairs = sorted({(d.model_a, d.model_b, d.strategy) for d in deltas}, key=lambda p: (p[2] or "", p[0], p[1]))
    changes = transfer_deltas(stats, pairs)
    pooled = sorted(by_strategy(changes).items())
    ev = [Evidence(f"{STRATEGY_WORDS[k]}: mean change of home_transfer over {v.n} pair-task(s)", v) for k, v in pooled]
    ev += [Evidence(f"{r.model_ref} -> {r.model} on {r.task}", r) for r, _ in changes]
    summary = "; ".join(f"{STRATEGY_WORDS[k]}: {_fmt(v)}" for k, v in pooled)
    return Finding("home_transfer", "Training strategies raise the natural transfer of knowledge between languages "
                   "(home_transfer: facts known in their own culture's language, also known in another).",
                   _verdict([_check(v) for _, v in pooled]),
                   summary or "no registry pair on a task whose items carry their culture (x_geo, x_name)",
                   "per strategy, the mean change of home_transfer (avg over source and query languages) over its "
                   "pairs and tasks has a 95% paired-bootstrap CI above 0; home_transfer is a proxy for the "
                   "conductivity of naturally acquired knowledge, not XRR", ev)


def restrict_models(stats: dict[str, TaskStats], models: set[str] | Callable[[str, str], bool]) -> dict[str, TaskStats]:
    """The same statistics over a subset of the models (a set, or keep(model, task))."""
    keeps = models if callable(models) else (lambda model, task: model in models)
    out = {}
    for task, s in stats.items():
        if keep := [i for i, m in enumerate(s.models) if keeps(m, task)]:
            names = [s.models[i] for i in keep]
            arrays = {name: {k: v[keep] for k, v in getattr(s, name).items()} for name in ("values", "boots")}
            out[task] = replace(s, models=names, per_model={m: s.per_model[m] for m in names}, **arrays)
    return out


def compute_findings(stats: dict[str, TaskStats], deltas: list[PairDeltas], registry: FamilyRegistry, *,
                     pivot: str = PIVOT, selected: bool = False) -> list[Finding]:
    """The four testable claims, in the paper's order, then natural transfer. selected: the deltas are of the --pair
    pairs, so every claim is restricted to those pairs and their models."""
    deltas = [d for d in deltas if d.strategy is not None and registry.get(d.model_b) is not None]
    found = [continued_pretraining(deltas, registry, pivot), mixed_pretraining(stats, deltas, registry, pivot)]
    found += [instruction_tuning(deltas, pivot), far_from_parity(stats, pivot), natural_transfer(stats, deltas)]
    for f in found:
        f.n_boot = next(iter(stats.values())).n_boot if stats else 0
        if selected:
            f.rule += " (restricted to the selected --pair pairs and their models)"
            # the claims on registry pairs of one kind: continued_pretraining, instruction_tuning_en/_multilingual
            n = sum(len(registry.pairs(s)) for s in STRATEGIES if s.startswith(f.key))
            if f.verdict == "not testable" and n:
                f.summary = (f"none of the selected pairs is of this kind (the registry has {n}; run without "
                             "--pair to use every registry pair present in the data)")
    return found
