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
    monkeypatch.setattr(registry, "_RUNTIME", dict(registry._RUNTIME))
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
    from tests.backends.tiny_model import build_tiny_model

    model_dir = build_tiny_model(tmp_path / "tiny")
    be = make_backend("hf", f"pretrained={model_dir},dtype=float32", device="cpu", batch_size=3)
    try:
        assert be.name == "tiny" and be.fingerprint()
    finally:
        be.close()
    with pytest.raises(ConfigError, match=r"does not take colour \(it takes .*dtype"):
        make_backend("hf", f"pretrained={model_dir},colour=blue")


def _install_dist_info(where: Path, monkeypatch, dist: str, entry_point: str) -> None:
    """A real .dist-info on sys.path declaring one entry point in the clika.backends group."""
    info = where / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[clika.backends]\n{entry_point}\n")
    monkeypatch.syspath_prepend(str(where))
    registry._entry_points.cache_clear()


def test_another_package_adds_a_backend_through_an_entry_point(tmp_path, monkeypatch):
    """A package installed beside clika declares [project.entry-points."clika.backends"]; clika
    finds it by name without any edit of its own (here: a real .dist-info on sys.path)."""
    pkg = tmp_path / "clika_plugin_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "backend.py").write_text(
        "class Echo:\n    name = 'echo'\n    def __init__(self, **kw): self.kw = kw\n"
        "    def fingerprint(self): return 'echo:' + repr(sorted(self.kw.items()))\n    def close(self): pass\n"
        "def make_backend(pretrained, batch_size=1): return Echo(pretrained=pretrained, batch_size=batch_size)\n")
    _install_dist_info(tmp_path, monkeypatch, "clika-plugin-demo", "echo = clika_plugin_demo.backend:make_backend")
    try:
        assert "echo" in registry.known_backends()
        assert registry.backend_info("echo").origin == "entry point (clika-plugin-demo)"
        assert registry.discoverable("echo")  # a Ray worker finds it by name too
        be = make_backend("echo", "pretrained=p", device="cuda", batch_size=8)
        assert be.kw == {"pretrained": "p", "batch_size": 8}  # device dropped: the factory does not take it
    finally:
        monkeypatch.undo()
        registry._entry_points.cache_clear()
    assert "echo" not in registry.known_backends()


def test_a_broken_entry_point_is_a_one_line_error(tmp_path, monkeypatch):
    _install_dist_info(tmp_path, monkeypatch, "broken-plugin", "broken = no_such_module_here:make")
    try:
        with pytest.raises(ConfigError, match="the broken backend cannot be imported"):
            make_backend("broken")
    finally:
        monkeypatch.undo()
        registry._entry_points.cache_clear()
