"""CD across models: conduct outputs (written here with the functions `clika conduct` writes them with,
from scripted answers instead of a trained model) -> the paper's conductivity claims."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clika.analysis.cd_claims import GAIN_SHARE, cd_findings, gain_margin, load_runs
from clika.analysis.families import load_families
from clika.cli import app
from clika.conduct.fact_tests import answer_rows, outcomes_from_rows
from clika.conduct.run import ConductOptions, run_records
from clika.fictional.dataset import write_split
from clika.fictional.generator import generate
from clika.metrics.record_io import read_records, write_records

N_FACTS, N_CONTINENTS = 80, 8  # 40 type-1 facts, chance 1/8


def write_run(root: Path, model: str, target: str, l_right: int, ctrl_right: int, *, gate_ok=True) -> list:
    """One finished run: every question answered right except the target's type-1 questions (the first
    ``l_right`` right) and the controls (the first ``ctrl_right`` right); returns its records."""
    fset = generate(N_FACTS, (target,), seed=0, n_continents=N_CONTINENTS)
    split = fset.split(target)
    wrong = next(iter(split.continents.values()))[target]
    seen = {"question": 0, "en_subject": 0}
    answers = []
    for q in split.questions:
        right = True
        if q.lang == target and q.fact_type == 1:
            right = seen[q.kind] < (l_right if q.kind == "question" else ctrl_right)
            seen[q.kind] += 1
        elif q.lang == target and not gate_ok:
            right = False
        answers.append(q.gold if right else ("Nowhere" if q.gold == wrong else wrong))
    answers += [t.gold for t in split.translations]
    run_dir = root / model / f"en-{target}" / "seed0"
    run_dir.mkdir(parents=True)
    manifest = {"model": {"name": model}, "target": target, "seed": 0, "data": {"n_continents": N_CONTINENTS}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_split(split, run_dir)
    rows = answer_rows(split, answers)
    (run_dir / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (run_dir / "predictions.jsonl.complete.json").write_text("{}", encoding="utf-8")
    outcomes = outcomes_from_rows(split, rows, N_CONTINENTS)
    (run_dir / "outcomes.json").write_text(json.dumps(outcomes.to_dict()), encoding="utf-8")  # as conduct writes it
    return run_records(ConductOptions(targets=(target,), output=root, n_boot=400), model, split, outcomes, 6, True, 0)


def write_folder(root: Path, runs: list[tuple]) -> Path:
    records = [r for args in runs for r in write_run(root, *args[:4], **(args[4] if len(args) > 4 else {}))]
    write_records(records, root / "metrics.jsonl")
    return root


def test_verdicts_come_from_the_records_and_claims_from_their_rules(tmp_path):
    write_folder(tmp_path, [("gemma3-270m", "de", 12, 36), ("smollm2-135m", "de", 4, 36),
                            ("smollm2-135m", "ru", 4, 36, {"gate_ok": False})])
    runs, notes = load_runs([tmp_path])
    assert notes == [] and len(runs) == 3
    by = {(r.model, r.target): r for r in runs}
    assert by[("gemma3-270m", "de")].verdict == "weak"  # 12/40 > chance, far below the control's 36/40
    # 4/40 is not above chance 1/8, but its exact upper bound 0.237 reaches chance + 0.10: chance or weak,
    # low either way (XRR below the control)
    assert by[("smollm2-135m", "de")].verdict == "inconclusive (chance or weak)" and by[("smollm2-135m", "de")].low
    assert "margin 0.10" in by[("smollm2-135m", "de")].reason
    assert by[("smollm2-135m", "ru")].verdict == "not measured"
    # the records read back are the ones written (one implementation)
    written = {r.metric: r for r in read_records(tmp_path / "metrics.jsonl")
               if (r.model, r.lang, r.stratum) == ("gemma3-270m", "de", None)}
    assert {r.metric: r.value for r in by[("gemma3-270m", "de")].records if r.stratum is None}["xrr"] == \
        written["xrr"].value == pytest.approx(12 / 40)
    low, gain = cd_findings(runs, load_families(), n_boot=400)
    assert low.verdict == "supported" and "1 weak" in low.summary and "1 inconclusive (chance or weak)" in low.summary
    assert "smollm2-135m -> ru" in low.summary  # the failed gate is named
    (evidence,) = gain.evidence  # gemma (mixed multilingual) minus smollm2 (English-dominant lineage), paired on de
    delta = evidence.record
    assert (delta.model, delta.model_ref, delta.metric) == ("gemma3-270m", "smollm2-135m", "xrr")
    assert delta.value == pytest.approx((12 - 4) / 40) and delta.n == 40  # the type-1 facts, paired
    assert delta.ci_low > 0  # paired: the same facts in every resample
    # a gain of 0.2 with an interval that neither excludes 0.1 nor lies above it: no verdict either way
    assert gain.verdict in ("inconclusive", "not supported") and evidence.reading != "no substantial gain"


def test_a_control_at_chance_makes_the_low_claim_inconclusive(tmp_path):
    write_folder(tmp_path, [("gemma3-270m", "de", 4, 5)])
    runs, _ = load_runs([tmp_path])
    (low, _) = cd_findings(runs, load_families(), n_boot=200)
    assert runs[0].verdict == "inconclusive (control at chance)" and low.verdict == "inconclusive"


def test_no_transfer_needs_the_bound_and_the_margin_is_an_option(tmp_path):
    write_folder(tmp_path, [("gemma3-270m", "de", 1, 36)])  # 1/40: exact upper bound 0.132 < 0.125 + 0.10
    (run,), _ = load_runs([tmp_path])
    assert run.verdict == "no transfer detected" and run.low
    (strict,), _ = load_runs([tmp_path], margin=0.0)  # no margin: no bound lies below chance itself
    assert strict.verdict == "inconclusive (chance or weak)" and "margin 0.00" in strict.reason


def test_a_gain_that_matters_is_relative_to_the_room_above_chance(tmp_path):
    write_folder(tmp_path, [("gemma3-270m", "de", 8, 12), ("smollm2-135m", "de", 4, 12)])
    runs, _ = load_runs([tmp_path])
    room = 12 / 40 - 1 / 8  # the strict control's XRR (English perfect) above chance
    assert [r.room() for r in runs] == pytest.approx([room, room])
    assert gain_margin(runs) == pytest.approx(GAIN_SHARE * room) and GAIN_SHARE * room < 0.1  # relative, not 0.1
    (_, gain) = cd_findings(runs, load_families(), n_boot=200)
    assert f"a gain that matters: {GAIN_SHARE * room:.3f}" in gain.evidence[0].label
    assert "of what could be gained" in gain.rule


def test_no_measured_run_makes_the_claims_not_testable(tmp_path):
    write_folder(tmp_path, [("gemma3-270m", "de", 12, 36, {"gate_ok": False})])
    runs, _ = load_runs([tmp_path])
    assert [f.verdict for f in cd_findings(runs, load_families(), n_boot=100)] == ["not testable", "not testable"]


def test_compare_and_findings_take_conduct_folders(tmp_path, shared_data):
    write_folder(tmp_path / "cd", [("gemma3-270m", "de", 12, 36), ("smollm2-135m", "de", 4, 36)])
    runner = CliRunner()
    result = runner.invoke(app, ["compare", "--conduct", str(tmp_path / "cd"), "-o", str(tmp_path / "cmp"),
                                 "--n-boot", "100"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cmp" / "findings.md").read_text(encoding="utf-8")
    assert "Conductivity (CD)" in text and "XRR gemma3-270m -> de" in text
    # findings --conduct alone (no predictions): the CD claims only
    out = tmp_path / "cd-findings.md"
    result = runner.invoke(app, ["findings", "--conduct", str(tmp_path / "cd"), "-o", str(out), "--n-boot", "50"])
    assert result.exit_code == 0, result.output
    assert "## Conductivity (CD)" in out.read_text(encoding="utf-8") and "supported: Cross-lingual" in result.output
    out = tmp_path / "findings.md"
    result = runner.invoke(app, ["findings", "--predictions", str(shared_data), "--conduct", str(tmp_path / "cd"),
                                 "-o", str(out), "--n-boot", "50"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "## Conductivity (CD)" in text
    # how to remake it: the command as it was run, CD folders included
    assert f"`clika findings --predictions {shared_data} --n-boot 50 --conduct {tmp_path / 'cd'} --output {out}`" in text


def test_a_folder_without_runs_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["compare", "--conduct", str(tmp_path), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "not a `clika conduct` output folder" in str(result.exception)


def test_runs_of_two_conditions_stay_two_runs(tmp_path):
    """The same model and target under the paper's protocol and under names-both: two CDRuns, labelled."""
    from dataclasses import replace

    records = write_run(tmp_path, "gemma3-270m", "de", 12, 36)
    both = [replace(r, condition="names-both") for r in records]
    write_records(records + both, tmp_path / "metrics.jsonl")
    runs, _ = load_runs([tmp_path])
    assert [(r.model, r.target, r.condition, r.label) for r in runs] == [
        ("gemma3-270m", "de", None, "fictional"), ("gemma3-270m", "de", "names-both", "fictional+names-both")]
    assert all(len(r.records) == len(records) for r in runs)


