"""Which model a conductivity run trains: a local HF folder, a hub id, or an embedded model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from clika.errors import ConfigError


@dataclass(frozen=True)
class ModelRef:
    path: Path | str  # what from_pretrained loads (a folder, or a hub id)
    name: str
    chat: bool  # instruction-tuned with a chat template: taught and asked in that template
    source: str  # what the user named


def resolve_model(ref: str | None) -> ModelRef:
    """A local HF directory, an embedded model by name (default: the embedded Gemma 3 270M), or a hub id."""
    from clika.backends.embedded import COMPLETE_MARKER, DEFAULT_MODEL, EMBEDDED_MODELS, default_model_dir

    if ref and Path(ref).expanduser().is_dir():
        path = Path(ref).expanduser().resolve()
        return ModelRef(path, path.name, _has_chat_template(path), ref)
    name = ref or DEFAULT_MODEL
    if name in EMBEDDED_MODELS:
        path = default_model_dir(name)
        marker = json.loads((path / COMPLETE_MARKER).read_text())
        return ModelRef(path, name, bool(marker.get("chat", False)), name)
    if name.startswith((".", "/", "~")):
        raise ConfigError("--model: no such model folder", name)
    return ModelRef(name, name, False, name)  # a hub id; from_pretrained says if it cannot be loaded


def _has_chat_template(path: Path) -> bool:
    try:
        config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
        return bool(config.get("chat_template")) or (path / "chat_template.jinja").is_file()
    except (OSError, ValueError):
        return False


def load_for_training(ref: ModelRef, device: str, config):
    """Model and tokenizer on ``device``: fp32 weights (mixed precision comes from the trainer), or
    bf16 weights where a bf16 run on a GPU would otherwise need twice the memory."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    bf16 = config.dtype == "bf16" and device.startswith("cuda") and config.method == "lora"
    dtype = torch.bfloat16 if bf16 else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(ref.path)
        model = AutoModelForCausalLM.from_pretrained(ref.path, dtype=dtype).to(device)
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot load a causal LM from here ({str(err).splitlines()[0]})", str(ref.path)) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
