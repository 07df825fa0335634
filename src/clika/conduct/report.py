"""report.md of a conductivity run: the gate outcome in words, then the CD table overall and
per surface-overlap stratum, every value with its 95% interval, n and the chance level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clika.formatting import format_record
from clika.metrics.conductivity import GATE_PARTS, STRATA, gate_failure

CD = ("acc_l_type1", "xrr", "xrr_ctrl", "cd_transfer")


def _cell(rec) -> str:
    if rec is None:
        return ""
    text = format_record(rec)
    return f"{text} (n={rec.n})" if rec.value is not None else text


def write_report(runs: list[Any], opts: Any, path: Path, n_continents: int | None) -> Path:
    """runs: clika.conduct.run.TargetRun; opts: its ConductOptions (run.py imports this module)."""
    chance = f"{1 / n_continents:.3f} (1/{n_continents} continents)" if n_continents else "unknown"
    names = f", {opts.names} names" if opts.data == "generated" else (" (remapped)" if opts.remap else "")
    lines = [
        "# Conductivity (CD)", "",
        f"Data: {opts.data}{names}, seed {opts.seed}. Training preset {opts.preset!r}"
        + (f" with {opts.train_overrides}" if opts.train_overrides else "")
        + (f", until the gate holds (at most {opts.max_epochs} epochs)" if opts.until_gate else "")
        + f". Mastery gate: {opts.gate:.2f} on each part. Chance level of a fact question: {chance}.", "",
        "XRR is clika's reconstruction of the paper's metric: acc_l(type 1) / acc_en(type 1); xrr_ctrl = "
        "acc_l(type 1) / acc_l(type 0); cd_transfer = among type-1 facts right in English, the share right in l. "
        "Cells: value [95% bootstrap interval over facts] (n).", "",
        "## Mastery gate", "",
    ]
    for run in runs:
        failure = gate_failure(run.records)
        head = f"- **{run.model} -> {run.target}**"
        if run.warning:
            lines.append(f"{head}: not scored. {run.warning}")
        elif failure:
            lines.append(f"{head}: failed after {run.epochs_run} epochs, so XRR is not measured: "
                         f"{failure.split('(', 1)[-1].rstrip(')')}.")
        else:
            lines.append(f"{head}: passed after {run.epochs_run} epochs (every part at least {opts.gate:.2f}).")
    header = "| model | target | " + " | ".join(GATE_PARTS + CD) + " | epochs | train s |"
    lines += ["", "## Results", "", header, "|" + " --- |" * (len(GATE_PARTS) + len(CD) + 4)]
    for run in runs:
        rec = {r.metric: r for r in run.records if r.stratum is None}
        cells = [_cell(rec.get(m)) for m in (*GATE_PARTS, *CD)]
        lines.append(f"| {run.model} | {run.target} | " + " | ".join(cells) + f" | {run.epochs_run} | "
                     f"{run.train_seconds:.0f} |")
    lines += ["", "## By surface overlap with English", "",
              "identical: the target subject or answer is spelled as in English (string retrieval can score); "
              "shared_subword: they share a subword token of the model's tokenizer; none: neither.", "",
              "| model | target | stratum | " + " | ".join(CD) + " |", "|" + " --- |" * (len(CD) + 3)]
    for run in runs:
        for stratum in STRATA:
            rec = {r.metric: r for r in run.records if r.stratum == f"overlap={stratum}"}
            if rec:
                lines.append(f"| {run.model} | {run.target} | {stratum} | "
                             + " | ".join(_cell(rec.get(m)) for m in CD) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
