"""vLLM backend (GPU): ``vllm.LLM`` with prompt log-probs for scoring, imported only when chosen.

Tokenisation is lm-eval's, shared with the hf backend (lm_tokens.py), and requests are sent as token ids,
so vLLM scores exactly the tokens HFBackend and lm-eval score. All scoring uses ``prompt_logprobs=0``
(the actual prompt token's log-prob, normalised over the full vocabulary):
- letter: one request per (item, letter) of prompt + letter token, read at the last position; with
  prefix caching on, the shared prompt is computed once, so the extra requests cost one token each;
- cloze: prompt + continuation tokens, summed over the continuation (as lm-eval's vllm model does);
- generate: ``temperature=0`` (greedy), with ``stop`` strings.
A LoRA adapter (``peft=DIR``, lm-eval's name) is served with ``enable_lora`` and a ``LoRARequest`` on
every call, so a conductivity adapter is evaluated without merging.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clika.backends.base import ChoiceRequest, cut_at_stop
from clika.backends.hf import chat_setup, encode_prompts, settings_hash, weights_identity
from clika.backends.lm_tokens import cloze_tokens, letter_tokens
from clika.errors import ConfigError
from clika.prompts import wrap_chat

# Engine arguments that change outputs: part of the fingerprint.
OUTPUT_ARGS = ("dtype", "quantization", "max_model_len", "revision", "tokenizer", "kv_cache_dtype")


class VLLMBackend:
    def __init__(self, pretrained: str, *, chat: bool = False, batch_size: int | None = None,
                 peft: str | None = None, max_lora_rank: int = 128, **engine_args: Any):
        try:
            from vllm import LLM, SamplingParams
        except ImportError:
            raise ConfigError("the vllm backend needs vLLM: pip install 'clika[vllm]'") from None
        self._sampling = SamplingParams
        engine_args.setdefault("enable_prefix_caching", True)
        self.pretrained, self.chat, self.engine_args, self.peft = str(pretrained), chat, engine_args, peft
        self.name = Path(pretrained).name if Path(pretrained).expanduser().exists() else str(pretrained)
        self._lora = None
        if peft is not None:
            if not Path(peft).expanduser().is_dir():
                raise ConfigError("adapter directory does not exist (peft=...)", peft)
            from vllm.lora.request import LoRARequest

            engine_args.update(enable_lora=True, max_lora_rank=max_lora_rank)
            self._lora = LoRARequest("clika-adapter", 1, str(Path(peft).expanduser().resolve()))
        self.llm = LLM(model=str(pretrained), **engine_args)
        self.tokenizer = self.llm.get_tokenizer()
        self._frame, self._add_special = chat_setup(self.tokenizer, chat)

    def fingerprint(self) -> str:
        output_args = {k: v for k, v in self.engine_args.items() if k in OUTPUT_ARGS}
        adapter = weights_identity(self.peft) if self.peft else None
        identity = weights_identity(self.pretrained, self.engine_args.get("revision"))
        return settings_hash(identity, backend="vllm", chat=self.chat, adapter=adapter, **output_args)

    def _run(self, sequences: list[list[int]], params) -> list:
        extra = {"lora_request": self._lora} if self._lora is not None else {}
        return self.llm.generate([{"prompt_token_ids": s} for s in sequences], params, use_tqdm=False, **extra)

    def _encode(self, texts: list[str]) -> list[list[int]]:
        return [self.tokenizer(t, add_special_tokens=self._add_special)["input_ids"] for t in texts]

    def _prompt_logprobs(self, sequences: list[list[int]]) -> list[list[float]]:
        """Log-prob of every prompt token given the tokens before it (the first is NaN)."""
        params = self._sampling(temperature=0.0, max_tokens=1, prompt_logprobs=0, detokenize=False)
        return [[float("nan")] + [out.prompt_logprobs[k][tok].logprob for k, tok in enumerate(seq) if k > 0]
                for seq, out in zip(sequences, self._run(sequences, params))]

    def _tokens(self, tokenise, requests: Sequence[ChoiceRequest]):
        return tokenise(self._encode, wrap_chat(requests, self._frame) if self.chat else list(requests))

    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        contexts, firsts = self._tokens(letter_tokens, requests)
        rows = iter(self._prompt_logprobs([contexts[i] + [tok] for i, toks in enumerate(firsts) for tok in toks]))
        return [[next(rows)[-1] for _ in toks] for toks in firsts]

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        contexts, conts = self._tokens(cloze_tokens, requests)
        rows = iter(self._prompt_logprobs([contexts[i] + c for i, cs in enumerate(conts) for c in cs]))
        return [[(float(sum(next(rows)[len(contexts[i]):])), len(c)) for c in cs] for i, cs in enumerate(conts)]

    def generate(self, prompts: Sequence[str | Sequence[int]], max_new_tokens: int,
                 stop: Sequence[str] = ()) -> list[str]:
        params = self._sampling(temperature=0.0, max_tokens=max_new_tokens, stop=list(stop) or None)
        outputs = self._run(encode_prompts(self._encode, self._frame, prompts), params)
        return [cut_at_stop(out.outputs[0].text, stop) for out in outputs]

    def close(self) -> None:
        self.llm = None


def make_backend(**kwargs) -> VLLMBackend:
    """The vllm backend from --model-args (pretrained= is required: vLLM runs on a GPU)."""
    from clika.backends.registry import construct

    pretrained = kwargs.pop("pretrained", None)
    if pretrained is None:
        raise ConfigError("the vllm backend needs --model-args pretrained=<model path or name>")
    return construct(VLLMBackend, "vllm", pretrained, kwargs)


make_backend.generic_options = ()  # vLLM sizes its own batches and picks its device
