"""Predictions -> comparisons, strategy summaries and findings, and the files `clika compare` writes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from clika.analysis.cd_claims import CDFinding
from clika.analysis.compare import PairDeltas, compare_models, resolve_pairs
from clika.analysis.families import FamilyRegistry
from clika.analysis.findings import Finding, compute_findings, restrict_models
from clika.analysis.stats import TaskStats, build_task_stats
from clika.analysis.strategy import summarise_strategies
from clika.data.coverage import expected_langs_of, partial_cells
from clika.errors import DataError
from clika.items import PIVOT
from clika.metrics.bootstrap import N_BOOT
from clika.metrics.records import Record
from clika.predictions import Prediction


@dataclass
class AnalysisResult:
    stats: dict[str, TaskStats]
    pairs: list[tuple[str, str, str | None]]
    comparisons: list[Record]  # clika.analysis.compare.comparison_rows reads them as rows
    deltas: list[PairDeltas]
    summaries: list[Record]  # strategy pools (clika.analysis.strategy.summarise_strategies)
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    n_boot: int = N_BOOT
    seed: int = 0
    partial: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (model, task) -> missing/cut langs
    coverage: object = None  # clika.data.coverage.Coverage of the predictions, where the caller has it
    # (model, task) -> why it is partial: "no predictions in zh; x_geo/de: 1 of 2 items"
    partial_reasons: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def claim_models(self) -> list[str]:
        """The models the claims pool: those with at least one task in all its languages."""
        return sorted({m for s in self.stats.values() for m in s.models if (m, s.task) not in self.partial})


def analyse(predictions: list[Prediction], registry: FamilyRegistry, *, pairs: list[str] | None = None,
            tasks: list[str] | None = None, langs: list[str] | None = None, n_boot: int = N_BOOT, seed: int = 0,
            pivot: str = PIVOT, expected_langs: dict[str, tuple[str, ...]] | None = None,
            short: dict[tuple[str, str], dict[str, tuple[int, int]]] | None = None) -> AnalysisResult:
    """Paired comparisons (requested "A:B" pairs, or all registry pairs present), summaries, findings. The summaries
    and claims pool only models x tasks with complete coverage (every language in ``expected_langs``, by default every
    language any model has for the task; none cut short: ``short``, Coverage.short()); a partial one is still
    compared pair by pair, and a note names it."""
    stats, notes = build_task_stats(predictions, tasks=tasks, langs=langs, pivot=pivot, n_boot=n_boot, seed=seed)
    if not stats:
        raise DataError("no predictions left to compare (check --tasks / --langs and the pivot language)")
    langs_by_cell = {(m, s.task): s.per_model[m].langs for s in stats.values() for m in s.models}
    expected = expected_langs if expected_langs is not None else expected_langs_of(langs_by_cell, langs)
    short = short or {}
    partial = partial_cells(langs_by_cell, expected, short)
    reasons = {}
    for (model, task), missing in sorted(partial.items(), key=lambda kv: kv[0][::-1]):
        cut = short.get((model, task), {})
        absent = [lang for lang in missing if lang not in cut]
        why = [f"no predictions in {' '.join(absent)}"] if absent else []
        why += [f"{task}/{lang}: {n} of {n_items} items" for lang, (n, n_items) in cut.items() if lang in missing]
        reason = reasons[(model, task)] = "; ".join(why)
        notes.append(f"{task}: {model} is partial ({reason}): left out of the strategy summaries and the claims")
    chosen, pair_notes = resolve_pairs(stats, registry, pairs)
    comparisons, deltas = compare_models(stats, chosen)
    pooled = [d for d in deltas if (d.model_a, d.task) not in partial and (d.model_b, d.task) not in partial]
    summaries = summarise_strategies(pooled, registry, pivot=pivot)
    claim_stats = restrict_models(stats, lambda model, task: (model, task) not in partial)
    if pairs:  # the claims are about the selected pairs only, not every model in the data
        selected = {m for a, b, _ in chosen for m in (a, b)}
        claim_stats = restrict_models(claim_stats, lambda model, task: model in selected)
    findings = compute_findings(claim_stats, pooled, registry, pivot=pivot, selected=bool(pairs))
    notes += pair_notes
    return AnalysisResult(stats, chosen, comparisons, deltas, summaries, findings, notes, n_boot, seed, partial,
                          partial_reasons=reasons)


FINDINGS_JSON_FORMAT = 2  # 2: evidence values as Records


def write_findings_json(path: Path, findings=(), cd_findings=()) -> Path:
    """findings.json: the Finding / CDFinding objects findings.md is written from, as data for the HTML report."""
    findings_data, cd_data = [f.to_dict() for f in findings], [f.to_dict() for f in cd_findings]
    data = {"format": FINDINGS_JSON_FORMAT, "findings": findings_data, "cd_findings": cd_data}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_findings_json(path: Path) -> tuple[list[Finding], list]:
    """(findings, CD findings) of a findings.json; a file it cannot read is a one-line DataError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FINDINGS_JSON_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FINDINGS_JSON_FORMAT}")
        return [Finding.from_dict(f) for f in data["findings"]], [CDFinding.from_dict(f) for f in data["cd_findings"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        message = f"unreadable findings file ({type(err).__name__}: {err}); rerun `clika compare`"
        raise DataError(message, path) from None


def predictions_used(result: AnalysisResult, predictions: list[Prediction]) -> tuple[int, dict[tuple[str, str], int]]:
    """(predictions the claims use, {(model, task): predictions left out}): a partial model or variant, or one
    without the pivot language, is left out."""
    used = {(m, s.task) for s in result.stats.values() for m in s.models if (m, s.task) not in result.partial}
    cells = [(p.model, p.task) for p in predictions]
    return sum(cell in used for cell in cells), dict(Counter(cell for cell in cells if cell not in used))
