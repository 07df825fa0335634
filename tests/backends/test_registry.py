"""make_backend: lm-eval style model_args, generic options, registration, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from clika.backends import registry
from clika.backends.registry import make_backend, parse_model_args, register_backend
from clika.errors import ConfigError


def test_parse_model_args():
    assert parse_model_args("pretrained=org/m,dtype=float32,chat=true,batch_size=8,temp=0.5,rev=none") == {
        "pretrained": "org/m", "dtype": "float32", "chat": True, "batch_size": 8, "temp": 0.5, "rev": None}
    assert parse_model_args(" a = 1 , ,b=False") == {"a": 1, "b": False}
    assert parse_model_args(None) == {} and parse_model_args({"x": 1}) == {"x": 1}
    with pytest.raises(ConfigError, match="key=value"):
        parse_model_args("pretrained")
    with pytest.raises(ConfigError, match="key=value"):
        parse_model_args("=x")


class Recorder:
    """A minimal real backend that remembers how it was built."""

    name = "recorder"

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def fingerprint(self) -> str:
        return "recorder"

    def close(self) -> None:
        pass


def test_registered_factory_gets_only_the_generic_options_it_takes(monkeypatch):
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    register_backend("rec", lambda **kw: Recorder(**kw))
    be = make_backend("rec", "a=1", device="cuda", batch_size=None)
    assert be.kwargs == {"a": 1, "device": "cuda"}  # None means "not given"

    def narrow(pretrained: str, batch_size: int = 1) -> Recorder:
        return Recorder(pretrained=pretrained, batch_size=batch_size)

    register_backend("narrow", narrow)
    be = make_backend("narrow", "pretrained=p,batch_size=2", device="cuda", batch_size=4)
    assert be.kwargs == {"pretrained": "p", "batch_size": 4}  # the command line wins, device is dropped
    assert "narrow" in registry.known_backends()


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown model backend 'llamacpp'; known: hf, openai, vllm"):
        make_backend("llamacpp")


def test_vllm_without_vllm_is_a_config_error():
    pytest.importorskip("clika.backends.vllm")
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="vllm"):
            make_backend("vllm", "pretrained=some/model")
    else:
        pytest.skip("vLLM is installed here")
    with pytest.raises(ConfigError, match="pretrained"):
        make_backend("vllm")


def test_hf_with_a_tiny_model_and_a_bad_option(tmp_path: Path):
    pytest.importorskip("clika.backends.hf")
    from tests.backends.tiny_model import build_tiny_model

    model_dir = build_tiny_model(tmp_path / "tiny")
    be = make_backend("hf", f"pretrained={model_dir},dtype=float32", device="cpu", batch_size=3)
    try:
        assert be.name == "tiny" and be.fingerprint()
    finally:
        be.close()
    with pytest.raises(ConfigError, match=r"does not take colour \(it takes .*dtype"):
        make_backend("hf", f"pretrained={model_dir},colour=blue")
