"""VLLMBackend against a stand-in ``vllm`` that follows vLLM's documented offline API (fake_vllm.py),
computed by a real tiny model: the vllm backend must score exactly what the hf backend scores,
generate the same greedy text, send token ids, and serve a LoRA adapter as a LoRA request."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import fake_vllm  # noqa: E402
from tiny_model import build_tiny_model  # noqa: E402

from clika.backends.hf import HFBackend  # noqa: E402
from clika.backends.registry import make_backend  # noqa: E402
from clika.items import Item  # noqa: E402
from clika.prompts import build_requests  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny_vllm"), "llama")


ITEMS = [
    Item("x_geo", "factual", "en", "1", "What administrative division of Egypt is Alexandria in?",
         ("Red Sea Governorate", "Alexandria", "Cairo", "Giza"), 1),
    Item("x_geo", "factual", "zh", "1", "亚历山大港位于埃及的哪个行政区划？", ("红海省", "亚历山大省", "开罗", "吉萨"), 1),
    Item("x_copa", "basic", "en", "7", "The sky turns dark.", ("It's night.", "It's noon."), 0,
         {"copa_question": "cause"}),
]


def test_letter_cloze_and_generate_equal_the_hf_backend(tiny, monkeypatch):
    fake_vllm.install(monkeypatch)
    vllm = make_backend("vllm", f"pretrained={tiny},dtype=float32")
    hf = HFBackend(str(tiny), dtype="float32")
    letter = build_requests(ITEMS, "paper", "letter")
    cloze = build_requests(ITEMS, "paper", "cloze")
    for got, want in zip(vllm.next_token_logprobs(letter), hf.next_token_logprobs(letter)):
        assert got == pytest.approx(want, abs=1e-4)
    for got, want in zip(vllm.loglikelihoods(cloze), hf.loglikelihoods(cloze)):
        assert [n for _, n in got] == [n for _, n in want]  # the same continuation tokens (lm-eval's split)
        assert [s for s, _ in got] == pytest.approx([s for s, _ in want], abs=1e-4)
    prompts = [r.prompt for r in letter]
    assert vllm.generate(prompts, 6) == hf.generate(prompts, 6)
    # requests go in as token ids, with prompt logprobs only where scoring needs them, greedy, prefix caching on
    assert vllm.llm.engine_args["enable_prefix_caching"] is True
    gen = fake_vllm.CALLS[-1]["params"]
    assert gen.temperature == 0.0 and gen.max_tokens == 6 and gen.prompt_logprobs is None
    assert all(c["params"].prompt_logprobs == 0 for c in fake_vllm.CALLS[:-1])
    assert vllm.fingerprint() != HFBackend(str(tiny), dtype="float32").fingerprint()


def test_stop_strings_and_token_id_prompts(tiny, monkeypatch):
    fake_vllm.install(monkeypatch)
    vllm = make_backend("vllm", f"pretrained={tiny}")
    hf = HFBackend(str(tiny), dtype="float32")
    ids = hf.tokenizer("Question:2+3=?\nAnswer:")["input_ids"]
    want = hf.generate([ids], 12, stop=("\n",))
    assert vllm.generate([ids], 12, stop=("\n",)) == want and "\n" not in want[0]
    assert fake_vllm.CALLS[-1]["params"].stop == ["\n"]


def test_a_lora_adapter_is_served_as_a_lora_request(tiny, monkeypatch, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "adapter")
    fake_vllm.install(monkeypatch)
    vllm = make_backend("vllm", f"pretrained={tiny},peft={tmp_path / 'adapter'}")
    hf = HFBackend(str(tiny), dtype="float32", peft=str(tmp_path / "adapter"))
    assert vllm.llm.engine_args["enable_lora"] is True
    requests = build_requests(ITEMS[:2], "paper", "letter")
    for got, want in zip(vllm.next_token_logprobs(requests), hf.next_token_logprobs(requests)):
        assert got == pytest.approx(want, abs=1e-4)  # the adapter's logits, not the base model's
    assert all(c["lora"] is not None and c["lora"].lora_path.endswith("adapter") for c in fake_vllm.CALLS)
    plain = HFBackend(str(tiny), dtype="float32").next_token_logprobs(requests)
    assert plain[0] != pytest.approx(hf.next_token_logprobs(requests)[0], abs=1e-4)  # the adapter matters


def test_without_vllm_installed_the_backend_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    from clika.errors import ConfigError

    with pytest.raises(ConfigError, match=r"pip install 'clika\[vllm\]'"):
        make_backend("vllm", "pretrained=some/model")