def test_one_folder_keeps_every_target_written_into_it_and_a_lost_one_is_named(tmp_path):
    """A study runs one model and target per `clika conduct` call into one folder: each call replaces its
    own records in the folder's metrics.jsonl and keeps the others'. A folder whose combined file lacks a
    finished run (written before that) is read with a note naming the run, never silently without it."""
    from clika.conduct.run import TargetRun, _write_combined

    de = write_run(tmp_path, "gemma3-270m", "de", 12, 36)
    zh = write_run(tmp_path, "smollm2-135m", "zh", 4, 36)
    _write_combined(tmp_path, [TargetRun("gemma3-270m", "de", de)])
    _write_combined(tmp_path, [TargetRun("smollm2-135m", "zh", zh)], with_resamples=True)
    runs, notes = load_runs([tmp_path])
    assert notes == [] and {(r.model, r.target) for r in runs} == {("gemma3-270m", "de"), ("smollm2-135m", "zh")}
    again = [dataclasses.replace(r, note="rescored") for r in de]  # the same run judged again: replaced, not doubled
    _write_combined(tmp_path, [TargetRun("gemma3-270m", "de", again)])
    kept = read_records(tmp_path / "metrics.jsonl")
    assert len(kept) == len(de) + len(zh) and {r.note for r in kept if r.model == "gemma3-270m"} == {"rescored"}

    write_records(zh, tmp_path / "metrics.jsonl")  # as an older clika left it: the last call's records only
    runs, notes = load_runs([tmp_path])
    assert [(r.model, r.target) for r in runs] == [("smollm2-135m", "zh")]
    assert len(notes) == 1 and "gemma3-270m -> de has finished runs but no records in metrics.jsonl" in notes[0]
