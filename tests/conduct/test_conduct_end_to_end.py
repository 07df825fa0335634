"""`clika conduct` end to end on a tiny randomly initialised model built in the test (CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from clika.cli import app
from clika.conduct.run import ConductOptions, conduct
from clika.conduct.train import TrainConfig


@pytest.fixture(autouse=True)
def one_thread():
    # Two shared cores: OpenMP threads spinning against each other make tiny models 10x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _records(out: Path) -> dict[str, dict]:
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    return {(r["lang"], r["metric"]): r for r in rows}


def test_tiny_model_memorises_facts_gate_passes_and_xrr_is_measured(tiny_lm_dir, tmp_path):
    out = tmp_path / "run"
    args = ["conduct", "--model", str(tiny_lm_dir), "--target", "de", "--facts", "6", "--epochs", "40",
            "--lr", "3e-3", "--full-finetune", "--quiet", "--output", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    recs = _records(out)
    for part in ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation"):
        assert recs[("de", part)]["value"] >= 0.9, recs[("de", part)]
    assert recs[("de", "gate_en_type0")]["n"] == 3 and recs[("de", "gate_translation")]["n"] == 6 + 2
    # xrr is measured: acc_de(type 1) / acc_en(type 1), recomputed here from the answers file
    answers = [json.loads(x) for x in (out / "answers" / "de.jsonl").read_text(encoding="utf-8").splitlines()]
    type1 = {(a["lang"], a["fact_id"]): a["correct"] for a in answers if a.get("fact_type") == 1}
    acc = lambda lang: sum(v for (lg, _), v in type1.items() if lg == lang) / 3  # noqa: E731
    assert recs[("de", "xrr")]["value"] == pytest.approx(acc("de") / acc("en"))
    assert recs[("de", "acc_l_type1")]["value"] == pytest.approx(acc("de"))
    assert (out / "adapter" / "de" / "model.safetensors").is_file()
    assert "**de**: passed" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "fictional_set" / "facts.jsonl").is_file()


def test_lora_gate_failure_says_which_part_failed(tiny_lm_dir, tmp_path):
    # One LoRA epoch on a random base model cannot memorise anything: the gate must fail.
    opts = ConductOptions(targets=("zh",), output=tmp_path / "run", model=str(tiny_lm_dir), n_facts=6,
                          training=TrainConfig(method="lora", epochs=1, lr=1e-4, progress=False))  # fmt: skip
    (run,) = conduct(opts, log=lambda line: None)
    recs = {r.metric: r for r in run.records}
    failed = [m for m in ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation") if recs[m].value < 0.9]
    assert failed and recs["xrr"].value is None and recs["xrr_ctrl"].value is None
    note = recs["xrr"].note
    assert note.startswith("not measured: the mastery gate failed (")
    words = {"gate_en_type0": "English type 0", "gate_en_type1": "English type 1", "gate_l_type0": "zh type 0",
             "gate_translation": "name translation"}  # fmt: skip
    for m in failed:
        assert f"{words[m]} {recs[m].value:.2f} < 0.90" in note
    assert (opts.output / "adapter" / "zh" / "adapter_config.json").is_file()  # a peft adapter was saved
    assert "failed, so XRR is not measured" in (opts.output / "report.md").read_text(encoding="utf-8")


def test_upstream_zh_mismatch_is_reported_not_scored(tiny_lm_dir, tmp_path, shared_data):
    out = tmp_path / "up"
    args = ["conduct", "--model", str(tiny_lm_dir), "--data", "upstream", "--data-dir", str(shared_data),
            "--target", "zh", "--quiet", "--output", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    recs = _records(out)
    assert all(r["value"] is None and "ZH.json" in r["note"] for r in recs.values())
    assert len(recs) == 7 and not (out / "adapter").exists()  # nothing trained on inconsistent data
    assert "**zh**: not scored" in (out / "report.md").read_text(encoding="utf-8")


def test_cli_bad_target_is_one_line_error(tiny_lm_dir, tmp_path):
    clika = Path(sys.executable).parent / "clika"
    proc = subprocess.run([str(clika), "conduct", "--model", str(tiny_lm_dir), "--target", "xx",
                           "--output", str(tmp_path / "o")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("error: targets must be among")
