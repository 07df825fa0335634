"""HFBackend: every shortcut of the fast path equals a brute-force full forward pass.

The reference below is deliberately naive: one full forward of context +
continuation tokens per (item, option), log-softmax over all logits, tokenised
the way lm-evaluation-harness does it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_model import build_tiny_model  # noqa: E402

from clika.backends.base import Backend, ChoiceRequest  # noqa: E402
from clika.backends.hf import HFBackend  # noqa: E402
from clika.errors import ConfigError  # noqa: E402
from clika.prompts import build_requests  # noqa: E402


@pytest.fixture(scope="module")
def mixed_items(shared_data):
    """Real items of every task in Latin, CJK and right-to-left scripts, of varied lengths."""
    from clika.data.upstream_items import load_upstream

    picked = []
    for task in ("x_csqa", "x_copa", "x_geo", "x_name"):
        for lang in ("en", "zh", "he"):
            picked += load_upstream(shared_data, [task], [lang])[:3]
    return picked


@pytest.fixture(scope="module", params=["llama", "gemma3"])
def tiny(request, tmp_path_factory):
    path = build_tiny_model(tmp_path_factory.mktemp(request.param), request.param)
    return HFBackend(str(path), batch_size=4)


def brute_force(backend: HFBackend, request: ChoiceRequest, first_token_only: bool) -> list[float]:
    tok, prompt = backend.tokenizer, request.prompt
    context = tok(prompt).input_ids
    scores = []
    for continuation in request.continuations:
        cont = tok(prompt + continuation).input_ids[len(context):]
        with torch.no_grad():
            logits = backend.model(torch.tensor([context + cont])).logits[0].float()
        logp = torch.log_softmax(logits, dim=-1)
        positions = range(1 if first_token_only else len(cont))
        scores.append(sum(logp[len(context) - 1 + k, cont[k]].item() for k in positions))
    return scores


def test_implements_the_backend_protocol(tiny):
    assert isinstance(tiny, Backend)
    assert tiny.name.startswith(("llama", "gemma3"))


def test_letter_fast_path_equals_full_forward(tiny, mixed_items):
    requests = build_requests(mixed_items, "paper", "letter")
    got = tiny.next_token_logprobs(requests)
    for request, scores in zip(requests, got):
        assert scores == pytest.approx(brute_force(tiny, request, True), abs=1e-4)
    # True log-probs over the whole vocabulary: letters share the mass, never above 1.
    assert all(sum(torch.tensor(s).exp().tolist()) < 1.0 for s in got)


def test_cloze_fast_path_equals_full_forward(tiny, mixed_items):
    requests = build_requests(mixed_items, "native", "cloze")
    got = tiny.loglikelihoods(requests)
    for request, pairs in zip(requests, got):
        want = brute_force(tiny, request, False)
        assert [s for s, _ in pairs] == pytest.approx(want, abs=2e-4)
        context = tiny.tokenizer(request.prompt).input_ids
        counts = [len(tiny.tokenizer(request.prompt + c).input_ids) - len(context) for c in request.continuations]
        assert [n for _, n in pairs] == counts


def test_results_do_not_depend_on_batching_or_call_order(tiny, mixed_items):
    requests = build_requests(mixed_items, "paper", "cloze")
    together = tiny.loglikelihoods(requests)
    one_by_one = [tiny.loglikelihoods([r])[0] for r in reversed(requests)][::-1]
    for a, b in zip(together, one_by_one):
        assert [s for s, _ in a] == pytest.approx([s for s, _ in b], abs=1e-4)


def test_sliding_window_shorter_than_the_prompt_stays_exact(tmp_path, mixed_items):
    """Gemma-3 style local attention reaching into the cached prefix: no pad holes allowed."""
    path = build_tiny_model(tmp_path, "gemma3", seed=1)
    config = json.loads((path / "config.json").read_text())
    config["sliding_window"] = 16
    (path / "config.json").write_text(json.dumps(config))
    backend = HFBackend(str(path), batch_size=3)
    assert backend.scorer.window == 16
    items = [it for it in mixed_items if it.task in ("x_geo", "x_copa")]
    for mode, first_only in (("letter", True), ("cloze", False)):
        requests = build_requests(items, "paper", mode)
        got = backend.next_token_logprobs(requests) if first_only else backend.loglikelihoods(requests)
        for request, scores in zip(requests, got):
            values = scores if first_only else [s for s, _ in scores]
            assert values == pytest.approx(brute_force(backend, request, first_only), abs=2e-4)


def test_chat_wrapping_scores_the_templated_prompt(tmp_path, mixed_items):
    path = build_tiny_model(tmp_path, "llama")
    backend = HFBackend(str(path), chat=True, batch_size=4)
    requests = build_requests(mixed_items[:6], "paper", "letter")
    got = backend.next_token_logprobs(requests)
    for request, scores in zip(requests, got):
        text = backend.tokenizer.apply_chat_template(
            [{"role": "user", "content": request.prompt}], tokenize=False, add_generation_prompt=True)
        assert text.endswith("<|im_start|>assistant\n")
        templated = ChoiceRequest("", text, request.continuations)
        assert scores == pytest.approx(brute_force(backend, templated, True), abs=1e-4)


def test_generate_is_greedy_and_batching_does_not_change_it(tiny, mixed_items):
    prompts = [r.prompt for r in build_requests(mixed_items[:6], "paper")]
    batched = tiny.generate(prompts, max_new_tokens=4)
    assert len(batched) == 6 and all(isinstance(t, str) for t in batched)
    tok = tiny.tokenizer
    for prompt, text in zip(prompts, batched):
        ids = torch.tensor([tok(prompt).input_ids])
        with torch.no_grad():
            new = tiny.model.generate(ids, max_new_tokens=4, do_sample=False,
                                      pad_token_id=tok.pad_token_id)[0, ids.shape[1]:]
        assert text == tok.decode(new, skip_special_tokens=True)


def test_fingerprint_tracks_weights_and_settings(tmp_path):
    path = build_tiny_model(tmp_path, "llama")
    first = HFBackend(str(path)).fingerprint()
    assert HFBackend(str(path)).fingerprint() == first
    assert HFBackend(str(path), dtype="bfloat16").fingerprint() != first
    assert HFBackend(str(path), chat=True).fingerprint() != first
    weights = path / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # weights replaced
    assert HFBackend(str(path)).fingerprint() != first


def test_missing_model_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        HFBackend(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="unknown dtype"):
        HFBackend(str(tmp_path), dtype="float8")


def test_chat_without_template_is_a_config_error(tmp_path):
    path = build_tiny_model(tmp_path, "llama")
    config = json.loads((path / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    (path / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(ConfigError, match="no chat template"):
        HFBackend(str(path), chat=True)
