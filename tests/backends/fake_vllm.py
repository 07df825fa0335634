"""A stand-in ``vllm`` package that follows vLLM's documented offline API, computed by a real
(tiny) transformers model, so that the vllm backend's behaviour is tested without a GPU.

What is modelled (vLLM's docs, "Offline Inference" and the SamplingParams / RequestOutput API):
- ``LLM(model=..., **engine_args)``: engine_args are kept (enable_prefix_caching, enable_lora,
  max_lora_rank, dtype...); ``get_tokenizer()`` returns the model's HF tokenizer;
- ``LLM.generate(prompts, sampling_params, use_tqdm=False, lora_request=None)``: prompts are
  ``{"prompt_token_ids": [...]}`` (TokensPrompt) dicts; returns one ``RequestOutput`` per prompt
  with ``prompt_logprobs`` (None for the first position, then per position a dict
  ``{token_id: Logprob}`` holding at least the actual prompt token, normalised over the full
  vocabulary) when ``SamplingParams.prompt_logprobs`` is set, and ``outputs[0].text`` (greedy,
  ``max_tokens`` tokens, cut before a ``stop`` string, the stop string not included);
- ``vllm.lora.request.LoRARequest(lora_name, lora_int_id, lora_path)``: a generate call with one
  applies that peft adapter (the engine must have been built with enable_lora=True).
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import torch

CALLS: list[dict] = []  # what the backend asked, for assertions


@dataclass
class SamplingParams:
    temperature: float = 1.0
    max_tokens: int = 16
    prompt_logprobs: int | None = None
    detokenize: bool = True
    stop: list[str] | None = None


@dataclass
class Logprob:
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


@dataclass
class CompletionOutput:
    text: str
    token_ids: list[int] = field(default_factory=list)


@dataclass
class RequestOutput:
    prompt_token_ids: list[int]
    prompt_logprobs: list | None
    outputs: list[CompletionOutput]


@dataclass
class LoRARequest:
    lora_name: str
    lora_int_id: int
    lora_path: str


class LLM:
    def __init__(self, model: str, **engine_args):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.engine_args = engine_args
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32).eval()
        self._adapters: dict[str, torch.nn.Module] = {}

    def get_tokenizer(self):
        return self.tokenizer

    def _model_for(self, lora_request):
        if lora_request is None:
            return self.model
        if not self.engine_args.get("enable_lora"):
            raise ValueError("LoRA is not enabled: build the LLM with enable_lora=True")
        if lora_request.lora_path not in self._adapters:
            from peft import PeftModel

            self._adapters[lora_request.lora_path] = PeftModel.from_pretrained(self.model, lora_request.lora_path).eval()
        return self._adapters[lora_request.lora_path]

    @torch.inference_mode()
    def generate(self, prompts, sampling_params, use_tqdm=True, lora_request=None):
        CALLS.append({"n": len(prompts), "params": sampling_params, "lora": lora_request})
        model = self._model_for(lora_request)
        out = []
        for prompt in prompts:
            ids = list(prompt["prompt_token_ids"])
            logprobs = None
            if sampling_params.prompt_logprobs is not None:
                lp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
                logprobs = [None] + [{tok: Logprob(float(lp[k - 1, tok]), 1)} for k, tok in enumerate(ids) if k > 0]
            new = model.generate(input_ids=torch.tensor([ids]), max_new_tokens=sampling_params.max_tokens,
                                 do_sample=False, pad_token_id=self.tokenizer.eos_token_id)[0, len(ids):].tolist()
            text = self.tokenizer.decode(new, skip_special_tokens=True)
            for s in sampling_params.stop or ():
                if s in text:
                    text = text[: text.index(s)]
            out.append(RequestOutput(ids, logprobs, [CompletionOutput(text, new)]))
        return out


def install(monkeypatch) -> None:
    """Put this module in sys.modules as ``vllm`` (and ``vllm.lora.request``) for one test."""
    pkg = types.ModuleType("vllm")
    pkg.LLM, pkg.SamplingParams = LLM, SamplingParams
    lora = types.ModuleType("vllm.lora")
    request = types.ModuleType("vllm.lora.request")
    request.LoRARequest = LoRARequest
    lora.request = request
    pkg.lora = lora
    monkeypatch.setitem(sys.modules, "vllm", pkg)
    monkeypatch.setitem(sys.modules, "vllm.lora", lora)
    monkeypatch.setitem(sys.modules, "vllm.lora.request", request)
    CALLS.clear()
