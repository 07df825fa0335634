"""`clika run` end to end on the built-in set with a tiny random model, and resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLIKA = str(Path(sys.executable).parent / "clika")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


def clika(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([CLIKA, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_bad_options_are_one_line_errors(tmp_path: Path):
    for args, words in [
        (["--mode", "guess"], "--mode: unknown scoring mode 'guess'"),
        (["--model", "nope"], "unknown model backend 'nope'; known: hf, openai, vllm"),
        (["--langs", "zh"], "must include the pivot language"),
        (["--tasks", "x_nope"], "unknown task 'x_nope'; known: "),
        (["--batch-size", "0"], "--batch-size and --chunk-size must be >= 1"),
    ]:
        proc = clika("run", "--output", str(tmp_path / "o"), *args)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith("error: ") and words in proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_run_end_to_end_on_builtin_items(tiny_model: Path, tmp_path: Path):
    # Default output folder: runs/<model name> under the working directory.
    proc = clika("run", "--model-args", f"pretrained={tiny_model},dtype=float32", "--tasks", "mini_basic,mini_factual",
                 "--langs", "en,zh,ar", "--limit", "5", "--batch-size", "4", "--n-boot", "50", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "runs" / "tiny-llama"
    preds = rows(out / "predictions.jsonl")
    assert len(preds) == 2 * 3 * 5
    assert {(p["task"], p["lang"]) for p in preds} == {(t, lang) for t in ("mini_basic", "mini_factual")
                                                      for lang in ("en", "zh", "ar")}
    metrics = rows(out / "metrics.jsonl")
    for task in ("mini_basic", "mini_factual"):
        for lang in ("en", "zh", "ar"):
            acc = [m for m in metrics if (m["task"], m["lang"], m["metric"]) == (task, lang, "accuracy")]
            hand = sum(p["correct"] for p in preds if p["task"] == task and p["lang"] == lang) / 5
            assert acc[0]["value"] == pytest.approx(hand)
    # the tables: one per task, with the PF and CT columns and every language
    assert "mini_basic" in proc.stdout and "mini_factual" in proc.stdout
    for word in ("accuracy", "RA", "en-CO", "zh", "ar"):
        assert word in proc.stdout
    assert "30 items scored, 0 already done" in proc.stderr
    assert (out / "results.sqlite").is_file()
    # lm-eval's results_<date>.json always; its samples files only with --log-samples
    (results,) = out.glob("results_*.json")
    assert set(json.loads(results.read_text(encoding="utf-8"))["results"]) == {
        f"{t}_{lang}" for t in ("mini_basic", "mini_factual") for lang in ("en", "zh", "ar")}
    assert not list(out.glob("samples_*"))


def test_log_samples_then_score_lm_eval_gives_the_runs_metrics(tiny_model: Path, tmp_path: Path):
    out = tmp_path / "run"
    proc = clika("run", "--model_args", f"pretrained={tiny_model},dtype=float32", "--tasks", "mini_factual",
                 "--langs", "en,de", "--limit", "4", "--n_boot", "30", "--log_samples", "--output_path", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name.rsplit("_", 1)[0] for p in out.glob("samples_*.jsonl")) == [
        "samples_mini_factual_de", "samples_mini_factual_en"]
    assert "(+ 2 lm-eval samples files beside it)" in proc.stderr
    back = clika("score", "--predictions", str(out), "--layout", "lm-eval", "--n-boot", "30",
                 "-o", str(tmp_path / "back.jsonl"))
    assert back.returncode == 0, back.stderr

    def key(r: dict) -> tuple:
        return (r["task"], r.get("lang") or "", r["metric"], r.get("stratum") or "", r.get("lang_ref") or "",
                r.get("aggregate") or "")

    want = sorted(rows(out / "metrics.jsonl"), key=key)
    assert sorted(rows(tmp_path / "back.jsonl"), key=key) == want
    assert {r["metric"] for r in want} >= {"accuracy", "ra", "en_co"}


@pytest.mark.slow
def test_no_model_named_means_the_embedded_gemma(tmp_path: Path, embedded_gemma: Path):
    proc = clika("run", "--tasks", "mini_factual", "--langs", "en,pl", "--limit", "2", "--n-boot", "10", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    preds = rows(tmp_path / "runs" / "gemma3-270m" / "predictions.jsonl")
    assert [(p["model"], p["lang"], p["item_id"]) for p in preds] == [
        ("gemma3-270m", lang, f"factual-0{i}") for lang in ("en", "pl") for i in (1, 2)]
    assert "gemma3-270m · mini_factual" in proc.stdout


def _store_count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM predictions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # created but its tables not yet committed
        return 0


@pytest.mark.slow
def test_kill_9_then_rerun_equals_an_uninterrupted_run(tiny_model: Path, tmp_path: Path):
    from clika.data.builtin import load_builtin
    from clika.runner import select_items

    # the built-in set's first 24 items of each task in en and ar, in chunks of 2
    n = len(select_items(load_builtin(langs=["en", "ar"]), 24))
    args = ["run", "--model-args", f"pretrained={tiny_model},dtype=float32", "--langs", "en,ar", "--limit", "24",
            "--batch-size", "1", "--chunk-size", "2", "--n-boot", "20"]
    killed_out = tmp_path / "killed"
    store = killed_out / "results.sqlite"
    proc = subprocess.Popen([CLIKA, *args, "--output", str(killed_out)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while _store_count(store) < 10 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = _store_count(store)
    assert 10 <= partial < n
    assert partial % 2 == 0  # whole chunks only (every unit holds 24 items: chunks never straddle)

    resumed = clika(*args, "--output", str(killed_out), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {partial} of {n} items already in the store" in resumed.stderr
    assert f"{n - partial} items scored, {partial} already done" in resumed.stderr

    clean = clika(*args, "--output", str(tmp_path / "clean"), cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr

    got, want = rows(killed_out / "predictions.jsonl"), rows(tmp_path / "clean" / "predictions.jsonl")
    keys = [(r["task"], r["lang"], r["item_id"]) for r in got]
    assert len(keys) == len(set(keys)) == n  # no duplicates
    assert keys == [(r["task"], r["lang"], r["item_id"]) for r in want]
    for a, b in zip(got, want):
        assert a["prediction"] == b["prediction"] and a["gold"] == b["gold"]
        assert a["scores"] == pytest.approx(b["scores"], abs=1e-5)
    assert _store_count(store) == n
    assert rows(killed_out / "metrics.jsonl") == rows(tmp_path / "clean" / "metrics.jsonl")
