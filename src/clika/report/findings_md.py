"""The documents of `clika compare` and `clika findings`, rendered from analysis objects: the
comparisons table, the findings (PF/CT claims and the CD claims), their header (the command as run,
what was used and left out, the verdict rule), and the compare folder they are written into.
Analysis computes; this module only writes text (docs/architecture.md, "all rendering is in report/")."""

from __future__ import annotations

import shlex
from dataclasses import MISSING, fields
from pathlib import Path

from clika.analysis.cd_claims import CDFinding
from clika.analysis.compare import ALPHA, comparison_rows, significant
from clika.analysis.findings import VERDICT_RULE, Finding
from clika.analysis.pipeline import AnalysisResult, predictions_used, write_findings_json
from clika.formatting import format_interval, format_number
from clika.items import PIVOT
from clika.metrics.record_io import write_records
from clika.predictions import Prediction
from clika.report.terminal import p_text

COMPARISONS_HEAD = "| task | lang | metric | A | B | delta | 95% CI | p | n |"
COMPARISONS_RULE = "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: |"


def comparisons_markdown(result: AnalysisResult) -> str:
    lines = ["# Paired comparisons (B minus A)", "",
             "One test per row: its p, its 95% CI and its star. Accuracy: p = exact McNemar test (two-sided binomial "
             "test of the discordant items, not mid-p), CI = the interval that inverts it (exact, on the discordant "
             "items). RA, en-CO: CI = 95% paired-bootstrap percentile interval "
             f"({result.n_boot} resamples of items, joint across languages and models, seed {result.seed}), "
             f"p = the p-value that inverts it. * = p < {ALPHA}, which is exactly when the CI excludes 0.", "",
             *(f"- note: {n}" for n in result.notes)]
    rows = comparison_rows(result.comparisons)
    for a, b, strategy in result.pairs:
        lines += ["", f"## {a} -> {b}" + (f" ({strategy})" if strategy else ""), "", COMPARISONS_HEAD, COMPARISONS_RULE]
        for c, va, vb in rows:
            if (c.model_ref, c.model) != (a, b):
                continue
            ci = format_interval(c.ci_low, c.ci_high, "+.3f") or "n/a"
            p = p_text(c, result.n_boot)
            values = f"{format_number(va and va.value)} | {format_number(vb and vb.value)}"
            delta = format_number(c.value, "+.3f") + ("*" if significant(c) else "")
            lines.append(f"| {c.task} | {c.lang} | {c.metric} | {values} | {delta} | {ci} | {p} | {c.n} |")
    return "\n".join(lines) + "\n"


def findings_markdown(findings: list[Finding], *, header: str = "") -> str:
    lines = [header.rstrip(), ""] if header else []
    for f in findings:
        columns, rows, notes = f.table()
        lines += [f"## {f.claim}", "", f"**Verdict: {f.verdict}.** {f.summary}", "", f"Rule: {f.rule}.", ""]
        lines += ["| " + " | ".join(columns) + " |", "| --- | ---: | --- | ---: | ---: |"]
        lines += [" ".join(["|"] + [f"{cell} |" if cell else "|" for cell in row]) for row in rows]
        lines.append("")
        for note in notes:
            lines += [note, ""]
    return "\n".join(lines)


def cd_findings_markdown(findings: list[CDFinding]) -> str:
    lines = ["## Conductivity (CD), from `clika conduct` results", ""]
    for f in findings:
        columns, rows, _ = f.table()
        lines += [f"### {f.claim}", "", f"**Verdict: {f.verdict}.** {f.summary}.", "", f"Rule: {f.rule}.", ""]
        lines += ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    return "\n".join(lines)


def findings_document(findings=None, cd_findings=(), *, header: str = "", notes=()) -> str:
    """A whole findings.md: the PF/CT claims under their header (findings None: a bare title with the notes), then
    the CD claims."""
    if findings is None:
        lines = "".join(f"- {n}\n" for n in notes)
        return "# Findings\n\n" + lines + ("\n" if lines else "") + cd_findings_markdown(list(cd_findings))
    text = findings_markdown(list(findings), header=header)
    if cd_findings:
        text += "\n" + cd_findings_markdown(list(cd_findings))
    return text


