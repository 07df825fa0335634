"""kill -9 of a running `clika run` (tiny model, subprocess) at chosen points, then the same
command again: the result is identical to an uninterrupted run, with no lost and no
duplicated predictions. The kill points (tests/robustness/kill_points.py): inside
model loading, inside a forward pass, inside a store transaction before its COMMIT.
"""

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

pytestmark = pytest.mark.slow  # about ten short CLI runs of the tiny model

KILL_POINTS = Path(__file__).with_name("kill_points.py")
REPO = Path(__file__).resolve().parents[2]
N_ITEMS, CHUNK, BATCH = 24, 4, 2  # builtin: 2 tasks x (en, zh, fr) x 4 items; 2 batches per chunk


def run_args(model: Path, out: Path) -> list[str]:
    return ["run", "--model-args", f"pretrained={model}", "--langs", "en,zh,fr", "--limit", "4",
            "--batch-size", str(BATCH), "--chunk-size", str(CHUNK), "--n-boot", "50", "--output", str(out)]


def clika(args: list[str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(KILL_POINTS), *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def kill_at(point: str, args: list[str], tmp: Path) -> None:
    """Start the run, wait until it reaches ``point``, and SIGKILL it there."""
    flag = tmp / f"paused-{point.replace(':', '-')}"
    env = {**os.environ, "CLIKA_PAUSE_AT": point, "CLIKA_PAUSE_FILE": str(flag)}
    proc = subprocess.Popen([sys.executable, str(KILL_POINTS), *args], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before reaching {point}: {proc.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, f"{point} never reached"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def store_rows(out: Path) -> list[tuple]:
    """Every prediction row of the store (read with plain sqlite3: the file must stay readable)."""
    with sqlite3.connect(f"file:{out / 'results.sqlite'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT task, lang, item_id, choice FROM predictions").fetchall()


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="module")
def uninterrupted(model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("baseline")
    clika(run_args(model, out))
    return out


def assert_same_as_uninterrupted(out: Path, baseline: Path) -> None:
    for name in ("predictions.jsonl", "metrics.jsonl"):
        assert (out / name).read_text() == (baseline / name).read_text(), name
    rows = store_rows(out)
    keys = [r[:3] for r in rows]
    assert len(rows) == N_ITEMS and len(set(keys)) == N_ITEMS  # none lost, none twice
    assert sorted(rows) == sorted(store_rows(baseline))


# point -> rows the store must hold right after the kill (whole chunks only)
CASES = {
    "load": 0,  # nothing scored yet
    "batch:5": 2 * CHUNK,  # killed inside the 5th forward pass: chunks 1-2 (batches 1-4) are committed
    "write:2": 1 * CHUNK,  # killed inside chunk 2's transaction: it is rolled back, chunk 1 stays
}


@pytest.mark.parametrize("point", CASES)
def test_kill_then_rerun_equals_uninterrupted(point: str, model: Path, uninterrupted: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    kill_at(point, run_args(model, out), tmp_path)
    if CASES[point]:
        assert len(store_rows(out)) == CASES[point]
    proc = clika(run_args(model, out))
    assert f"{N_ITEMS - CASES[point]} items scored, {CASES[point]} already done" in " ".join(proc.stderr.split())
    assert_same_as_uninterrupted(out, uninterrupted)


def test_killed_twice_then_rerun(model: Path, uninterrupted: Path, tmp_path: Path) -> None:
    """A resumed run killed again (mid-transaction, then mid-batch) still ends with the same results."""
    out = tmp_path / "out"
    kill_at("write:3", run_args(model, out), tmp_path)
    assert len(store_rows(out)) == 2 * CHUNK
    kill_at("batch:3", run_args(model, out), tmp_path)  # the resumed run commits one more chunk, then dies
    assert len(store_rows(out)) == 3 * CHUNK
    clika(run_args(model, out))
    assert_same_as_uninterrupted(out, uninterrupted)
    assert json.loads((out / "predictions.jsonl").read_text().splitlines()[0])["model"] == "tiny-llama"
