"""CD across models: conduct outputs (written here by hand, as `clika conduct` writes them) -> the
paper's conductivity claims, with paired intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clika.analysis.conductivity import cd_findings, load_runs
from clika.analysis.registry import load_registry
from clika.cli import app
from clika.metrics.conductivity import conductivity_records


def write_run(root: Path, model: str, target: str, en1, l1, *, gate_ok=True, n0=6) -> Path:
    run = root / model / target
    run.mkdir(parents=True)
    manifest = {"model": {"name": model}, "target": target, "gate": 0.9,
                "data": {"origin": "generated(seed=0)", "n_continents": 4}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rows = []
    for i, (e, g) in enumerate(zip(en1, l1)):
        rows += [dict(kind="question", fact_id=f"t1-{i}", lang="en", fact_type=1, correct=bool(e)),
                 dict(kind="question", fact_id=f"t1-{i}", lang=target, fact_type=1, correct=bool(g), stratum="none")]
    for i in range(n0):
        rows += [dict(kind="question", fact_id=f"t0-{i}", lang="en", fact_type=0, correct=True),
                 dict(kind="question", fact_id=f"t0-{i}", lang=target, fact_type=0, correct=gate_ok, stratum="none")]
    rows += [dict(kind="translation", fact_id=f"n{i}", lang=target, correct=True) for i in range(4)]
    (run / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (run / "predictions.jsonl.complete.json").write_text("{}", encoding="utf-8")
    return run


EN = [1] * 10
GEMMA_DE = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]  # xrr 0.3
SMOL_DE = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # xrr 0.1


def test_runs_reproduce_the_conduct_records_and_claims_are_decided_by_their_rules(tmp_path):
    write_run(tmp_path, "gemma3-270m", "de", EN, GEMMA_DE)
    write_run(tmp_path, "smollm2-135m", "de", EN, SMOL_DE)
    write_run(tmp_path, "smollm2-135m", "ru", EN, SMOL_DE, gate_ok=False)  # gate fails: listed, not used
    runs, notes = load_runs([tmp_path], n_boot=400, seed=0)
    assert notes == [] and len(runs) == 3
    gemma = next(r for r in runs if r.model == "gemma3-270m")
    # the same numbers clika conduct records: one implementation
    recs = {r.metric: r for r in conductivity_records(gemma.outcomes, "gemma3-270m", n_boot=400) if r.stratum is None}
    assert gemma.samples["xrr"][0] == pytest.approx(recs["xrr"].value) == pytest.approx(0.3)
    low, gain = cd_findings(runs, load_registry())
    assert low.verdict == "supported"  # both measured XRRs have a CI below 0.9
    assert "smollm2-135m -> ru" in low.summary  # the failed gate is named
    (delta,) = gain.evidence  # gemma (mixed multilingual) minus smollm2 (English-dominant lineage), paired on de
    assert delta.value == pytest.approx(0.3 - 0.1) and delta.n == 1
    # paired: both runs draw the same facts, so every resample difference is (#gemma-only - #smol-only) / 10
    assert delta.ci_low >= 0.0 and gain.verdict in ("supported", "not supported")
    assert gain.verdict == ("not supported" if delta.ci_low > 0.1 else "supported")


def test_no_measured_run_makes_the_claims_not_testable(tmp_path):
    write_run(tmp_path, "gemma3-270m", "de", EN, GEMMA_DE, gate_ok=False)
    runs, _ = load_runs([tmp_path], n_boot=100)
    assert [f.verdict for f in cd_findings(runs, load_registry())] == ["not testable", "not testable"]


def test_compare_and_findings_take_conduct_folders(tmp_path, shared_data):
    write_run(tmp_path / "cd", "gemma3-270m", "de", EN, GEMMA_DE)
    write_run(tmp_path / "cd", "smollm2-135m", "de", EN, SMOL_DE)
    runner = CliRunner()
    result = runner.invoke(app, ["compare", "--conduct", str(tmp_path / "cd"), "-o", str(tmp_path / "cmp"),
                                 "--n-boot", "100"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cmp" / "findings.md").read_text(encoding="utf-8")
    assert "Conductivity (CD)" in text and "XRR gemma3-270m -> de" in text
    out = tmp_path / "findings.md"
    result = runner.invoke(app, ["findings", "--predictions", str(shared_data), "--conduct", str(tmp_path / "cd"),
                                 "-o", str(out), "--n-boot", "50"])
    assert result.exit_code == 0, result.output
    assert "## Conductivity (CD)" in out.read_text(encoding="utf-8")


def test_a_folder_without_runs_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["compare", "--conduct", str(tmp_path), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "not a `clika conduct` output folder" in str(result.exception)
