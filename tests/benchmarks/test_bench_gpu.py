"""benchmarks/gpu.py end to end on the CPU, the way a device would run it: --prepare here (items,
tokenizer, counts), then the one-line command on the prepared folder, tiny shape, 16 items.
No timing is asserted: every figure must exist and be positive, and the run must import none of
clika's dependencies that the accelerator machines lack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from numbers import Number
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu.py"
# clika's dependencies (and extras) that the device image does not hold: its package list, read on
# 2026-11-17, has torch, transformers, peft, accelerate, numpy, scipy, pandas, pyyaml, rich, typer...
NOT_ON_DEVICE = {"gguf", "datasets", "openai", "pydantic", "pooch", "vllm", "ray", "lm_eval"}
FIGURES = ("pf_ct", "paper_way", "training", "cd_test", "extrapolation")
# Run the script as __main__, noting which module first asks for each package the device lacks.
# Libraries may look for optional packages (transformers' Trainer imports datasets when it is
# installed and works without it); clika's own code (clika.*, the benchmark scripts) must not.
RUN_AND_WATCH_IMPORTS = """
import json, runpy, sys
out, watched, sys.argv = sys.argv[1], set(sys.argv[2].split(",")), sys.argv[3:]
asked = []
INTERNAL = ("importlib", "_frozen_importlib", "importlib._bootstrap", "importlib.util")

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in watched:
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "") in INTERNAL:
                frame = frame.f_back
            asked.append([name, frame.f_globals.get("__name__") if frame is not None else None])
        return None  # the normal finders decide

sys.meta_path.insert(0, Watch())
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as stop:
    if stop.code:
        raise
json.dump(asked, open(out, "w"))
"""


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)


def _numbers(node, path="") -> list[tuple[str, float]]:
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _numbers(v, f"{path}.{k}")]
    if isinstance(node, Number) and not isinstance(node, bool):
        return [(path, node)]
    return []


def test_tiny_shape_on_cpu_from_a_prepared_folder(tmp_path, shared_data):
    bench = tmp_path / "bench"
    prep = _run([str(SCRIPT), "--prepare", str(bench), "--data", str(shared_data), "--targets", "de"], tmp_path)
    assert prep.returncode == 0, prep.stderr[-3000:]
    assert {p.name for p in bench.iterdir()} == {"x_csqa_en.jsonl", "tok", "workload.json"}

    out, asked = tmp_path / "gpu.json", tmp_path / "asked.json"
    run = _run(["-c", RUN_AND_WATCH_IMPORTS, str(asked), ",".join(sorted(NOT_ON_DEVICE)), str(SCRIPT),
                "--data", str(bench / "x_csqa_en.jsonl"),
                "--tokenizer", str(bench / "tok"), "--shape", "tiny", "--items", "16", "--device", "cpu",
                "--train-facts", "12", "--threads", "1", "--output", str(out)], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ours = [(name, by) for name, by in json.loads(asked.read_text())
            if by is None or by == "__main__" or by.split(".")[0] in ("clika", "gpu_prepare", "throughput")]
    assert not ours, ours

    report = json.loads(out.read_text())
    assert {"date", "device", "versions", "shape", "tokenizer", "data", "train_config", "workload", *FIGURES} <= set(report)
    assert report["device"]["type"] == "cpu" and report["device"]["name"]
    assert report["versions"]["torch"] and "cuda" in report["versions"]
    assert report["shape"]["name"] == "tiny" and report["shape"]["dtype"] == "float32"
    assert report["tokenizer"]["name"] == "smollm2-135m" and report["tokenizer"]["vocab_size"] > 0
    assert set(report["pf_ct"]) == {"letter", "cloze", "generate"}
    assert all(r["items"] == 16 and r["peak_memory_kind"] == "process_max_rss" for r in report["pf_ct"].values())
    assert report["paper_way"]["items"] == 16 and report["paper_way"]["num_beams"] == 2
    assert report["training"]["effective_batch"] == 32 and report["train_config"]["lora_rank"] == 128
    # the extrapolation covers the paper's 18,800 PF/CT items and the counted target, with its formula
    x = report["extrapolation"]
    assert x["pf_ct"]["n_items"] == 18800 and set(x["cd"]["per_target"]) == {"de"}
    assert report["workload"]["cd"]["targets"]["de"]["train_rows"] == 10200
    assert all(" / " in e["formula"] for e in [*x["pf_ct"]["per_mode"].values(), *x["cd"]["per_target"].values()])
    figures = [n for section in FIGURES for n in _numbers(report[section], section)]
    assert len(figures) > 40 and all(value > 0 for _, value in figures), [f for f in figures if not f[1] > 0]
    assert "clika run letter" in run.stdout and "wrote" in run.stdout
