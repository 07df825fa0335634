"""report.md of a conductivity run: the protocol, the gate in words, the CD table with the controls
and the verdict, per subject-overlap stratum, every value with its 95% interval, n and chance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clika.formatting import format_record
from clika.metrics.conductivity import GATE_PARTS, STRATA, cd_verdict, detectable_accuracy, gate_failure

CD = ("acc_l_type1", "xrr", "xrr_ctrl", "cd_transfer", "xrr_en_subject", "xrr_en_answer", "control_gap")
DIAG = ("name_copy_rate", "name_untaught", "multi_answer")


def _cell(rec) -> str:
    if rec is None:
        return ""
    text = format_record(rec)
    if rec.value is None:
        return text
    p = f", p={rec.p_value:.3g}" if rec.p_value is not None else ""
    return f"{text} (n={rec.n}{p})"


def write_report(runs: list[Any], opts: Any, path: Path) -> Path:
    """runs: clika.conduct.run.TargetRun; opts: its ConductOptions (run.py imports this module)."""
    names = f", {opts.names} names" if opts.data == "generated" else (" (remapped)" if opts.remap else "")
    seeds = ", ".join(map(str, opts.seeds))
    lines = [
        "# Conductivity (CD)", "",
        f"Data: {opts.data}{names}, seed(s) {seeds}; facts taught in {opts.source}, names taught "
        f"{opts.name_direction} (\"en\" = {opts.source}). Training preset {opts.preset!r}"
        + (f" with {opts.train_overrides}" if opts.train_overrides else "")
        + (f", until the gate holds (at most {opts.max_epochs} epochs)" if opts.until_gate else "")
        + f". Mastery gate: {opts.gate:.2f} on each part"
        + (" (the untaught name direction too)" if opts.gate_untaught else "") + ".", "",
        "XRR = acc_l(type 1) / acc_en(type 1) (clika's reconstruction of the paper's metric); xrr_ctrl = "
        "acc_l(type 1) / acc_l(type 0); cd_transfer = among type-1 facts right in the source language, the share "
        "right in l. Controls: xrr_en_subject asks l's question with the source-language subject (the positive "
        "control), xrr_en_answer accepts the source-language answer too; control_gap = xrr_en_subject - xrr. "
        "Cells: value [95% bootstrap interval over facts] (n, p = one-sided binomial test of the accuracy "
        "against chance).", "",
        "## Verdicts", "",
    ]
    for run in runs:
        head = f"- **{run.model} -> {run.target}**"
        if run.warning:
            lines.append(f"{head}: not scored. {run.warning}")
            continue
        verdict = cd_verdict(run.records)
        rec = {r.metric: r for r in run.records if r.stratum is None}
        acc = rec.get("acc_l_type1")
        chance = acc.chance if acc else None
        power = detectable_accuracy(acc.n, chance) if acc else None
        size = (f" With n={acc.n} type-1 facts and chance {chance:.3f}, the test against chance detects an "
                f"accuracy of {power:.2f} or more with 80% power." if acc and chance and power else "")
        failure = gate_failure(run.records)
        gate = (f"gate failed after {run.epochs_run} epochs: {failure.split('(', 1)[-1].rstrip(')')}" if failure
                else f"gate passed after {run.epochs_run} epochs")
        lines.append(f"{head}: **{verdict.label}** — {verdict.reason}. ({gate}; evaluated {run.evaluated_at}.)"
                     + size)
    header = "| model | target | " + " | ".join((*GATE_PARTS, *DIAG)) + " | epochs | train s | test s |"
    lines += ["", "## Gate and diagnostics", "", header, "|" + " --- |" * (len(GATE_PARTS) + len(DIAG) + 5)]
    for run in runs:
        rec = {r.metric: r for r in run.records if r.stratum is None}
        cells = [_cell(rec.get(m)) for m in (*GATE_PARTS, *DIAG)]
        lines.append(f"| {run.model} | {run.target} | " + " | ".join(cells) + f" | {run.epochs_run} | "
                     f"{run.train_seconds:.0f} | {run.test_seconds:.0f} |")
    lines += ["", "## CD with its controls, overall and by subject overlap with the source language", "",
              "identical: the target subject is spelled as in the source language; cognate: their character "
              "trigrams overlap (Dice >= 0.3); none: below that. Tokenizer-independent, so a fact is in the same "
              "stratum for every model.", "",
              "| model | target | stratum | " + " | ".join(CD) + " |", "|" + " --- |" * (len(CD) + 3)]
    for run in runs:
        for stratum in (None, *STRATA):
            rec = {r.metric: r for r in run.records if r.stratum == (stratum and f"overlap={stratum}")}
            if rec and "xrr" in rec:
                lines.append(f"| {run.model} | {run.target} | {stratum or 'all'} | "
                             + " | ".join(_cell(rec.get(m)) for m in CD) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
