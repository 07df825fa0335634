"""The conductivity study kept in git (benchmarks/results/cd-study, written by benchmarks/cd_study.sh) agrees with
the code: every finished run's stored answers, judged by today's judge, give its outcomes.json, and those outcomes
give its metrics.jsonl values. A change of the judge or of a CD formula that would change a number the docs quote
fails here; rerunning the study then re-judges the stored answers without retraining (nothing is trained here)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from clika.conduct.fact_tests import outcomes_from_rows
from clika.conduct.run import ConductOptions, run_records
from clika.data.lines import read_json_lines
from clika.fictional.dataset import read_split
from clika.metrics.cd import FactOutcomes
from clika.metrics.record_io import read_records

STUDY = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "cd-study"
RUNS = sorted(p.parent for p in STUDY.glob("*/*/*/seed*/outcomes.json"))


def test_the_study_folder_holds_finished_runs_without_weights():
    assert RUNS, f"no finished run under {STUDY}"
    for run in RUNS:
        assert (run / "adapter" / ".complete.json").is_file() and (run / "predictions.jsonl.complete.json").is_file()
    # what a run writes beside its results stays out of git; what re-judging needs is kept
    run = RUNS[0].relative_to(STUDY)
    weights = [run / "adapter" / "adapter_model.safetensors", run / "checkpoints" / "checkpoint-1" / "optimizer.pt"]
    kept = [run / "adapter" / ".complete.json", run / "predictions.jsonl"]
    ignored = subprocess.run(["git", "check-ignore", *map(str, weights + kept)], cwd=STUDY, capture_output=True,
                             text=True).stdout.split()
    assert sorted(ignored) == sorted(map(str, weights))


@pytest.mark.parametrize("run", RUNS, ids=[str(r.relative_to(STUDY)) for r in RUNS])
def test_a_study_run_rejudged_gives_its_stored_outcomes_and_metrics(run):
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    split = read_split(run, manifest["target"])
    rows = [row for _, row in read_json_lines(run / "predictions.jsonl")]
    rejudged = outcomes_from_rows(split, rows, manifest["data"]["n_continents"])
    stored = json.loads((run / "outcomes.json").read_text(encoding="utf-8"))
    assert rejudged.to_dict() == FactOutcomes.from_dict(stored).to_dict()

    training = json.loads((run / "adapter" / ".complete.json").read_text(encoding="utf-8"))
    opts = ConductOptions(targets=(manifest["target"],), output=run, gate=manifest["gate"], n_boot=200)
    recomputed = run_records(opts, manifest["model"]["name"], split, rejudged, training["epochs_run"],
                             training["stopped_early"], manifest["seed"])
    key = lambda r: (r.metric, r.lang, r.stratum)  # noqa: E731
    written = {key(r): r for r in read_records(run / "metrics.jsonl")}
    assert set(written) == {key(r) for r in recomputed}
    for r in recomputed:  # point values and counts (interval ends of ratios depend on the resample count)
        assert (written[key(r)].value, written[key(r)].n) == pytest.approx((r.value, r.n), nan_ok=True), key(r)


@pytest.mark.parametrize("run", RUNS, ids=[str(r.relative_to(STUDY)) for r in RUNS])
def test_the_docs_study_table_quotes_the_kept_run(run):
    """docs/conductivity.md's study table row of a kept run quotes its counts: epochs to the gate, acc_l_type1 and
    the strict positive control (k/n), so the docs cannot drift from the folder."""
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    outcomes = FactOutcomes.from_dict(json.loads((run / "outcomes.json").read_text(encoding="utf-8")))
    epochs = json.loads((run / "adapter" / ".complete.json").read_text(encoding="utf-8"))["epochs_run"]
    start = f"| {manifest['model']['name']} | {manifest['target']} | {manifest['seed']} | "
    doc = (STUDY.parents[2] / "docs" / "conductivity.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith(start)]
    assert len(rows) == 1, f"no single study-table row starts with {start!r}"
    n = len(outcomes.l_type1)
    assert rows[0].startswith(f"{start}{epochs} |")
    assert f"({int(outcomes.l_type1.sum())}/{n}, " in rows[0]
    assert f"({int(outcomes.ctrl_type1_strict.sum())}/{n}, " in rows[0]
