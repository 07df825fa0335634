"""Predictions -> comparisons, strategy summaries and findings, and the files `clika compare` writes."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from clika.analysis.compare import ALPHA, Comparison, PairDeltas, compare_models, resolve_pairs
from clika.analysis.families import FamilyRegistry
from clika.analysis.findings import Finding, compute_findings, findings_markdown, restrict_models
from clika.analysis.stats import TaskStats, build_task_stats, format_p
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
    partial: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (model, task) -> missing/cut langs
    coverage: object = None  # clika.data.coverage.Coverage of the predictions, where the caller has it
    partial_reasons: dict[tuple[str, str], str] = field(default_factory=dict)  # "no predictions in zh; x_geo/de: 1 of 2 items"

    @property
    def claim_models(self) -> list[str]:
        """The models the claims pool: those with at least one task in all its languages."""
        return sorted({m for s in self.stats.values() for m in s.models if (m, s.task) not in self.partial})


def analyse(
    predictions: list[Prediction], registry: FamilyRegistry, *, pairs: list[str] | None = None,
    tasks: list[str] | None = None, langs: list[str] | None = None,
    n_boot: int = N_BOOT, seed: int = 0, pivot: str = PIVOT,
    expected_langs: dict[str, tuple[str, ...]] | None = None,
    short: dict[tuple[str, str], dict[str, tuple[int, int]]] | None = None,
) -> AnalysisResult:
    """Paired comparisons (requested "A:B" pairs, or all registry pairs present), summaries, findings.

    The strategy summaries and the claims pool only models x tasks with complete coverage
    (clika.data.coverage: every language in ``expected_langs``, by default every language any
    model has for the task, none cut short: ``short``, Coverage.short(), "x_geo/de: 120 of 200
    items"); a partial one is still compared pair by pair, and a note names it."""
    stats, notes = build_task_stats(predictions, tasks=tasks, langs=langs, pivot=pivot, n_boot=n_boot, seed=seed)
    if not stats:
        raise DataError("no predictions left to compare (check --tasks / --langs and the pivot language)")
    langs_by_cell = {(m, s.task): s.per_model[m].langs for s in stats.values() for m in s.models}
    expected = expected_langs if expected_langs is not None else expected_langs_of(langs_by_cell, langs)
    short = short or {}
    partial = partial_cells(langs_by_cell, expected, short)
    reasons = {}
    for (model, task), langs_ in sorted(partial.items(), key=lambda kv: kv[0][::-1]):
        cut = short.get((model, task), {})
        absent = [lang for lang in langs_ if lang not in cut]
        why = ([f"no predictions in {' '.join(absent)}"] if absent else []) + \
            [f"{task}/{lang}: {n} of {n_items} items" for lang, (n, n_items) in cut.items() if lang in langs_]
        reasons[(model, task)] = "; ".join(why)
        notes.append(f"{task}: {model} is partial ({reasons[(model, task)]}): left out of the strategy summaries "
                     "and the claims")
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
                          partial, partial_reasons=reasons)


def _cell(x: float | None, spec: str = ".3f") -> str:
    return format_number(x, spec)


def comparisons_markdown(result: AnalysisResult) -> str:
    lines = ["# Paired comparisons (B minus A)", "",
             "One test per row: its p, its 95% CI and its star. Accuracy: p = exact McNemar test (two-sided "
             "binomial test of the discordant items, not mid-p), CI = the interval that inverts it (exact, on "
             "the discordant items). RA, en-CO: CI = 95% paired-bootstrap percentile interval "
             f"({result.n_boot} resamples of items, joint across languages and models, seed {result.seed}), "
             f"p = the p-value that inverts it. * = p < {ALPHA}, which is exactly when the CI excludes 0.", ""]
    lines += [f"- note: {n}" for n in result.notes]
    for a, b, strategy in result.pairs:
        rows = [c for c in result.comparisons if c.model_a == a and c.model_b == b]
        lines += ["", f"## {a} -> {b}" + (f" ({strategy})" if strategy else ""), "",
                  "| task | lang | metric | A | B | delta | 95% CI | p | n |", "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: |"]
        for c in rows:
            ci = format_interval(c.ci_low, c.ci_high, "+.3f") or "n/a"
            lines.append(f"| {c.task} | {c.lang} | {c.metric} | {_cell(c.value_a)} | {_cell(c.value_b)} | "
                         f"{_cell(c.delta, '+.3f')}{'*' if c.significant else ''} | {ci} | "
                         f"{format_p(c.p_value, result.n_boot) if c.p_method == 'bootstrap' else _cell(c.p_value, '.3g')}"
                         f" | {c.n} |")
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

    from clika.analysis.cd_claims import CDFinding

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
        from clika.analysis.cd_claims import cd_findings_markdown

        text += "\n" + cd_findings_markdown(list(cd_findings))
    paths["findings.md"].write_text(text, encoding="utf-8")
    write_findings_json(paths["findings.json"], result.findings, cd_findings)
    return paths


