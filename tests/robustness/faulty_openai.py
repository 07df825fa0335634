"""A faulty OpenAI-compatible server on 127.0.0.1 (http.server in a thread), for fault-tolerance tests.

It answers /v1/completions letter-mode requests (max_tokens=1 with top
logprobs) with log-probabilities derived from a hash of the prompt, so every
run gets the same answers and results can be compared run against run. A
``faults`` callable decides, request by request, whether to misbehave instead:

    429 / 500 / 503      an error status with an OpenAI-style error body
    "malformed"          200 with a body that is not JSON
    "wrong-shape"        200 with JSON that is not a completion ({})
    "truncated"          200 announcing more bytes than it sends, then closing
    "stall"              no answer for ``stall_s`` seconds (past the client timeout)
    "401-echo"           401 whose message repeats the Authorization header (as careless servers do)

It also records every request (path, body, Authorization header) so tests can
count what a rerun asked for and check what key was sent.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Fault = int | str | None
FAULTS: tuple[Fault, ...] = (429, 500, 503, "malformed", "wrong-shape", "truncated", "stall")
LETTER_TOKENS = (" A", " B", " C", " D", " E")


def letter_logprobs(prompt: str) -> dict[str, float]:
    """The fake model's next-token distribution over the option letters, fixed per prompt."""
    out = {}
    for token in LETTER_TOKENS:
        digest = hashlib.sha256((prompt + token).encode("utf-8")).digest()
        out[token] = -int.from_bytes(digest[:2], "big") / 6553.6  # in (-10, 0]
    return out


class FaultyOpenAIServer:
    def __init__(self, faults: Callable[[int, dict[str, Any]], Fault] = lambda n, body: None, stall_s: float = 1.0):
        self.faults = faults
        self.stall_s = stall_s
        self.requests: list[tuple[str, dict[str, Any], str]] = []
        self.n_faults = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.lock:
                    index = len(owner.requests)
                    owner.requests.append((self.path, body, self.headers.get("Authorization", "")))
                    fault = owner.faults(index, body)
                    owner.n_faults += fault is not None
                if fault is None:
                    return self._send(200, json.dumps(owner.completion(body)).encode())
                if fault == "stall":
                    time.sleep(owner.stall_s)
                    return self._send(200, b"{}")
                if fault == "401-echo":
                    auth = self.headers.get("Authorization", "")
                    error = {"error": {"message": f"invalid credentials: {auth}", "type": "auth", "code": 401}}
                    return self._send(401, json.dumps(error).encode())
                if fault == "wrong-shape":
                    return self._send(200, b"{}")
                if fault == "malformed":
                    return self._send(200, b'{"id": "cmpl-1", "choices": [{"text": " A", "logprobs": {"top_lo')
                if fault == "truncated":
                    data = json.dumps(owner.completion(body)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                status = int(fault)
                error = {"error": {"message": f"injected {status}", "type": "server_error", "code": status}}
                return self._send(status, json.dumps(error).encode())

            def _send(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a stall past its timeout)
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        top = letter_logprobs(body["prompt"])
        best = max(top, key=top.get)
        lp = {"tokens": [best], "token_logprobs": [top[best]], "text_offset": [len(body["prompt"])],
              "top_logprobs": [top]}
        return {"id": "cmpl-1", "object": "text_completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "text": best, "logprobs": lp, "finish_reason": "length"}]}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FaultyOpenAIServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
