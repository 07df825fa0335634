"""`clika run --model openai` against a real faulty server on 127.0.0.1.

Transient faults (429, 5xx, malformed or truncated bodies, stalls past the
timeout) are retried a bounded number of times and change no result. A server
that keeps failing ends the run with one clear line; every chunk finished
before that stays in the store, and the rerun asks only for what is missing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from clika.errors import BackendError
from clika.runner import RunOptions, evaluate
from clika.store import ResultsStore
from tests.robustness.faulty_openai import FAULTS, FaultyOpenAIServer

N_ITEMS = 32  # builtin: 2 tasks x (en, zh) x 8 items; chunks of 4
RUN = dict(langs=["en", "zh"], limit=8, batch_size=4, chunk_size=4, n_boot=0, mode="letter")  # the fake server speaks letter mode
RETRIES = 2


def _args(server: FaultyOpenAIServer) -> dict:
    return {"model": "fake-gpt", "base_url": server.url, "max_retries": RETRIES, "retry_base_delay": 0.005,
            "timeout": 0.4, "max_concurrency": 2}


def _answers(preds) -> dict:
    return {(p.task, p.lang, p.item_id): (p.choice, p.scores) for p in preds}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict:
    with FaultyOpenAIServer() as server:
        result = evaluate(RunOptions(model="openai", model_args=_args(server), output_dir=tmp_path_factory.mktemp("b"),
                                     **RUN))
    assert len(result.predictions) == N_ITEMS
    return _answers(result.predictions)


def _prompt_hash(body: dict) -> int:
    return int.from_bytes(hashlib.sha256(body["prompt"].encode()).digest()[:4], "big")


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_transient_faults_change_nothing(fault, baseline, tmp_path: Path) -> None:
    attempts: dict[str, int] = {}

    def faults(index: int, body: dict):
        # A fixed half of the prompts fail RETRIES times in a row (the most the budget allows), then succeed.
        n = attempts[body["prompt"]] = attempts.get(body["prompt"], 0) + 1
        return fault if _prompt_hash(body) % 2 == 0 and n <= RETRIES else None

    with FaultyOpenAIServer(faults, stall_s=0.6) as server:
        result = evaluate(RunOptions(model="openai", model_args=_args(server), output_dir=tmp_path, **RUN))
        assert server.n_faults >= 2 * RETRIES  # the faults really happened
    assert _answers(result.predictions) == baseline


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_outage_keeps_finished_chunks_and_rerun_completes(fault, baseline, tmp_path: Path) -> None:
    healthy_for = 10  # requests; then the server fails for good

    with FaultyOpenAIServer(lambda index, body: fault if index >= healthy_for else None, stall_s=0.6) as server:
        with pytest.raises(BackendError) as info:
            evaluate(RunOptions(model="openai", model_args=_args(server), output_dir=tmp_path, **RUN))
        text = str(info.value)
        assert "\n" not in text and f"after {RETRIES + 1} attempts" in text and "fake-gpt" in text, text
        with ResultsStore(tmp_path / "results.sqlite", readonly=True) as store:
            kept = store.count()
        assert 0 < kept <= healthy_for and kept % 4 == 0, kept  # whole chunks, nothing half-written

        server.faults = lambda index, body: None  # the server recovers; same URL, so same fingerprint
        asked_before = len(server.requests)
        rerun = evaluate(RunOptions(model="openai", model_args=_args(server), output_dir=tmp_path, **RUN))
        assert len(server.requests) - asked_before == N_ITEMS - kept  # only the missing items are asked for
    assert rerun.n_resumed == kept and rerun.n_scored == N_ITEMS - kept
    assert _answers(rerun.predictions) == baseline
    with ResultsStore(tmp_path / "results.sqlite", readonly=True) as store:
        assert store.count() == N_ITEMS  # no duplicates


def test_cli_outage_is_one_clear_line(tmp_path: Path) -> None:
    with FaultyOpenAIServer(lambda index, body: 503) as server:
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "clika"), "run", "--model", "openai", "--model-args",
             f"model=fake-gpt,base_url={server.url},max_retries=1,retry_base_delay=0.01,timeout=1",
             "--langs", "en,zh", "--limit", "2", "--n-boot", "0", "--mode", "letter", "--output", str(tmp_path)],
            capture_output=True, text=True, timeout=120)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert len(errors) == 1 and "HTTP 503 after 2 attempts" in errors[0], proc.stderr
    assert ResultsStore(tmp_path / "results.sqlite", readonly=True).count() == 0  # readable, and empty
