"""report.md of a conductivity run: the gate outcome in words and the xrr table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clika.conduct.evaluate import GATE_PARTS, gate_failure

if TYPE_CHECKING:
    from clika.conduct.run import ConductOptions, TargetRun


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _ci(lo: float | None, hi: float | None) -> str:
    return "" if lo is None or hi is None else f" [{lo:.3f}, {hi:.3f}]"


def write_report(runs: list[TargetRun], opts: ConductOptions, model: str, prompt_format: str, path: Path) -> Path:
    t = opts.training
    lines = [
        f"# Conductivity (XRR): {model}",
        "",
        f"Data: {opts.data}" + (f" ({opts.n_facts} facts, seed {opts.seed})" if opts.data == "generated" else ""),
        f"Training: {t.method}, {t.epochs} epochs, lr {t.lr:g}, batch {t.batch_size}"
        + (f", LoRA rank {t.lora_rank} alpha {t.lora_alpha}" if t.method == "lora" else "")
        + f", {prompt_format} prompts. Mastery gate: {opts.gate:.2f} on each part.",
        "",
        "## Mastery gate",
        "",
    ]
    for run in runs:
        failure = gate_failure(run.records)
        if run.warning:
            lines.append(f"- **{run.target}**: not scored. {run.warning}")
        elif failure:
            lines.append(f"- **{run.target}**: failed, so XRR is not measured: {failure.split('(', 1)[-1].rstrip(')')}.")
        else:
            lines.append(f"- **{run.target}**: passed (every part at least {opts.gate:.2f}).")
    header = "| target | " + " | ".join(GATE_PARTS) + " | acc_l_type1 | xrr | xrr_ctrl | train s | test s |"
    lines += ["", "## Results (95% bootstrap intervals over facts)", "", header, "|" + " --- |" * 10]
    for run in runs:
        rec = {r.metric: r for r in run.records}
        cells = [_num(rec[m].value) + _ci(rec[m].ci_low, rec[m].ci_high) for m in (*GATE_PARTS, "acc_l_type1", "xrr", "xrr_ctrl")]
        lines.append(f"| {run.target} | " + " | ".join(cells) + f" | {run.train_seconds:.0f} | {run.test_seconds:.0f} |")
    lines += ["", "xrr = acc_l(type 1) / acc_en(type 1); xrr_ctrl = acc_l(type 1) / acc_l(type 0) (METRICS.md, CD).", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
