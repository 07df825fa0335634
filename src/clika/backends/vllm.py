"""vLLM backend (GPU): ``vllm.LLM`` with prompt log-probs for scoring.

Imported only when chosen (``--model vllm``). Tokenisation is lm-eval's, shared
with the hf backend (backends/lm_tokens.py), and requests are sent as token
ids, so vLLM scores exactly the tokens HFBackend and lm-eval score.

- letter: one request per (item, letter) of prompt + letter token with
  ``prompt_logprobs=0``; the letter's log-prob is read at the last prompt
  position (vLLM returns the actual prompt token's log-prob, normalised over
  the full vocabulary). With prefix caching on, the shared prompt is computed
  once, so the extra requests cost one token each.
- cloze: prompt + continuation tokens with ``prompt_logprobs=0``; the sum over
  the continuation positions (what lm-eval's vllm model does).
- generate: ``temperature=0`` (greedy), with ``stop`` strings.

A LoRA adapter (``peft=DIR``, lm-eval's name) is served with ``enable_lora`` and a
``LoRARequest`` on every call, so a conductivity adapter is evaluated without merging.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clika.backends.base import ChoiceRequest, cut_at_stop
from clika.backends.hf import settings_hash, weights_identity
from clika.backends.lm_tokens import cloze_tokens, letter_tokens
from clika.errors import ConfigError
from clika.prompts import chat_frame, wrap_chat


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
        self._frame = ("", "")
        if chat:
            self._frame = chat_frame(lambda text: self.tokenizer.apply_chat_template(
                [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True))
        bos = getattr(self.tokenizer, "bos_token", None)
        self._add_special = not (bos and self._frame[0].startswith(bos))  # the template may write BOS itself

    def fingerprint(self) -> str:
        output_args = {k: v for k, v in self.engine_args.items()
                       if k in ("dtype", "quantization", "max_model_len", "revision", "tokenizer", "kv_cache_dtype")}
        adapter = weights_identity(self.peft) if self.peft else None
        return settings_hash(weights_identity(self.pretrained, self.engine_args.get("revision")),
                             backend="vllm", chat=self.chat, adapter=adapter, **output_args)

    def _run(self, prompts: list, params) -> list:
        extra = {"lora_request": self._lora} if self._lora is not None else {}
        return self.llm.generate(prompts, params, use_tqdm=False, **extra)

    def _encode(self, texts: list[str]) -> list[list[int]]:
        return [self.tokenizer(t, add_special_tokens=self._add_special)["input_ids"] for t in texts]

    def _prompt_logprobs(self, sequences: list[list[int]]) -> list[list[float]]:
        """Log-prob of every prompt token given the tokens before it (the first is NaN)."""
        params = self._sampling(temperature=0.0, max_tokens=1, prompt_logprobs=0, detokenize=False)
        outputs = self._run([{"prompt_token_ids": s} for s in sequences], params)
        rows = []
        for seq, out in zip(sequences, outputs):
            rows.append([float("nan")] + [out.prompt_logprobs[k][tok].logprob for k, tok in enumerate(seq) if k > 0])
        return rows

    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        requests = wrap_chat(requests, self._frame) if self.chat else list(requests)
        contexts, firsts = letter_tokens(self._encode, requests)
        sequences = [contexts[i] + [tok] for i, toks in enumerate(firsts) for tok in toks]
        flat = [row[-1] for row in self._prompt_logprobs(sequences)]
        out, at = [], 0
        for toks in firsts:
            out.append(flat[at : at + len(toks)])
            at += len(toks)
        return out

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        requests = wrap_chat(requests, self._frame) if self.chat else list(requests)
        contexts, conts = cloze_tokens(self._encode, requests)
        sequences = [contexts[i] + c for i, cs in enumerate(conts) for c in cs]
        rows = iter(self._prompt_logprobs(sequences))
        return [[(float(sum(next(rows)[len(contexts[i]):])), len(c)) for c in cs] for i, cs in enumerate(conts)]

    def generate(self, prompts: Sequence[str | Sequence[int]], max_new_tokens: int,
                 stop: Sequence[str] = ()) -> list[str]:
        from clika.backends.hf import encode_prompts

        params = self._sampling(temperature=0.0, max_tokens=max_new_tokens, stop=list(stop) or None)
        sequences = encode_prompts(self._encode, self._frame, prompts)
        outputs = self._run([{"prompt_token_ids": s} for s in sequences], params)
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
