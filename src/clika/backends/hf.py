"""Hugging Face transformers backend: any causal LM, by local path or hub id.

Scoring goes through ``PrefixCachedScorer`` (hf_prefix.py): the shared prefix is encoded once and only
the needed output rows are computed. Tokenisation follows lm-evaluation-harness (lm_tokens.py), so cloze
choices match lm-eval's ``acc``. Requests are tokenised whole, never piecewise, so the prefix/body split
cannot change the tokens; the cached prefix is the token prefix the requests actually share.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from clika.backends.base import ChoiceRequest, cut_at_stop
from clika.backends.lm_tokens import cloze_tokens, letter_tokens
from clika.errors import BackendError, ConfigError
from clika.prompts import chat_frame, wrap_chat

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf", ".json", ".model", ".txt", ".jinja")
DTYPES = ("auto", "float32", "bfloat16", "float16")


def weights_identity(pretrained: str, revision: str | None = None) -> dict:
    """A local model: resolved path + name, size and mtime of each weight/config file (replaced weights
    change it); a hub model: its id + revision."""
    path = Path(pretrained).expanduser()
    if not path.exists():
        return {"hub": str(pretrained), "revision": revision or "main"}
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    return {"path": str(path.resolve()), "files": [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]}


def settings_hash(identity: dict, **settings) -> str:
    blob = json.dumps({"weights": identity, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def chat_setup(tokenizer, chat: bool) -> tuple[tuple[str, str], bool]:
    """(chat frame, whether the tokenizer adds special tokens): a chat template that writes BOS itself
    must not get a second one from the tokenizer."""
    frame = ("", "")
    if chat:
        frame = chat_frame(lambda text: tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True))
    bos = getattr(tokenizer, "bos_token", None)
    return frame, not (bos and frame[0].startswith(bos))


class HFBackend:
    """A causal LM run with transformers (CPU or GPU)."""

    def __init__(self, pretrained: str, *, gguf_file: str | None = None, device: str = "cpu", dtype: str = "auto",
                 batch_size: int = 16, trust_remote_code: bool = False, chat: bool = False,
                 revision: str | None = None, max_length: int | None = None, peft: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # clika draws its own progress; no "Loading weights" bars
        if dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        local = Path(pretrained).expanduser().exists()
        if not local and str(pretrained).startswith((".", "/", "~")):  # a path, not a hub id
            raise ConfigError("model directory does not exist", pretrained)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        # "auto": the checkpoint's own dtype on GPU; float32 on CPU (bf16 matmuls are slow there)
        torch_dtype = ("auto" if device != "cpu" else torch.float32) if dtype == "auto" else getattr(torch, dtype)
        source = str(Path(pretrained).expanduser().resolve()) if local else str(pretrained)
        common = dict(revision=revision, trust_remote_code=trust_remote_code, gguf_file=gguf_file)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **common)
            model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype, **common)
        except OSError as err:  # missing files, unknown hub id, no network
            raise ConfigError(f"cannot load model {pretrained!r}: {str(err).splitlines()[0]}") from err
        if peft is not None:
            model = _with_adapter(model, peft)
        self.name = Path(pretrained).name if local else str(pretrained)
        self.pretrained, self.gguf_file, self.revision, self.peft = str(pretrained), gguf_file, revision, peft
        self._setup(model, tokenizer, batch_size, chat, max_length)

    @classmethod
    def from_model(cls, model, tokenizer, *, name: str, batch_size: int = 16, chat: bool = False,
                   identity: str = "in-memory") -> HFBackend:
        """A backend over a model already in memory (e.g. one being fine-tuned by clika conduct).

        identity stands in for the weights' identity in the fingerprint: pass something that
        changes whenever the weights do (e.g. the training run's id and epoch)."""
        self = cls.__new__(cls)
        self.device = str(next(model.parameters()).device)
        self.name, self.pretrained, self.gguf_file, self.revision, self.peft = name, identity, None, None, None
        self._setup(model, tokenizer, batch_size, chat, None)
        return self

    def _setup(self, model, tokenizer, batch_size: int, chat: bool, max_length: int | None) -> None:
        self.tokenizer, self.model, self.batch_size, self.chat = tokenizer, model, batch_size, chat
        if str(next(model.parameters()).device) != self.device:
            model.to(self.device)
        model.eval()
        self.dtype = str(model.dtype).removeprefix("torch.")
        self.max_length = max_length or getattr(model.config, "max_position_embeddings", None)
        self._scorer = None  # built on first letter/cloze request: generate-only users never pay for it
        if chat and not getattr(tokenizer, "chat_template", None):
            raise ConfigError(f"chat=true but the tokenizer of {self.name} has no chat template")
        self._frame, self._add_special = chat_setup(tokenizer, chat)

    @property
    def scorer(self):
        if self._scorer is None:
            from clika.backends.hf_prefix import PrefixCachedScorer

            self._scorer = PrefixCachedScorer(self.model, self.batch_size)
            self._scorer.verify_head(self._encode(["Answer:"])[0])
        return self._scorer

    def fingerprint(self) -> str:
        """Weights' (and adapter's) identity + the settings that change outputs: dtype, chat wrapping,
        max length and the device type (CPU and GPU kernels differ in the last bits)."""
        revision = self.revision or getattr(self.model.config, "_commit_hash", None)
        adapter = weights_identity(self.peft) if self.peft else None
        settings = dict(gguf_file=self.gguf_file, dtype=self.dtype, chat=self.chat, max_length=self.max_length)
        identity = weights_identity(self.pretrained, revision)
        return settings_hash(identity, adapter=adapter, device_type=self.device.split(":")[0], **settings)

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(list(texts), add_special_tokens=self._add_special)["input_ids"]

    def _check_length(self, seqs: Sequence[Sequence[int]], extra: int = 0) -> None:
        longest = max((len(s) for s in seqs), default=0) + extra
        if self.max_length and longest > self.max_length:
            raise BackendError(f"a prompt of {longest} tokens exceeds {self.name}'s max length {self.max_length}")

    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        """Letter mode: full-vocabulary log-prob of each continuation's first token after the prompt."""
        return self._score(requests, "letter")

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        """Cloze mode: (sum of continuation token log-probs, token count), tokenised as lm-eval does."""
        return self._score(requests, "cloze")

    def _score(self, requests: Sequence[ChoiceRequest], mode: str) -> list:
        """Requests (chat-wrapped if asked) in groups of one prefix text, through the scorer."""
        if not requests:
            return []
        if self.chat:
            requests = wrap_chat(requests, self._frame)
        prefix_ids: dict[str, int] = {}
        groups = [prefix_ids.setdefault(r.prefix, len(prefix_ids)) for r in requests]
        if mode == "letter":
            contexts, firsts = letter_tokens(self._encode, requests)
            self._check_length(contexts, 1)
            return self.scorer.next_token_logprobs(contexts, groups, firsts)
        contexts, conts = cloze_tokens(self._encode, requests)
        self._check_length(contexts, max(len(c) for cs in conts for c in cs))
        return self.scorer.loglikelihoods(contexts, groups, conts)

    def generate(self, prompts: Sequence[str | Sequence[int]], max_new_tokens: int,
                 stop: Sequence[str] = ()) -> list[str]:
        """Greedy, batched (length-bucketed, left-padded); returns only the new text, cut at the first
        stop string (generation of a row ends there too). Token-id prompts are used verbatim (no chat
        wrapping, no special tokens added)."""
        import torch

        from clika.backends.hf_prefix import length_buckets, right_pad

        encoded = encode_prompts(self._encode, self._frame, prompts)
        self._check_length(encoded, max_new_tokens)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        options = dict(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, pad_token_id=pad)
        if stop:
            options.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        out: list[str] = [""] * len(prompts)
        with torch.inference_mode():
            for rows in length_buckets([len(e) for e in encoded], self.batch_size):
                ids, lens = right_pad([encoded[r][::-1] for r in rows], pad)
                width = ids.shape[1]  # left padding (reversed rows, right-padded, flipped): rows end together
                mask = (torch.arange(width)[None, :] >= width - lens[:, None]).long()
                ids, mask = ids.flip(1).to(self.device), mask.to(self.device)
                new = self.model.generate(input_ids=ids, attention_mask=mask, **options)[:, width:]
                for k, r in enumerate(rows):
                    out[r] = cut_at_stop(self.tokenizer.decode(new[k], skip_special_tokens=True), stop)
        return out

    def close(self) -> None:
        self._scorer = None
        self.model = None


def encode_prompts(encode, frame: tuple[str, str], prompts) -> list[list[int]]:
    """Token ids of each prompt: text is wrapped in the chat frame and encoded; ids pass as they are."""
    head, tail = frame
    encoded = iter(encode([head + p + tail for p in prompts if isinstance(p, str)]))
    return [list(next(encoded)) if isinstance(p, str) else list(p) for p in prompts]


def _with_adapter(model, adapter: str):
    """Base model + a peft (LoRA) adapter, merged so that scoring runs at the base model's speed."""
    try:
        from peft import PeftModel
    except ImportError:
        raise ConfigError("peft=... needs the peft package: pip install peft") from None
    if not Path(adapter).expanduser().is_dir():
        raise ConfigError("adapter directory does not exist (peft=...)", adapter)
    try:
        return PeftModel.from_pretrained(model, str(Path(adapter).expanduser())).merge_and_unload()
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot load the peft adapter ({str(err).splitlines()[0]})", adapter) from None


def make_backend(**kwargs) -> HFBackend:
    """The hf backend from --model-args; without pretrained= the embedded Gemma 3 270M."""
    from clika.backends.registry import construct

    pretrained = kwargs.pop("pretrained", None)
    embedded = kwargs.pop("embedded", None)
    if pretrained is None:  # an embedded model, shipped inside a PyPI package (embedded=NAME)
        from clika.backends.embedded import DEFAULT_MODEL, default_model_dir, embedded_spec

        spec = embedded_spec(embedded or DEFAULT_MODEL)
        pretrained = str(default_model_dir(spec.name))
        kwargs.setdefault("chat", spec.chat)
    elif embedded is not None:
        raise ConfigError("--model-args: give pretrained= or embedded=, not both")
    return construct(HFBackend, "hf", pretrained, kwargs)


make_backend.generic_options = ("device", "batch_size")
