"""Predictions -> comparisons, strategy summaries and findings, and the files `clika compare` writes."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from clika.analysis.compare import Comparison, PairDeltas, compare_models, resolve_pairs
from clika.analysis.findings import Finding, compute_findings, findings_markdown
from clika.analysis.registry import FamilyRegistry
from clika.analysis.stats import TaskStats, build_task_matrices, task_stats
from clika.analysis.strategy import StrategySummary, summarise_strategies
from clika.errors import DataError
from clika.predictions import Prediction


@dataclass
class AnalysisResult:
    stats: dict[str, TaskStats]
    pairs: list[tuple[str, str, str | None]]
    comparisons: list[Comparison]
    deltas: list[PairDeltas]
    summaries: list[StrategySummary]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    n_boot: int = 1000
    seed: int = 0


def analyse(
    predictions: list[Prediction], registry: FamilyRegistry, *, pairs: list[str] | None = None,
    tasks: list[str] | None = None, langs: list[str] | None = None,
    n_boot: int = 1000, seed: int = 0, pivot: str = "en",
) -> AnalysisResult:
    """Paired comparisons (requested "A:B" pairs, or all registry pairs present), summaries, findings."""
    matrices, notes = build_task_matrices(predictions, tasks=tasks, langs=langs, pivot=pivot)
    if not matrices:
        raise DataError("no predictions left to compare (check --tasks / --langs and the pivot language)")
    stats = {t: task_stats(m, n_boot=n_boot, seed=seed, pivot=pivot) for t, m in matrices.items()}
    chosen, pair_notes = resolve_pairs(stats, registry, pairs)
    comparisons, deltas = compare_models(stats, chosen)
    summaries = summarise_strategies(deltas, registry, pivot=pivot)
    findings = compute_findings(stats, deltas, registry, pivot=pivot)
    return AnalysisResult(stats, chosen, comparisons, deltas, summaries, findings, notes + pair_notes, n_boot, seed)


def _cell(x: float | None, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def comparisons_markdown(result: AnalysisResult) -> str:
    lines = ["# Paired comparisons (B minus A)", "",
             f"95% paired-bootstrap CIs ({result.n_boot} resamples of items, joint across languages and models, "
             f"seed {result.seed}). p: accuracy = exact McNemar test on the discordant items; "
             "RA and en-CO = two-sided bootstrap p-value.", ""]
    lines += [f"- note: {n}" for n in result.notes]
    for a, b, strategy in result.pairs:
        rows = [c for c in result.comparisons if c.model_a == a and c.model_b == b]
        lines += ["", f"## {a} -> {b}" + (f" ({strategy})" if strategy else ""), "",
                  "| task | lang | metric | A | B | delta | 95% CI | p | n |", "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: |"]
        for c in rows:
            ci = "n/a" if c.ci_low is None else f"[{c.ci_low:+.3f}, {c.ci_high:+.3f}]"
            lines.append(f"| {c.task} | {c.lang} | {c.metric} | {_cell(c.value_a)} | {_cell(c.value_b)} | "
                         f"{_cell(c.delta, '+.3f')} | {ci} | {_cell(c.p_value, '.3g')} | {c.n} |")
    return "\n".join(lines) + "\n"


def write_outputs(result: AnalysisResult, output_dir: Path, *, findings_header: str = "") -> dict[str, Path]:
    """comparisons.jsonl (tidy), comparisons.md, strategy_summary.csv, findings.md."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: output_dir / name for name in
             ("comparisons.jsonl", "comparisons.md", "strategy_summary.csv", "findings.md")}
    with paths["comparisons.jsonl"].open("w", encoding="utf-8") as fh:
        for c in result.comparisons:
            fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    paths["comparisons.md"].write_text(comparisons_markdown(result), encoding="utf-8")
    fields = list(StrategySummary.__dataclass_fields__)
    with paths["strategy_summary.csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for s in result.summaries:
            writer.writerow({k: "" if v is None else v for k, v in s.to_dict().items()})
    paths["findings.md"].write_text(findings_markdown(result.findings, header=findings_header), encoding="utf-8")
    return paths
