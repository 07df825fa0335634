"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests (http.server in a thread).

It answers /v1/completions (top logprobs; echo + max_tokens=0 like vLLM's
server) and /v1/chat/completions with hand-set log-probabilities, so expected
numbers can be computed by hand from the rules written here. It can be told to
fail (429, 500, a stall longer than the client timeout) to exercise retries.
With ``llamacpp_shape = True``, /v1/completions answers as llama.cpp's server
does: logprobs in the chat shape (content[0].top_logprobs, a list of {token,
logprob}) and no echoed prompt log-probabilities.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The next-token distribution the fake model always gives (top first).
# " A" and "A" are both the letter A; D is never in the top tokens.
NEXT = [(" A", -0.5), (" B", -1.5), ("C", -2.0), (" C", -2.5), ("\n", -3.0), ("A", -3.5)]


def echo_tokens(text: str) -> list[str]:
    """The fake tokenizer: words with their leading whitespace."""
    return re.findall(r"\s*\S+", text)


def token_logprob(token: str) -> float:
    return -len(token) / 10


class FakeServer:
    def __init__(self):
        self.fail_plan: list[object] = []  # consumed one per request: 429, 500, "stall"
        self.always_fail: int | None = None
        self.requests: list[tuple[str, dict, str]] = []
        self.in_flight = 0
        self.peak = 0
        self.delay = 0.0
        self.llamacpp_shape = False
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.lock:
                    owner.requests.append((self.path, body, self.headers.get("Authorization", "")))
                    failure = owner.fail_plan.pop(0) if owner.fail_plan else owner.always_fail
                    owner.in_flight += 1
                    owner.peak = max(owner.peak, owner.in_flight)
                try:
                    status, payload = self._answer(body, failure)
                finally:  # before the answer is sent: once the client has it, it may send its next request at
                    with owner.lock:  # once, and a busy machine could run that one before this thread went on
                        owner.in_flight -= 1
                self._send(status, payload)

            def _answer(self, body: dict, failure) -> tuple[int, dict]:
                time.sleep(owner.delay)
                if failure == "stall":
                    time.sleep(1.0)
                    return 200, {}
                if failure is not None:
                    return int(failure), {"error": {"message": f"injected {failure}", "type": "x"}}
                if self.path == "/v1/completions":
                    return 200, owner.completion(body)
                if self.path == "/v1/chat/completions":
                    return 200, owner.chat(body)
                return 404, {"error": {"message": "no such route"}}

            def _send(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def completion(self, body: dict) -> dict:
        prompt = body["prompt"]
        if self.llamacpp_shape:  # the shape of llama.cpp's /v1/completions; echo is ignored
            lp = None
            if body.get("logprobs") and body.get("max_tokens"):
                top = [{"id": i, "token": t, "logprob": v, "bytes": list(t.encode())}
                       for i, (t, v) in enumerate(NEXT[: body["logprobs"]])]
                lp = {"content": [{"id": 0, "token": " A", "logprob": -0.5, "bytes": [32, 65], "top_logprobs": top}]}
            return {"id": "cmpl-1", "object": "text_completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "text": " A" if body.get("max_tokens") else "", "logprobs": lp,
                                 "finish_reason": "length"}]}
        if body.get("echo") and body.get("max_tokens") == 0:
            tokens = echo_tokens(prompt)
            offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
            logprobs = [None] + [token_logprob(t) for t in tokens[1:]]
            lp = {"tokens": tokens, "token_logprobs": logprobs, "text_offset": offsets,
                  "top_logprobs": [None] + [{t: token_logprob(t)} for t in tokens[1:]]}
            text = prompt
        elif body.get("logprobs"):
            top = dict(NEXT[: body["logprobs"]])
            lp = {"tokens": [" A"], "token_logprobs": [-0.5], "text_offset": [len(prompt)], "top_logprobs": [top]}
            text = " A"
        else:
            lp, text = None, f" B{'!' * (body['max_tokens'] - 1)}"
        return {"id": "cmpl-1", "object": "text_completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "text": text, "logprobs": lp, "finish_reason": "length"}]}

    def chat(self, body: dict) -> dict:
        content = body["messages"][-1]["content"]
        logprobs = None
        if body.get("logprobs"):
            top = [{"token": t, "logprob": lp, "bytes": None} for t, lp in NEXT[: body["top_logprobs"]]]
            logprobs = {"content": [{"token": " A", "logprob": -0.5, "bytes": None, "top_logprobs": top}]}
        return {"id": "chat-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": logprobs,
                             "message": {"role": "assistant", "content": f"C, since {len(content)} chars"}}]}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
