"""Backends by name, lm-eval style: ``make_backend("hf", "pretrained=...,dtype=float32")``.

Heavy backends (vLLM, the OpenAI client) are imported only when chosen, so a
machine without vLLM can still run everything else.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from clika.backends.base import Backend
from clika.errors import ConfigError

BackendFactory = Callable[..., Backend]

# Options the runner passes to every backend (from --device / --batch-size);
# a backend whose constructor does not take one simply does not get it.
GENERIC_OPTIONS = frozenset({"device", "batch_size"})


def _hf(**kwargs: Any) -> Backend:
    from clika.backends.hf import HFBackend

    pretrained = kwargs.pop("pretrained", None)
    if pretrained is None:
        # No model named: the embedded default (Gemma 3 270M, shipped as a package).
        from clika.backends.embedded import default_model_dir

        pretrained = str(default_model_dir())
    return _construct(HFBackend, "hf", pretrained, kwargs)


def _vllm(**kwargs: Any) -> Backend:
    try:
        from clika.backends.vllm import VLLMBackend
    except ImportError as err:
        raise ConfigError(f"the vllm backend needs vLLM: pip install 'clika[vllm]' ({err})") from None
    pretrained = kwargs.pop("pretrained", None)
    if pretrained is None:
        raise ConfigError("the vllm backend needs --model-args pretrained=<model path or name>")
    return _construct(VLLMBackend, "vllm", pretrained, kwargs)


def _openai(**kwargs: Any) -> Backend:
    from clika.backends.openai_api import OpenAIBackend

    # lm-eval's openai models say model=...; accept pretrained=... too.
    model = kwargs.pop("model", None) or kwargs.pop("pretrained", None)
    if model is None:
        raise ConfigError("the openai backend needs --model-args model=<served model name>")
    return _construct(OpenAIBackend, "openai", model, kwargs)


_FACTORIES: dict[str, BackendFactory] = {"hf": _hf, "vllm": _vllm, "openai": _openai}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory(**model_args)`` available as ``--model name``."""
    _FACTORIES[name] = factory


def known_backends() -> list[str]:
    return sorted(_FACTORIES)


def _coerce(value: str) -> Any:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def parse_model_args(model_args: str | dict[str, Any] | None) -> dict[str, Any]:
    """"pretrained=x,dtype=float32,chat=true" -> {"pretrained": "x", "dtype": "float32", "chat": True}."""
    if model_args is None:
        return {}
    if isinstance(model_args, dict):
        return dict(model_args)
    out: dict[str, Any] = {}
    for part in model_args.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--model-args: expected key=value, got {part!r}")
        out[key.strip()] = _coerce(value.strip())
    return out


def _construct(cls: type, backend: str, first: Any, kwargs: dict[str, Any]) -> Backend:
    """cls(first, **kwargs), with a clear error for options the backend does not take."""
    params = list(inspect.signature(cls).parameters.values())
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        accepted = [p.name for p in params[1:]]
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise ConfigError(
                f"--model-args: the {backend} backend does not take {', '.join(unknown)}"
                f" (it takes {', '.join(accepted)})"
            )
    return cls(first, **kwargs)


# Which generic options each built-in backend takes (vLLM sizes its own
# batches; the OpenAI backend has max_concurrency instead).
_TAKES_GENERIC: dict[str, frozenset[str]] = {
    "hf": GENERIC_OPTIONS,
    "vllm": frozenset(),
    "openai": frozenset(),
}


def _generic_taken(model: str, factory: BackendFactory) -> frozenset[str]:
    if model in _TAKES_GENERIC:
        return _TAKES_GENERIC[model]
    params = inspect.signature(factory).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return GENERIC_OPTIONS
    return GENERIC_OPTIONS & {p.name for p in params}


def make_backend(model: str = "hf", model_args: str | dict[str, Any] | None = None, **overrides: Any) -> Backend:
    """Build a backend by name.

    model_args: lm-eval's comma-separated key=value string (or a dict).
    overrides: options from the command line; None means "not given". Like
        lm-eval, they win over model_args. The generic ones (device,
        batch_size) go only to backends that take them.
    """
    factory = _FACTORIES.get(model)
    if factory is None:
        raise ConfigError(f"unknown model backend {model!r}; known: {', '.join(known_backends())}")
    kwargs = parse_model_args(model_args)
    taken = _generic_taken(model, factory)
    for key, value in overrides.items():
        if value is not None and (key not in GENERIC_OPTIONS or key in taken):
            kwargs[key] = value
    return factory(**kwargs)
