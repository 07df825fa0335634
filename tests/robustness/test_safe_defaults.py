"""Safe defaults: no remote code unless asked; API keys never reach a file, a log or an error;
model names never steer output outside the output folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clika.backends.registry import make_backend
from clika.errors import BackendError
from clika.runner import RunOptions, evaluate
from clika.store import ResultsStore
from tests.robustness.faulty_openai import FaultyOpenAIServer

CLIKA = str(Path(sys.executable).parent / "clika")
KEY = "sk-clika-CANARY-7f3a9c1e5b"  # recognisable anywhere it might leak


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.backends.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture
def loads(monkeypatch) -> list[dict]:
    """Records the keyword arguments of every real from_pretrained call (then calls through)."""
    import transformers

    seen: list[dict] = []
    for cls in (transformers.AutoModelForCausalLM, transformers.AutoTokenizer):
        original = cls.from_pretrained.__func__

        def recording(klass, *args, _original=original, **kwargs):
            seen.append({"class": klass.__name__, **kwargs})
            return _original(klass, *args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", classmethod(recording))
    return seen


def test_trust_remote_code_is_off_unless_asked(tiny_model: Path, loads: list[dict], tmp_path: Path) -> None:
    make_backend("hf", f"pretrained={tiny_model}").close()
    evaluate(RunOptions(model_args={"pretrained": str(tiny_model)}, langs=["en"], limit=1, n_boot=0,
                        output_dir=tmp_path))
    assert len(loads) == 4 and all(call["trust_remote_code"] is False for call in loads), loads
    loads.clear()
    make_backend("hf", f"pretrained={tiny_model},trust_remote_code=true").close()
    assert len(loads) == 2 and all(call["trust_remote_code"] is True for call in loads), loads


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _assert_no_key(root: Path, *texts: str) -> int:
    """No file under root (SQLite and its WAL included, read as bytes) and no text holds the key."""
    files = _files_under(root)
    for path in files:
        assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"
    for text in texts:
        assert KEY not in text, "the API key leaked into the console output"
    return len(files)


@pytest.mark.parametrize("how", ["env", "model-args"])
def test_api_key_is_never_written(how: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "CLIKA_OPENAI_API_KEY": KEY} if how == "env" else dict(os.environ)
    args = "model=fake-gpt,base_url={url},max_retries=0" + (f",api_key={KEY}" if how == "model-args" else "")
    with FaultyOpenAIServer() as server:
        run = subprocess.run([CLIKA, "run", "--model", "openai", "--model-args", args.format(url=server.url),
                              "--langs", "en,zh", "--limit", "3", "--n-boot", "20", "--mode", "letter", "--output", str(out)],
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert server.requests and all(auth == f"Bearer {KEY}" for _, _, auth in server.requests)  # really used
    report = subprocess.run([CLIKA, "report", str(out), "-o", str(tmp_path / "report")], env=env,
                            capture_output=True, text=True, timeout=120)
    score = subprocess.run([CLIKA, "score", "--predictions", str(out), "--layout", "clika", "--n-boot", "0",
                            "--out", str(tmp_path / "scores.jsonl")], env=env, capture_output=True, text=True,
                           timeout=120)
    assert report.returncode == 0 and score.returncode == 0, report.stderr + score.stderr
    n_files = _assert_no_key(tmp_path, run.stdout, run.stderr, report.stdout, report.stderr, score.stdout,
                             score.stderr)
    assert n_files >= 5  # predictions, metrics, store, report, scores: all were checked
    with ResultsStore(out / "results.sqlite", readonly=True) as store:
        (record,) = store.runs()
    if how == "model-args":
        assert record["args"]["model_args"]["api_key"] == "***"


def test_api_key_echoed_by_a_server_is_scrubbed(tmp_path: Path) -> None:
    env = {**os.environ, "CLIKA_OPENAI_API_KEY": KEY}
    with FaultyOpenAIServer(lambda index, body: "401-echo") as server:
        run = subprocess.run([CLIKA, "run", "--model", "openai", "--model-args", f"model=fake-gpt,base_url={server.url}",
                              "--langs", "en,zh", "--limit", "2", "--mode", "letter", "--output", str(tmp_path / "run")],
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 1 and "HTTP 401" in run.stderr and "invalid credentials: Bearer ***" in run.stderr
        with pytest.raises(BackendError) as info:  # the Python API, too
            evaluate(RunOptions(model="openai", model_args={"model": "fake-gpt", "base_url": server.url,
                                                            "api_key": KEY},
                                langs=["en"], limit=1, mode="letter", output_dir=tmp_path / "api"))
    assert KEY not in str(info.value)
    _assert_no_key(tmp_path, run.stdout, run.stderr)


@pytest.mark.parametrize("name", ["../../escaped", "org/../../../escaped", "/tmp/abs/escaped", "..", "a\\..\\..\\b",
                                  "~/escaped", "org/model"])
def test_model_names_stay_inside_the_output_folder(name: str, tmp_path: Path, monkeypatch) -> None:
    cwd = tmp_path / "a" / "b" / "c"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    with FaultyOpenAIServer() as server:
        result = evaluate(RunOptions(model="openai", model_args={"model": name, "base_url": server.url},
                                     langs=["en"], limit=1, n_boot=0, mode="letter"))
    runs = (cwd / "runs").resolve()
    assert result.output_dir.resolve().parent == runs
    written = _files_under(tmp_path)
    assert written and all(runs in p.resolve().parents for p in written), written
