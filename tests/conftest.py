"""Shared fixtures. Tests that need ../shared/clika-data skip with a reason where it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    env = os.environ.get("CLIKA_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "clika-data")
    for c in candidates:
        if (c / "x_geo").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/clika-data is absent (set CLIKA_SHARED_DATA to its path)")
    return path


@pytest.fixture(scope="session")
def model_inputs(shared_data):
    """model_inputs(task, lang): the (prompt, gold letter) pairs of upstream's
    <task>/x_<task>_<langdir>_model_input.jsonl, in item order: the exact prompts of the paper."""
    from clika.data.lines import read_json_lines
    from clika.data.upstream_items import task_lang_dirs

    def read(task: str, lang: str) -> list[tuple[str, str]]:
        folder = task_lang_dirs(shared_data, task)[lang].name
        path = shared_data / task / f"{task}_{folder}_model_input.jsonl"
        return [(rec["input"], rec["label"]) for _, rec in read_json_lines(path)]

    return read


@pytest.fixture(scope="session")
def embedded_gemma() -> Path:
    """The embedded Gemma 3 270M in HF format: converted here on first use (about 40 s, once per
    cache), so no test depends on an earlier test having filled the model cache."""
    from clika.backends.embedded import default_model_dir

    return default_model_dir("gemma3-270m")


@pytest.fixture(scope="session")
def embedded_smollm2() -> Path:
    """The embedded SmolLM2-135M-Instruct in HF format (converted on first use, like embedded_gemma)."""
    from clika.backends.embedded import default_model_dir

    return default_model_dir("smollm2-135m")


@pytest.fixture(scope="session", autouse=True)
def pinned_numerics():
    """Every test computes with the same numerics whatever CPU runs it (laptop, CI runner, cluster node):

    - training precision: ``TrainConfig(dtype="auto")`` means bf16 autocast on a CPU with AMX or
      AVX512-BF16 and fp32 elsewhere, so the same test would train in another precision on another
      CPU. ``CLIKA_AUTO_DTYPE=fp32`` fixes "auto" to fp32, here and in the subprocesses a test starts
      (they inherit the environment). A test about bf16 asks for it explicitly (``dtype="bf16"``).
    - one torch thread (``OMP_NUM_THREADS=1`` for subprocesses): how a reduction is split over
      threads changes the order of its floating-point sums. One thread is also the faster choice on
      two shared cores, where OpenMP threads spinning against each other slow tiny models down 10x.
    - deterministic algorithms where torch has them (``warn_only``: a CPU op without a deterministic
      variant warns instead of failing the test).

    What still differs between CPUs is the order of sums inside a kernel (oneDNN and MKL pick kernels
    by instruction set), around 1e-7 of a value in fp32: a test that compares a trained model's
    numbers states a tolerance derived from that, or asserts a property instead."""
    import torch

    from clika.conduct.train import AUTO_DTYPE_ENV

    # session scope: set before any other fixture, module- and session-scoped ones included
    with pytest.MonkeyPatch.context() as env:
        env.setenv(AUTO_DTYPE_ENV, "fp32")
        env.setenv("OMP_NUM_THREADS", "1")
        threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
        warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True, warn_only=True)
        yield
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.set_num_threads(threads)
