"""OpenAIBackend against a real OpenAI-compatible HTTP server on 127.0.0.1
(tests/backends/fake_openai_server.py: its rules give every expected number here)."""

from __future__ import annotations

import math

import pytest

from clika.backends.base import ChoiceRequest
from clika.backends.openai_api import OpenAIBackend
from clika.backends.registry import make_backend
from clika.errors import BackendError, ClikaError, ConfigError
from tests.backends.fake_openai_server import FakeServer

KEY = "sk-test-SECRET-0123456789"


@pytest.fixture()
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def backend(server: FakeServer, **kw) -> OpenAIBackend:
    kw.setdefault("retry_base_delay", 0.01)
    return OpenAIBackend("fake-model", base_url=server.url, api_key=KEY, **kw)


REQS = [
    ChoiceRequest("Instruction.\n", "Question: What do you use to cut paper?\nAnswer:", ("A", "B", "C", "D")),
    ChoiceRequest("Instruction.\n", "Question: Capital of Japan?\nAnswer:", ("A", "B")),
]


def test_letter_mode_reads_top_logprobs(server):
    be = backend(server, top_logprobs=6)
    scores = be.next_token_logprobs(REQS)
    # A: max(" A" -0.5, "A" -3.5); B: -1.5; C: max("C" -2.0, " C" -2.5); D: not in top-k
    assert scores == [[-0.5, -1.5, -2.0, -math.inf], [-0.5, -1.5]]
    path, body, auth = server.requests[0]
    assert path == "/v1/completions" and body["max_tokens"] == 1 and body["logprobs"] == 6
    assert body["prompt"] in {r.prompt for r in REQS} and body["temperature"] == 0
    assert auth == f"Bearer {KEY}"  # the key is sent to the server, and only there
    be.close()


def test_letter_mode_reads_the_chat_shape_of_llama_cpp_completions(server):
    """llama.cpp's /v1/completions puts the top logprobs in choices[0].logprobs.content[0].top_logprobs."""
    server.llamacpp_shape = True
    be = backend(server, top_logprobs=6)
    assert be.next_token_logprobs(REQS) == [[-0.5, -1.5, -2.0, -math.inf], [-0.5, -1.5]]
    with pytest.raises(BackendError) as err:  # no echoed prompt logprobs: cloze cannot work, and says so
        be.loglikelihoods([ChoiceRequest("Q: Capital of Japan?\n", "Answer:", (" Tokyo", " Kyoto"))])
    text = str(err.value)
    assert "\n" not in text and "cloze mode needs the prompt's log-probabilities" in text
    assert "letter and generate modes work" in text
    cloze = [b["prompt"] for _, b, _ in server.requests[2:]]
    assert 1 <= len(cloze) == len(set(cloze)) <= 2  # no retries: the answer would not change
    be.close()


def test_cloze_mode_sums_the_continuation_tokens(server):
    be = backend(server)
    req = ChoiceRequest("Q: Capital of Japan?\n", "Answer:", (" Tokyo", " Kyoto city"))
    (scores,) = be.loglikelihoods([req])
    # continuation tokens: [" Tokyo"] -> -0.6, n=1; [" Kyoto", " city"] -> -0.6 + -0.5, n=2
    assert scores[0] == (pytest.approx(-0.6), 1)
    assert scores[1] == (pytest.approx(-1.1), 2)
    bodies = [b for _, b, _ in server.requests]
    assert all(b["echo"] is True and b["max_tokens"] == 0 and b["logprobs"] == 1 for b in bodies)
    assert sorted(b["prompt"] for b in bodies) == sorted(req.prompt + c for c in req.continuations)
    be.close()


def test_generate_completions_and_chat(server):
    be = backend(server)
    assert be.generate(["p1", "p2"], max_new_tokens=3) == [" B!!", " B!!"]
    chat = backend(server, chat=True)
    assert chat.generate(["hello"], max_new_tokens=5) == ["C, since 5 chars"]
    assert chat.next_token_logprobs(REQS[:1]) == [[-0.5, -1.5, -2.0, -math.inf]]
    chat_body = server.requests[-1][1]
    assert server.requests[-1][0] == "/v1/chat/completions"
    assert chat_body["messages"] == [{"role": "user", "content": REQS[0].prompt}] and chat_body["max_tokens"] == 1
    with pytest.raises(ConfigError, match="cloze"):
        chat.loglikelihoods(REQS)
    be.close()
    chat.close()


