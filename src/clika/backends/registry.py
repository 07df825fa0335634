"""Backends by name, lm-eval style: ``make_backend("hf", "pretrained=...,dtype=float32")``.

Where backends come from, in order:
- the built-in ones below (each a ``make_backend(**model_args)`` factory in its own module, imported
  only when chosen, so a machine without vLLM runs everything else);
- other packages, through the ``clika.backends`` entry-point group: a package that declares
  ``[project.entry-points."clika.backends"] mybackend = "mypkg.backend:make_backend"`` is usable as
  ``--model mybackend`` once installed (one file plus an entry point);
- ``register_backend(name, factory)`` at run time (notebooks, tests).

A factory takes the parsed ``--model-args`` as keyword arguments and returns a clika.backends.base.Backend.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from clika.backends.base import Backend
from clika.errors import ConfigError

BackendFactory = Callable[..., Backend]
ENTRY_POINT_GROUP = "clika.backends"

# Options the runner passes to every backend (from --device / --batch-size); a backend
# whose factory does not take one simply does not get it.
GENERIC_OPTIONS = frozenset({"device", "batch_size"})


@dataclass(frozen=True)
class BackendInfo:
    name: str
    target: str | BackendFactory  # "module:function", or the factory itself
    description: str = ""
    extra: str | None = None  # the pip extra that installs what it needs
    origin: str = "built-in"  # built-in | entry point <dist> | registered at run time

    def factory(self) -> BackendFactory:
        if callable(self.target):
            return self.target
        module, _, attr = self.target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ImportError as err:
            hint = f": pip install 'clika[{self.extra}]'" if self.extra else ""
            raise ConfigError(f"the {self.name} backend cannot be imported ({err}){hint}") from None
        except AttributeError:
            raise ConfigError(f"the {self.name} backend's entry point {self.target!r} names no factory") from None


BUILTIN: dict[str, BackendInfo] = {
    "hf": BackendInfo("hf", "clika.backends.hf:make_backend",
                      "Hugging Face transformers, CPU or GPU; without pretrained= the embedded Gemma 3 270M"),
    "vllm": BackendInfo("vllm", "clika.backends.vllm:make_backend", "vLLM's offline engine (GPU)", extra="vllm"),
    "openai": BackendInfo("openai", "clika.backends.openai_api:make_backend",
                          "any OpenAI-compatible server (vLLM serve, llama.cpp, OpenAI)"),
}
_RUNTIME: dict[str, BackendInfo] = {}


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, BackendInfo]:
    from importlib.metadata import entry_points

    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(getattr(ep, "dist", None), "name", None) or "an installed package"
        found[ep.name] = BackendInfo(ep.name, ep.value, f"from {dist}", origin=f"entry point ({dist})")
    return found


def available_backends() -> dict[str, BackendInfo]:
    """Every backend by name: built-in, then entry points, then run-time registrations (later win)."""
    return {**BUILTIN, **_entry_points(), **_RUNTIME}


def known_backends() -> list[str]:
    return sorted(available_backends())


def register_backend(name: str, factory: BackendFactory, description: str = "") -> None:
    """Make ``factory(**model_args)`` available as ``--model name`` in this process."""
    _RUNTIME[name] = BackendInfo(name, factory, description, origin="registered at run time")


def backend_info(name: str) -> BackendInfo:
    info = available_backends().get(name)
    if info is None:
        raise ConfigError(f"unknown model backend {name!r}; known: {', '.join(known_backends())}")
    return info


def discoverable(name: str) -> bool:
    """Whether another process (a Ray worker) finds this backend by name alone."""
    return name in BUILTIN or name in _entry_points()


def _coerce(value: str) -> Any:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        with contextlib.suppress(ValueError):
            return cast(value)
    return value


def parse_model_args(model_args: str | dict[str, Any] | None) -> dict[str, Any]:
    """``pretrained=x,dtype=float32,chat=true`` -> {"pretrained": "x", "dtype": "float32", "chat": True}."""
    if model_args is None:
        return {}
    if isinstance(model_args, dict):
        return dict(model_args)
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in model_args.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--model-args: expected key=value, got {part!r}")
        out[key.strip()] = _coerce(value.strip())
    return out


def construct(cls: type, backend: str, first: Any, kwargs: dict[str, Any]) -> Backend:
    """cls(first, **kwargs), with a clear error for options the backend does not take."""
    params = list(inspect.signature(cls).parameters.values())
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        accepted = [p.name for p in params[1:]]
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise ConfigError(f"--model-args: the {backend} backend does not take {', '.join(unknown)}"
                              f" (it takes {', '.join(accepted)})")
    return cls(first, **kwargs)


def generic_options_taken(factory: BackendFactory) -> frozenset[str]:
    """The generic options (device, batch_size) a factory accepts: those it names, all with **kwargs."""
    declared = getattr(factory, "generic_options", None)
    if declared is not None:
        return frozenset(declared)
    params = inspect.signature(factory).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return GENERIC_OPTIONS
    return GENERIC_OPTIONS & {p.name for p in params}


def make_backend(model: str = "hf", model_args: str | dict[str, Any] | None = None, **overrides: Any) -> Backend:
    """Build a backend by name.

    model_args: lm-eval's comma-separated key=value string (or a dict).
    overrides: options from the command line; None means "not given". Like lm-eval, they win over
        model_args. The generic ones (device, batch_size) go only to backends that take them.
    """
    factory = backend_info(model).factory()
    kwargs = parse_model_args(model_args)
    taken = generic_options_taken(factory)
    for key, value in overrides.items():
        if value is not None and (key not in GENERIC_OPTIONS or key in taken):
            kwargs[key] = value
    return factory(**kwargs)
