"""Hugging Face transformers backend: any causal LM, by local path or hub id.

Scoring goes through ``PrefixCachedScorer`` (backends/hf_prefix.py): the shared
prefix is encoded once and only the needed output rows are computed.
Tokenisation follows lm-evaluation-harness exactly, so cloze choices match
lm-eval's ``acc``: context tokens = encode(prompt); continuation tokens =
encode(prompt + continuation)[len(context):] (trailing context whitespace moved
into the continuation first). Requests are tokenised whole, never piecewise, so
the prefix/body split cannot change the tokens; the cached prefix is the token
prefix the requests actually share.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from clika.backends.base import ChoiceRequest
from clika.backends.lm_tokens import cloze_tokens, letter_tokens
from clika.errors import BackendError, ConfigError
from clika.prompts import chat_frame, wrap_chat

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf", ".json", ".model", ".txt", ".jinja")
DTYPES = ("auto", "float32", "bfloat16", "float16")


def weights_identity(pretrained: str, revision: str | None = None) -> dict:
    """A local model: resolved path + name, size and mtime of each weight/config file
    (replaced weights change it); a hub model: its id + revision."""
    path = Path(pretrained).expanduser()
    if not path.exists():
        return {"hub": str(pretrained), "revision": revision or "main"}
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    return {"path": str(path.resolve()),
            "files": [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]}


def settings_hash(identity: dict, **settings) -> str:
    blob = json.dumps({"weights": identity, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class HFBackend:
    """A causal LM run with transformers (CPU or GPU)."""

    def __init__(self, pretrained: str, *, gguf_file: str | None = None, device: str = "cpu", dtype: str = "auto",
                 batch_size: int = 16, trust_remote_code: bool = False, chat: bool = False,
                 revision: str | None = None, max_length: int | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from clika.backends.hf_prefix import PrefixCachedScorer

        if dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        self.pretrained = str(pretrained)
        self.local = Path(pretrained).expanduser().exists()
        if not self.local and str(pretrained).startswith((".", "/", "~")):  # a path, not a hub id
            raise ConfigError("model directory does not exist", pretrained)
        self.name = Path(pretrained).name if self.local else str(pretrained)
        self.gguf_file, self.revision, self.chat = gguf_file, revision, chat
        self.device = "cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device)
        source = str(Path(pretrained).expanduser().resolve()) if self.local else str(pretrained)
        common = dict(revision=revision, trust_remote_code=trust_remote_code, gguf_file=gguf_file)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **common)
            self.model = AutoModelForCausalLM.from_pretrained(source, dtype=self._torch_dtype(dtype), **common)
        except OSError as err:  # missing files, unknown hub id, no network
            raise ConfigError(f"cannot load model {pretrained!r}: {str(err).splitlines()[0]}") from err
        self.model.to(self.device).eval()
        self.dtype = str(self.model.dtype).removeprefix("torch.")
        self.source = source
        self.max_length = max_length or getattr(self.model.config, "max_position_embeddings", None)
        self.batch_size = batch_size
        self.scorer = PrefixCachedScorer(self.model, batch_size)
        self._frame = self._chat_frame() if chat else ("", "")
        # A chat template that writes BOS itself must not get a second one from the tokenizer.
        bos = self.tokenizer.bos_token
        self._add_special = not (bos and self._frame[0].startswith(bos))
        self.scorer.verify_head(self._encode(["Answer:"])[0])

    def _torch_dtype(self, dtype: str):
        import torch

        if dtype == "auto":  # the checkpoint's own dtype on GPU; float32 on CPU (bf16 matmuls are slow there)
            return "auto" if self.device != "cpu" else torch.float32
        return getattr(torch, dtype)

    def _chat_frame(self) -> tuple[str, str]:
        if not getattr(self.tokenizer, "chat_template", None):
            raise ConfigError(f"chat=true but the tokenizer of {self.name} has no chat template")
        return chat_frame(lambda text: self.tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True))

    # -- identity -----------------------------------------------------------
    def fingerprint(self) -> str:
        """Weights' identity + the settings that change outputs (dtype, chat wrapping, max length)."""
        revision = self.revision or getattr(self.model.config, "_commit_hash", None)
        return settings_hash(weights_identity(self.pretrained, revision), gguf_file=self.gguf_file,
                             dtype=self.dtype, chat=self.chat, max_length=self.max_length)

    # -- tokenisation -------------------------------------------------------
    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(list(texts), add_special_tokens=self._add_special)["input_ids"]

    def _check_length(self, seqs: Sequence[Sequence[int]], extra: int = 0) -> None:
        longest = max((len(s) for s in seqs), default=0) + extra
        if self.max_length and longest > self.max_length:
            raise BackendError(f"a prompt of {longest} tokens exceeds {self.name}'s max length {self.max_length}")

    def _prepare(self, requests: Sequence[ChoiceRequest]) -> tuple[list[ChoiceRequest], list[int]]:
        if self.chat:
            requests = wrap_chat(requests, self._frame)
        prefix_ids: dict[str, int] = {}
        groups = [prefix_ids.setdefault(r.prefix, len(prefix_ids)) for r in requests]
        return list(requests), groups

    # -- Backend protocol ---------------------------------------------------
    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        """Letter mode: full-vocabulary log-prob of each continuation's first token after the prompt."""
        if not requests:
            return []
        requests, groups = self._prepare(requests)
        contexts, firsts = letter_tokens(self._encode, requests)
        self._check_length(contexts, 1)
        return self.scorer.next_token_logprobs(contexts, groups, firsts)

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        """Cloze mode: (sum of continuation token log-probs, token count), tokenised as lm-eval does."""
        if not requests:
            return []
        requests, groups = self._prepare(requests)
        contexts, conts = cloze_tokens(self._encode, requests)
        self._check_length(contexts, max(len(c) for cs in conts for c in cs))
        return self.scorer.loglikelihoods(contexts, groups, conts)

    def generate(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy, batched (length-bucketed, left-padded); returns only the new text."""
        import torch

        from clika.backends.hf_prefix import length_buckets

        head, tail = self._frame
        encoded = self._encode([head + p + tail for p in prompts])
        self._check_length(encoded, max_new_tokens)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        out: list[str] = [""] * len(prompts)
        with torch.inference_mode():
            for rows in length_buckets([len(e) for e in encoded], self.batch_size):
                width = max(len(encoded[r]) for r in rows)
                ids = torch.full((len(rows), width), pad, dtype=torch.long)
                mask = torch.zeros_like(ids)
                for k, r in enumerate(rows):  # left padding: every row ends at the same column
                    ids[k, width - len(encoded[r]):] = torch.as_tensor(encoded[r])
                    mask[k, width - len(encoded[r]):] = 1
                new = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                          max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                          pad_token_id=pad)[:, width:]
                for k, r in enumerate(rows):
                    out[r] = self.tokenizer.decode(new[k], skip_special_tokens=True)
        return out

    def close(self) -> None:
        self.scorer = None  # type: ignore[assignment]
        self.model = None