def test_429_500_and_a_stall_are_retried(server):
    server.fail_plan = [429, 500, "stall"]
    be = backend(server, timeout=0.3, max_concurrency=1)
    assert be.generate(["p"], max_new_tokens=1) == [" B"]
    assert len(server.requests) == 4  # three failures, then success
    be.close()


def test_persistent_500_ends_in_a_clear_backend_error(server):
    server.always_fail = 500
    be = backend(server, max_retries=2)
    with pytest.raises(BackendError) as info:
        be.next_token_logprobs(REQS[:1])
    text = str(info.value)
    assert "HTTP 500 after 3 attempts" in text and "fake-model" in text and "\n" not in text
    assert KEY not in text and info.value.__cause__ is None and info.value.__suppress_context__
    assert len(server.requests) == 3
    be.close()


def test_client_errors_are_not_retried(server):
    server.always_fail = 401
    be = backend(server)
    with pytest.raises(BackendError, match="HTTP 401"):
        be.generate(["p"], max_new_tokens=1)
    assert len(server.requests) == 1
    be.close()


def test_concurrency_is_bounded(server):
    server.delay = 0.05
    be = backend(server, max_concurrency=3)
    out = be.generate([f"p{i}" for i in range(12)], max_new_tokens=2)
    assert out == [" B!"] * 12
    assert 2 <= server.peak <= 3
    be.close()


def test_key_never_in_fingerprint_repr_or_errors(server, monkeypatch):
    monkeypatch.setenv("CLIKA_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-other-key")
    monkeypatch.setenv("CLIKA_OPENAI_BASE_URL", server.url)
    be = OpenAIBackend("fake-model", retry_base_delay=0.01, max_retries=0)
    assert be.base_url == server.url
    fp = be.fingerprint()
    port = server.url.split(":")[2].split("/")[0]
    assert fp == f"openai:fake-model@127.0.0.1:{port}/v1;chat=false;top_logprobs=20"
    assert KEY not in fp and KEY not in repr(be)
    with_userinfo = OpenAIBackend("m", base_url="http://bob:hunter2@10.0.0.1:8000/v1")
    assert with_userinfo.fingerprint() == "openai:m@10.0.0.1:8000/v1;chat=false;top_logprobs=20"
    # top_logprobs decides which letters a letter-mode request can see: it is part of the fingerprint
    fewer = OpenAIBackend("m", base_url="http://bob:hunter2@10.0.0.1:8000/v1", top_logprobs=5)
    assert fewer.fingerprint() == "openai:m@10.0.0.1:8000/v1;chat=false;top_logprobs=5"
    fewer.close()
    assert "hunter2" not in repr(with_userinfo)
    with_userinfo.close()
    be.generate(["p"], 1)
    assert server.requests[-1][2] == f"Bearer {KEY}"  # CLIKA_ wins over OPENAI_
    server.always_fail = 400
    with pytest.raises(BackendError) as info:
        be.generate(["p"], 1)
    assert KEY not in str(info.value)
    be.close()


def test_registry_builds_it_from_model_args(server):
    be = make_backend("openai", f"model=fake-model,base_url={server.url},max_concurrency=2,chat=false",
                      device="cuda", batch_size=8)  # generic options the openai backend does not take
    assert isinstance(be, OpenAIBackend) and be.chat is False
    assert be.generate(["x"], 2) == [" B!"]
    be.close()
    with pytest.raises(ConfigError, match="does not take temperature"):
        make_backend("openai", "model=m,temperature=0.5")
    with pytest.raises(ConfigError, match="needs --model-args model="):
        make_backend("openai")
    with pytest.raises(ConfigError, match="known: hf, openai, vllm"):
        make_backend("nope")
    with pytest.raises(ConfigError, match="key=value"):
        make_backend("openai", "model")
    assert issubclass(BackendError, ClikaError)
