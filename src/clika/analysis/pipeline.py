"""Predictions -> comparisons, strategy summaries and findings, and the files `clika compare` writes."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from clika.analysis.compare import Comparison, PairDeltas, compare_models, resolve_pairs
from clika.analysis.families import FamilyRegistry
from clika.analysis.findings import Finding, compute_findings, findings_markdown, restrict_models
from clika.analysis.stats import TaskStats, build_task_stats
from clika.analysis.strategy import StrategySummary, summarise_strategies
from clika.data.coverage import expected_langs_of, partial_cells
from clika.data.lines import write_json_lines
from clika.errors import DataError
from clika.formatting import format_interval, format_number
from clika.items import PIVOT
from clika.metrics.bootstrap import N_BOOT
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
    n_boot: int = N_BOOT
    seed: int = 0
    partial: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (model, task) -> missing langs
    coverage: object = None  # clika.data.coverage.Coverage of the predictions, where the caller has it

    @property
    def claim_models(self) -> list[str]:
        """The models the claims pool: those with at least one task in all its languages."""
        return sorted({m for s in self.stats.values() for m in s.models if (m, s.task) not in self.partial})


def analyse(
    predictions: list[Prediction], registry: FamilyRegistry, *, pairs: list[str] | None = None,
    tasks: list[str] | None = None, langs: list[str] | None = None,
    n_boot: int = N_BOOT, seed: int = 0, pivot: str = PIVOT,
    expected_langs: dict[str, tuple[str, ...]] | None = None,
) -> AnalysisResult:
    """Paired comparisons (requested "A:B" pairs, or all registry pairs present), summaries, findings.

    The strategy summaries and the claims pool only models x tasks with complete coverage
    (clika.data.coverage: every language in ``expected_langs``, by default every language any
    model has for the task); a partial one is still compared pair by pair, and a note names it."""
    stats, notes = build_task_stats(predictions, tasks=tasks, langs=langs, pivot=pivot, n_boot=n_boot, seed=seed)
    if not stats:
        raise DataError("no predictions left to compare (check --tasks / --langs and the pivot language)")
    langs_by_cell = {(m, s.task): s.per_model[m].langs for s in stats.values() for m in s.models}
    expected = expected_langs if expected_langs is not None else expected_langs_of(langs_by_cell, langs)
    partial = partial_cells(langs_by_cell, expected)
    notes += [f"{task}: {model} is partial (no predictions in {' '.join(missing)}): left out of the strategy "
              "summaries and the claims" for (model, task), missing in sorted(partial.items(), key=lambda kv: kv[0][::-1])]
    chosen, pair_notes = resolve_pairs(stats, registry, pairs)
    comparisons, deltas = compare_models(stats, chosen)
    pooled = [d for d in deltas if (d.model_a, d.task) not in partial and (d.model_b, d.task) not in partial]
    summaries = summarise_strategies(pooled, registry, pivot=pivot)
    claim_stats = restrict_models(stats, lambda model, task: (model, task) not in partial)
    if pairs:  # the claims are about the selected pairs only, not every model in the data
        selected = {m for a, b, _ in chosen for m in (a, b)}
        claim_stats = restrict_models(claim_stats, lambda model, task: model in selected)
    findings = compute_findings(claim_stats, pooled, registry, pivot=pivot, selected=bool(pairs))
    return AnalysisResult(stats, chosen, comparisons, deltas, summaries, findings, notes + pair_notes, n_boot, seed,
                          partial)


def _cell(x: float | None, spec: str = ".3f") -> str:
    return format_number(x, spec)


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
            ci = format_interval(c.ci_low, c.ci_high, "+.3f") or "n/a"
            lines.append(f"| {c.task} | {c.lang} | {c.metric} | {_cell(c.value_a)} | {_cell(c.value_b)} | "
                         f"{_cell(c.delta, '+.3f')} | {ci} | {_cell(c.p_value, '.3g')} | {c.n} |")
    return "\n".join(lines) + "\n"


FINDINGS_JSON_FORMAT = 1


def write_findings_json(path: Path, findings=(), cd_findings=()) -> Path:
    """findings.json: the same Finding / CDFinding objects findings.md is written from, as data, so the
    HTML report renders them as HTML (read_findings_json reads them back)."""
    import json

    data = {"format": FINDINGS_JSON_FORMAT, "findings": [f.to_dict() for f in findings],
            "cd_findings": [f.to_dict() for f in cd_findings]}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_findings_json(path: Path) -> tuple[list[Finding], list]:
    """(findings, CD findings) of a findings.json; a file it cannot read is a one-line DataError."""
    import json

    from clika.analysis.conductivity import CDFinding

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FINDINGS_JSON_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FINDINGS_JSON_FORMAT}")
        return ([Finding.from_dict(f) for f in data["findings"]],
                [CDFinding.from_dict(f) for f in data["cd_findings"]])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise DataError(f"unreadable findings file ({type(err).__name__}: {err}); rerun `clika compare`",
                        path) from None


def write_outputs(result: AnalysisResult, output_dir: Path, *, findings_header: str = "",
                  cd_findings=()) -> dict[str, Path]:
    """comparisons.jsonl (tidy), comparisons.md, strategy_summary.csv, findings.md (with the CD claims
    when conduct results were given) and findings.json (the same findings as data)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: output_dir / name for name in
             ("comparisons.jsonl", "comparisons.md", "strategy_summary.csv", "findings.md", "findings.json")}
    write_json_lines((c.to_dict() for c in result.comparisons), paths["comparisons.jsonl"])
    paths["comparisons.md"].write_text(comparisons_markdown(result), encoding="utf-8")
    fields = list(StrategySummary.__dataclass_fields__)
    with paths["strategy_summary.csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for s in result.summaries:
            writer.writerow({k: "" if v is None else v for k, v in s.to_dict().items()})
    text = findings_markdown(result.findings, header=findings_header)
    if cd_findings:
        from clika.analysis.conductivity import cd_findings_markdown

        text += "\n" + cd_findings_markdown(list(cd_findings))
    paths["findings.md"].write_text(text, encoding="utf-8")
    write_findings_json(paths["findings.json"], result.findings, cd_findings)
    return paths


FINDINGS_COMMAND = "clika findings --predictions ../shared/clika-data --output docs/findings.md"


def findings_header(result: AnalysisResult, n_predictions: int, notes: list[str], conduct_dirs=()) -> str:
    """The header of a findings document: what it was made from, and how to remake it (with the
    `clika conduct` folders its CD claims were tested on)."""
    command = FINDINGS_COMMAND.replace(" --output", "".join(f" --conduct {d}" for d in conduct_dirs) + " --output")
    n_models = len(result.claim_models)
    everyone = {m for s in result.stats.values() for m in s.models}
    if result.coverage is not None:  # also the runs left out before the statistics (no English at all)
        everyone |= set(result.coverage.tasks_by_model())
    partial = sorted(everyone - set(result.claim_models))
    left_out = f" (partial, left out: {', '.join(partial)})" if partial else ""
    return "\n".join([
        "# Findings: cross-lingual knowledge alignment claims, tested on the shared predictions", "",
        f"Generated by `{command}` (from the repository root; n_boot={result.n_boot}, seed={result.seed}). "
        "Do not edit by hand: rerun the command.", "",
        f"Data: {n_predictions} predictions of {n_models} models with complete coverage{left_out} on "
        f"{', '.join(sorted(result.stats))}; "
        f"{len(result.pairs)} (base -> derived) pairs from the model-family registry "
        "(src/clika/analysis/families.yaml). Answers: the upstream first-character rule.",
        "Intervals: 95% percentile bootstrap, items resampled jointly across languages and models "
        "(paired); pooled means are taken replicate by replicate.",
        *(f"- note: {w}" for w in notes + result.notes),
    ])