def write_compare_folder(result: AnalysisResult, output_dir: Path, *, findings_header: str = "",
                         cd_findings=()) -> dict[str, Path]:
    """comparisons.jsonl/.md, strategy_summary.csv, findings.md (with any CD claims) and findings.json."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: output_dir / name for name in
             ("comparisons.jsonl", "comparisons.md", "strategy_summary.csv", "findings.md", "findings.json")}
    write_records(result.comparisons, paths["comparisons.jsonl"])
    paths["comparisons.md"].write_text(comparisons_markdown(result), encoding="utf-8")
    write_records(result.summaries, paths["strategy_summary.csv"])
    paths["findings.md"].write_text(findings_document(result.findings, cd_findings, header=findings_header),
                                    encoding="utf-8")
    write_findings_json(paths["findings.json"], result.findings, cd_findings)
    return paths


# The options of CompareOptions / FindingsOptions as the command line spells them (--n-boot for n_boot), in the order
# the header's command gives them (output last, as the README writes it); results_dirs are positional.
OPTIONS = "predictions layout pairs registry tasks langs n_boot seed conduct_dirs exclude trust_labels margin output"
OPTION_FLAGS = {name: "--" + name.replace("_", "-") for name in OPTIONS.split()}
OPTION_FLAGS |= {"pairs": "--pair", "conduct_dirs": "--conduct"}
REPEATED = ("pairs", "conduct_dirs", "exclude")  # one flag per value; tasks and langs: one comma-joined value
ALWAYS = ("predictions", "output")  # given even when equal to the default, so the command names its folders


def command_line(command: str, options) -> str:
    """The command that remakes a document, rebuilt from the options it was made with (a
    CompareOptions or FindingsOptions): paths as given, every option that differs from its default."""
    defaults = {f.name: f.default for f in fields(options) if f.default is not MISSING}
    words = [str(d) for d in getattr(options, "results_dirs", ()) or ()]
    for name, flag in OPTION_FLAGS.items():
        value = getattr(options, name, None)  # an option the other command lacks is None too
        if value is None or (name not in ALWAYS and name in defaults and _same(value, defaults[name])):
            continue
        if isinstance(value, bool):
            words += [flag] if value else []
        elif name in REPEATED:
            words += [word for v in value for word in (flag, str(v))]
        elif isinstance(value, (list, tuple)):
            words += [flag, ",".join(map(str, value))] if value else []
        else:
            words += [flag, str(value)]
    return " ".join([command, *map(shlex.quote, words)])  # the command itself unquoted


def _same(value, default) -> bool:
    if isinstance(value, (list, tuple)) or isinstance(default, (list, tuple)):
        return list(value or ()) == list(default or ())
    return value == default


def findings_header(result: AnalysisResult, predictions: list[Prediction], notes: list[str], command: str) -> str:
    """A findings document's header: the command (command_line), what it used and left out (why), the verdict rule."""
    n_used, left_out = predictions_used(result, predictions)
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
    data = (f"Data: {n_used} predictions of {len(result.claim_models)} models with complete coverage on "
            f"{', '.join(sorted(result.stats))}; {len(result.pairs)} (base -> derived) pairs from the model-family "
            "registry (src/clika/analysis/families.yaml, with --registry where given). Answers: the upstream "
            f"first-character rule.{dropped}{files}")
    return "\n".join([
        "# Findings: cross-lingual knowledge alignment claims, tested on predictions", "",
        f"Generated by `{command}` (from the folder it was run in; n_boot={result.n_boot}, seed={result.seed}). "
        "Do not edit by hand: rerun the command.", "",
        data,
        "Intervals: 95% percentile bootstrap, items resampled jointly across languages and models (paired); pooled "
        "means are taken replicate by replicate. p vs. 0: the p-value that inverts the interval (p < 0.05 exactly "
        "when the 95% CI excludes 0).",
        f"Verdicts: {VERDICT_RULE}",
        *(f"- note: {w}" for w in notes + result.notes),
    ])
