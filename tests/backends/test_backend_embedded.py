"""The embedded default models: converted once, cached atomically, loaded fast."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_model import build_tiny_model  # noqa: E402

from clika.backends.embedded import (  # noqa: E402
    COMPLETE_MARKER,
    EMBEDDED_MODELS,
    cache_root,
    default_model_dir,
)
from clika.errors import ConfigError  # noqa: E402


def test_cache_root_follows_clika_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIKA_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    monkeypatch.delenv("CLIKA_CACHE")
    assert cache_root() == Path.home() / ".cache" / "clika"


def test_unknown_model_name_is_a_config_error():
    with pytest.raises(ConfigError, match="smollm2-135m"):
        default_model_dir("gpt-5")


def test_a_waiting_process_takes_the_finished_conversion_instead_of_converting(tmp_path):
    """While one process converts (holds the lock), another waits, then finds the result."""
    models = tmp_path / "models"
    models.mkdir()
    lock = open(models / ".smollm2-135m.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    env = {**os.environ, "CLIKA_CACHE": str(tmp_path)}
    waiter = subprocess.Popen(
        [sys.executable, "-c", "from clika.backends.embedded import default_model_dir as d; print(d('smollm2-135m'))"],
        env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(3)
    assert waiter.poll() is None  # blocked on the lock
    assert [p.name for p in models.iterdir()] == [".smollm2-135m.lock"]  # and wrote nothing
    # "The other process" finishes: a complete model directory appears, then the lock is released.
    finished = build_tiny_model(models / "smollm2-135m", "llama")
    (finished / COMPLETE_MARKER).write_text("{}")
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    out, _ = waiter.communicate(timeout=60)
    assert waiter.returncode == 0
    assert out.strip() == str(finished)
    assert (finished / COMPLETE_MARKER).read_text() == "{}"  # not converted a second time


@pytest.mark.slow
def test_smollm2_conversion_matches_the_gguf_model(tmp_path, monkeypatch):
    """Fresh conversion into an empty cache: same logits as transformers' GGUF loader."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from clika.backends.embedded import _smollm2_gguf

    monkeypatch.setenv("CLIKA_CACHE", str(tmp_path))
    stale = tmp_path / "models" / "smollm2-135m"
    stale.mkdir(parents=True)
    (stale / "config.json").write_text("{half-written")  # a crashed conversion: no marker
    path = default_model_dir("smollm2-135m")
    assert path == stale and json.loads((path / COMPLETE_MARKER).read_text())["chat"] is True
    assert sorted(p.name for p in path.parent.iterdir()) == [".smollm2-135m.lock", "smollm2-135m"]
    gguf = _smollm2_gguf(tmp_path)
    text = "Question:In what year was Houari Boumediene born?\nAnswer:"
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    converted = AutoModelForCausalLM.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer(text).input_ids == AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)(text).input_ids
    ids = tokenizer(text, return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.equal(reference(ids).logits, converted(ids).logits)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EMBEDDED_MODELS))
def test_the_cached_prefix_covers_the_instruction_in_real_tokenizers(name, shared_data):
    """HFBackend tokenises whole prompts and caches the token prefix they share, so the
    split is always exact; this checks the cache actually covers the prefix text.

    The prefix/body boundary is a newline, a token boundary in both tokenizers, except
    that SmolLM2 spells a lone "\n\n" (x_copa's prefix end) as one token but "\n\nPremise"
    as two: there the shared prefix is one token shorter than the prefix text's tokens.
    """
    from transformers import AutoTokenizer

    from clika.backends.hf_prefix import shared_length
    from clika.data.upstream_items import load_upstream
    from clika.prompts import build_requests

    tokenizer = AutoTokenizer.from_pretrained(default_model_dir(name))
    by_unit: dict[tuple[str, str], list] = {}
    for item in load_upstream(shared_data):
        if len(by_unit.setdefault((item.task, item.lang), [])) < 20:
            by_unit[(item.task, item.lang)].append(item)
    for template in ("paper", "native"):
        for (task, lang), items in by_unit.items():
            requests = build_requests(items, template)
            prefix = tokenizer(requests[0].prefix).input_ids
            prompts = tokenizer([r.prompt for r in requests]).input_ids
            shortfall = len(prefix) - shared_length(prompts)
            allowed = 1 if (name, task) == ("smollm2-135m", "x_copa") else 0
            assert shortfall <= allowed, (template, task, lang, shortfall)


@pytest.mark.slow
def test_gemma_from_cache_scores_real_items(shared_data, capsys):
    from clika.backends.hf import HFBackend
    from clika.choice import choose
    from clika.data.upstream_items import load_upstream
    from clika.prompts import build_requests

    started = time.perf_counter()
    backend = HFBackend(str(default_model_dir()))
    loaded = time.perf_counter() - started
    items = load_upstream(shared_data, ["x_geo"], ["en"])[:10]
    preds = choose(backend, items, build_requests(items, "paper", "letter"), "letter")
    assert all(p.choice in range(4) for p in preds)
    assert all(len(p.scores) == 4 and max(p.scores) <= 0.0 for p in preds)
    correct = sum(p.correct for p in preds)
    with capsys.disabled():
        print(f"\ngemma3-270m letter mode, 10 x_geo/en items: {correct}/10 correct; "
              f"chosen {[p.choice for p in preds]}; load {loaded:.1f}s")
