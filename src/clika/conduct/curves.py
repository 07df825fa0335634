"""Learning curves of a conductivity run: every metric at every gate check.

With --until-gate the mastery gate is checked every few epochs by asking the whole test set (the target type-1 questions
and the controls too, although the gate does not use them), and every answer is kept in curve_predictions.jsonl with its
epoch. ``write_curve`` judges those answers with the same code as the final evaluation and writes curve.jsonl: one row
per epoch and metric (epoch, metric, value, n), overall values only, no intervals (one point per epoch).
"""

from __future__ import annotations

from pathlib import Path

from clika.conduct.fact_tests import outcomes_from_rows
from clika.data.lines import read_json_lines, write_json_lines
from clika.fictional.dataset import ConductSplit
from clika.metrics.cd import CD_METRICS, DIAGNOSTICS, GATE_PARTS, conductivity_records

PER_EPOCH_METRICS = (*GATE_PARTS, *CD_METRICS, *DIAGNOSTICS)


def curve_rows(split: ConductSplit, answers: list[dict], n_continents: int | None, gate_untaught: bool) -> list[dict]:
    """(epoch, metric, value, n) rows from answers tagged with their epoch (a repeated epoch, after a
    resume, keeps its last answers). XRR and the controls are shown at every epoch, gate or not."""
    by_epoch: dict[int, dict[tuple, dict]] = {}
    for row in answers:
        key = (row["kind"], row["fact_id"], row["lang"], row.get("direction"))
        by_epoch.setdefault(int(row["epoch"]), {})[key] = row
    out = []
    for epoch in sorted(by_epoch):
        outcomes = outcomes_from_rows(split, list(by_epoch[epoch].values()), n_continents)
        for r in conductivity_records(outcomes, "", gate=0.0, gate_untaught=gate_untaught, n_boot=0):
            if r.stratum is None and r.metric in PER_EPOCH_METRICS:
                out.append({"epoch": epoch, "metric": r.metric, "value": r.value, "n": r.n})
    return out


def write_curve(run_dir: Path, split: ConductSplit, n_continents: int | None, gate_untaught: bool) -> Path | None:
    """run_dir/curve.jsonl from run_dir/curve_predictions.jsonl (None when no check was made)."""
    source = Path(run_dir) / "curve_predictions.jsonl"
    if not source.is_file():
        return None
    rows = curve_rows(split, [r for _, r in read_json_lines(source)], n_continents, gate_untaught)
    return write_json_lines(rows, Path(run_dir) / "curve.jsonl")
