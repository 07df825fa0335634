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


@pytest.fixture
def one_torch_thread():
    # Two shared cores: OpenMP threads spinning against each other make tiny models 10x slower.
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
