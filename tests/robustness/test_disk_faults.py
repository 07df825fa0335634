"""Disks that refuse writes: a file-size limit hit in the middle of a run (RLIMIT_FSIZE, as a
full disk looks to the process), output folders that cannot be created, a corrupt store.
Each gives one clear error line (exit 1, no traceback), and the store stays readable
with whole chunks only, so the rerun completes the run.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from clika.store import ResultsStore

CLIKA = str(Path(sys.executable).parent / "clika")
N_ITEMS, CHUNK = 24, 4


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


def run_cmd(model: Path, out: Path, *extra: str) -> list[str]:
    return [CLIKA, "run", "--model-args", f"pretrained={model}", "--langs", "en,zh,fr", "--limit", "4",
            "--batch-size", "2", "--chunk-size", str(CHUNK), "--n-boot", "0", "--output", str(out), *extra]


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


def test_file_size_limit_mid_run_keeps_whole_chunks(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    limit = 70_000  # bytes per file: enough to open the store (its -shm file is 32 KiB), not for every chunk

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(run_cmd(model, out), preexec_fn=small_files, capture_output=True, text=True, timeout=300)
    line = one_error_line(proc)
    assert "results.sqlite" in line, line
    with ResultsStore(out / "results.sqlite", readonly=True) as store:  # still a readable store
        kept = store.count()
    assert kept < N_ITEMS and kept % CHUNK == 0, kept

    proc = subprocess.run(run_cmd(model, out), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{N_ITEMS - kept} items scored, {kept} already done" in " ".join(proc.stderr.split())
    with ResultsStore(out / "results.sqlite", readonly=True) as store:
        rows = store.predictions(store.fingerprints()[0][1])
    assert len(rows) == N_ITEMS == len({(p.task, p.lang, p.item_id) for p in rows})


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux /sys (a folder no one may write in)")
@pytest.mark.parametrize("where", ["output", "store"])
def test_unwritable_folder_fails_first_with_one_line(model: Path, tmp_path: Path, where: str) -> None:
    forbidden = Path("/sys/clika-out")
    extra = ("--store", str(tmp_path / "r.sqlite")) if where == "output" else ("--store", str(forbidden / "r.sqlite"))
    out = forbidden if where == "output" else tmp_path / "out"
    proc = subprocess.run(run_cmd(model, out, *extra), capture_output=True, text=True, timeout=300)
    line = one_error_line(proc)
    assert str(forbidden) in line, line
    if where == "output":  # found before the model is loaded, not after everything is scored
        assert "Loading weights" not in proc.stderr, proc.stderr
    assert not (tmp_path / "r.sqlite").exists() or ResultsStore(tmp_path / "r.sqlite", readonly=True).count() == 0


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b"SQLite format 3\x00" + b"\x00" * 50])
def test_corrupt_store_is_one_line(model: Path, tmp_path: Path, content: bytes) -> None:
    store = tmp_path / "r.sqlite"
    store.write_bytes(content)
    proc = subprocess.run(run_cmd(model, tmp_path / "out", "--store", str(store)), capture_output=True, text=True,
                          timeout=300)
    line = one_error_line(proc)
    assert str(store) in line
    assert store.read_bytes() == content  # left as it was, for the user to inspect