# The options of CompareOptions / FindingsOptions as the command line spells them, in the order the
# header's command gives them (output last, as the README writes it); results_dirs are positional.
OPTION_FLAGS = {"predictions": "--predictions", "layout": "--layout", "pairs": "--pair", "registry": "--registry",
                "tasks": "--tasks", "langs": "--langs", "n_boot": "--n-boot", "seed": "--seed",
                "conduct_dirs": "--conduct", "exclude": "--exclude", "trust_labels": "--trust-labels",
                "margin": "--margin", "output": "--output"}
REPEATED = ("pairs", "conduct_dirs", "exclude")  # one flag per value; tasks and langs: one comma-joined value
ALWAYS = ("predictions", "output")  # given even when equal to the default, so the command names its folders


def command_line(command: str, options) -> str:
    """The command that remakes a document, rebuilt from the options it was made with (a
    CompareOptions or FindingsOptions): paths as given, every option that differs from its default."""
    import shlex
    from dataclasses import MISSING, fields

    defaults = {f.name: f.default for f in fields(options) if f.default is not MISSING}
    words = [command, *(str(d) for d in getattr(options, "results_dirs", ()) or ())]
    for name, flag in OPTION_FLAGS.items():
        if not hasattr(options, name):
            continue
        value = getattr(options, name)
        if value is None or (name not in ALWAYS and name in defaults and _same(value, defaults[name])):
            continue
        if isinstance(value, bool):
            words += [flag] if value else []
        elif name in REPEATED:
            for v in value:
                words += [flag, str(v)]
        elif isinstance(value, (list, tuple)):
            words += [flag, ",".join(map(str, value))] if value else []
        else:
            words += [flag, str(value)]
    return " ".join([command, *(shlex.quote(w) for w in words[1:])])  # the command itself unquoted


def _same(value, default) -> bool:
    if isinstance(value, (list, tuple)) or isinstance(default, (list, tuple)):
        return list(value or ()) == list(default or ())
    return value == default


def predictions_used(result: AnalysisResult, predictions: list[Prediction]) -> tuple[int, dict[tuple[str, str], int]]:
    """(predictions the claims use, {(model, task): predictions left out}): the claims pool the models x
    tasks with complete coverage in the statistics; a partial model or variant, or one without the
    pivot language, is left out and not counted as used."""
    used = {(m, s.task) for s in result.stats.values() for m in s.models if (m, s.task) not in result.partial}
    n_used, left_out = 0, {}
    for p in predictions:
        if (p.model, p.task) in used:
            n_used += 1
        else:
            left_out[(p.model, p.task)] = left_out.get((p.model, p.task), 0) + 1
    return n_used, left_out


def findings_header(result: AnalysisResult, predictions: list[Prediction], notes: list[str], command: str) -> str:
    """The header of a findings document: the command that made it (command_line, as run), what it
    used, what it left out and why, and the rule of its verdicts."""
    from clika.analysis.findings import VERDICT_RULE

    n_used, left_out = predictions_used(result, predictions)
    n_models = len(result.claim_models)
    why = []
    for (model, task), n in sorted(left_out.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        reason = result.partial_reasons.get((model, task)) or (
            f"no predictions in the pivot language {PIVOT!r}"
            if task not in result.stats or model not in result.stats[task].models else "not used")
        why.append(f"{model} on {task} ({n}: {reason})")
    dropped = (f" Left out: {sum(left_out.values())} predictions of {len(left_out)} partial model-task(s), "
               f"not counted above: {'; '.join(why)}.") if left_out else ""
    skipped = result.coverage.skipped() if result.coverage is not None else []
    files = f" {len(skipped)} file(s) skipped while reading (coverage.json names each, with why)." if skipped else ""
    return "\n".join([
        "# Findings: cross-lingual knowledge alignment claims, tested on predictions", "",
        f"Generated by `{command}` (from the folder it was run in; n_boot={result.n_boot}, seed={result.seed}). "
        "Do not edit by hand: rerun the command.", "",
        f"Data: {n_used} predictions of {n_models} models with complete coverage on "
        f"{', '.join(sorted(result.stats))}; "
        f"{len(result.pairs)} (base -> derived) pairs from the model-family registry "
        "(src/clika/analysis/families.yaml, with --registry where given). Answers: the upstream "
        f"first-character rule.{dropped}{files}",
        "Intervals: 95% percentile bootstrap, items resampled jointly across languages and models "
        "(paired); pooled means are taken replicate by replicate. p vs. 0: the p-value that inverts the "
        "interval (p < 0.05 exactly when the 95% CI excludes 0).",
        f"Verdicts: {VERDICT_RULE}",
        *(f"- note: {w}" for w in notes + result.notes),
    ])
