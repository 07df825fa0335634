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
- generate: ``temperature=0`` (greedy).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clika.backends.base import ChoiceRequest
from clika.backends.hf import settings_hash, weights_identity
from clika.backends.lm_tokens import cloze_tokens, letter_tokens
from clika.errors import ConfigError
from clika.prompts import chat_frame, wrap_chat


class VLLMBackend:
    def __init__(self, pretrained: str, *, chat: bool = False, batch_size: int | None = None, **engine_args: Any):
        try:
            from vllm import LLM, SamplingParams
        except ImportError:
            raise ConfigError("the vllm backend needs vLLM: pip install 'clika[vllm]'") from None
        self._sampling = SamplingParams
        engine_args.setdefault("enable_prefix_caching", True)
        self.pretrained, self.chat, self.engine_args = str(pretrained), chat, engine_args
        self.name = Path(pretrained).name if Path(pretrained).expanduser().exists() else str(pretrained)
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
        return settings_hash(weights_identity(self.pretrained, self.engine_args.get("revision")),
                             backend="vllm", chat=self.chat, **output_args)

    def _encode(self, texts: list[str]) -> list[list[int]]:
        return [self.tokenizer(t, add_special_tokens=self._add_special)["input_ids"] for t in texts]

    def _prompt_logprobs(self, sequences: list[list[int]]) -> list[list[float]]:
        """Log-prob of every prompt token given the tokens before it (the first is NaN)."""
        params = self._sampling(temperature=0.0, max_tokens=1, prompt_logprobs=0, detokenize=False)
        outputs = self.llm.generate([{"prompt_token_ids": s} for s in sequences], params, use_tqdm=False)
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

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        head, tail = self._frame
        params = self._sampling(temperature=0.0, max_tokens=max_new_tokens)
        sequences = self._encode([head + p + tail for p in prompts])
        outputs = self.llm.generate([{"prompt_token_ids": s} for s in sequences], params, use_tqdm=False)
        return [out.outputs[0].text for out in outputs]

    def close(self) -> None:
        self.llm = None
