"""A backend for any OpenAI-compatible HTTP server (vLLM serve, llama.cpp, OpenAI).

Letter mode asks the completions endpoint for one token with its top log-probabilities (``logprobs=k``)
and reads off the option letters, in either answer shape: legacy ``logprobs.top_logprobs[0]``, a dict
token -> logprob (OpenAI, vLLM), or chat ``logprobs.content[0].top_logprobs``, a list of {token, logprob}
(llama.cpp's server, which takes ``logprobs`` as ``n_probs``). Cloze mode sends the full prompt with
echo=True, max_tokens=0 and reads the continuation's log-probabilities (vLLM's server); a server that
does not echo them (llama.cpp) ends the run with a one-line error naming the modes that work. Generate
mode is greedy completion. chat=true uses /v1/chat/completions for letter and generate modes.

Tried on a fake server speaking both shapes and on a real llama.cpp server (tests/backends). Requests run
on a bounded thread pool; 429s, 5xx, timeouts and connection errors are retried with exponential backoff
and jitter. The API key is held only by the client: never in the fingerprint, a log, an error or a result.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlparse

from clika.backends.base import ChoiceRequest, cut_at_stop
from clika.errors import BackendError, ConfigError

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Servers without auth (vLLM, llama.cpp) accept any key; the client insists on one.
_PLACEHOLDER_KEY = "EMPTY"
# A 200 whose body is not the JSON the API promises (cut short, a proxy's error page, a server bug):
# worth another try, and never a traceback.
_MALFORMED = (ValueError, TypeError, AttributeError, IndexError, KeyError)


def _env(*names: str) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


class OpenAIBackend:
    """Backend over the OpenAI completions / chat completions API."""

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None, max_concurrency: int = 8,
                 max_retries: int = 5, timeout: float = 60, chat: bool = False, top_logprobs: int = 20,
                 retry_base_delay: float = 0.5):
        import openai

        if max_concurrency < 1 or max_retries < 0 or timeout <= 0 or top_logprobs < 1:
            raise ConfigError("openai backend: max_concurrency, top_logprobs >= 1, max_retries >= 0, timeout > 0")
        self.model, self.chat, self.max_retries, self.timeout = model, chat, max_retries, timeout
        self.base_url = base_url or _env("CLIKA_OPENAI_BASE_URL", "OPENAI_BASE_URL") or DEFAULT_BASE_URL
        # top_logprobs: 20 is vLLM's default ceiling; OpenAI's own completions API allows 5.
        self.top_logprobs, self.retry_base_delay = top_logprobs, retry_base_delay
        self._secret = api_key or _env("CLIKA_OPENAI_API_KEY", "OPENAI_API_KEY") or _PLACEHOLDER_KEY
        # The client's own retries are off: ours are the ones documented above.
        self._client = openai.OpenAI(base_url=self.base_url, api_key=self._secret, timeout=timeout, max_retries=0)
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="clika-openai")
        self._openai = openai

    @property
    def _where(self) -> str:
        """host[:port]/path of the server, without any user:password@ in the URL."""
        url = urlparse(self.base_url)
        port = f":{url.port}" if url.port else ""
        return f"{url.hostname or ''}{port}{url.path.rstrip('/')}"

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, server={self._where!r}, chat={self.chat})"

    def fingerprint(self) -> str:
        """The served model, the server and every setting that changes answers (top_logprobs
        decides which letters a letter-mode request can see)."""
        return f"openai:{self.model}@{self._where};chat={str(self.chat).lower()};top_logprobs={self.top_logprobs}"

    def _call(self, fn: Callable[[], T]) -> T:
        """fn(), retried on transient failures; any failure ends in a one-line BackendError."""
        openai = self._openai
        transient = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError, *_MALFORMED)
        for attempt in range(self.max_retries + 1):
            try:
                return fn()
            except transient as err:
                last = err
                if attempt < self.max_retries:
                    delay = self.retry_base_delay * 2**attempt
                    time.sleep(min(delay + random.uniform(0, delay), 60.0))
            except openai.APIStatusError as err:  # 4xx other than 429: retrying will not help
                raise BackendError(self._describe(err, attempts=attempt + 1)) from None
        raise BackendError(self._describe(last, attempts=self.max_retries + 1)) from None

    def _describe(self, err: Exception, attempts: int) -> str:
        status = getattr(err, "status_code", None)
        what = f"HTTP {status}" if status is not None else type(err).__name__
        if not isinstance(err, self._openai.OpenAIError):
            what = f"malformed response ({what})"
        detail = str(getattr(err, "message", None) or err)
        if self._secret != _PLACEHOLDER_KEY:
            detail = detail.replace(self._secret, "***")
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return f"openai backend ({self.model} at {self._where}): {what}{tries}: {detail[:300]}"

    def _map(self, fn: Callable[[Any], T], inputs: Sequence[Any]) -> list[T]:
        return list(self._pool.map(lambda x: self._call(lambda: fn(x)), inputs))

    def _create(self, prompt: str | list[int], **options: Any):
        """One request: a user message to the chat endpoint (chat=true) or a prompt to completions."""
        if self.chat:
            messages = [{"role": "user", "content": prompt}]
            return self._client.chat.completions.create(model=self.model, messages=messages, **options)
        return self._client.completions.create(model=self.model, prompt=prompt, **options)

    def next_token_logprobs(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        k = max(self.top_logprobs, max((len(r.continuations) for r in requests), default=1))
        top = self._map(lambda r: self._top_next_tokens(r.prompt, k), list(requests))
        return [_letter_scores(t, r.continuations) for t, r in zip(top, requests)]

    def _top_next_tokens(self, prompt: str, k: int) -> dict[str, float]:
        if self.chat:
            resp = self._create(prompt, max_tokens=1, temperature=0, logprobs=True, top_logprobs=min(k, 20))
            content = resp.choices[0].logprobs.content if resp.choices[0].logprobs else None
            if not content:
                raise BackendError(f"openai backend ({self.model}): the chat server returned no logprobs")
            return {t.token: t.logprob for t in content[0].top_logprobs}
        top = _first_top_logprobs(self._create(prompt, max_tokens=1, temperature=0, logprobs=k).choices[0].logprobs)
        if top is None:
            raise BackendError(f"openai backend ({self.model}): the server returned no top logprobs (neither "
                               "logprobs.top_logprobs nor logprobs.content[0].top_logprobs)")
        return top

    def loglikelihoods(self, requests: Sequence[ChoiceRequest]) -> list[list[tuple[float, int]]]:
        if self.chat:
            raise ConfigError("cloze mode needs the completions endpoint (echo=True); use chat=false")
        pairs = [(r.prompt, c) for r in requests for c in r.continuations]
        flat = iter(self._map(lambda pc: self._continuation_logprob(*pc), pairs))
        return [[next(flat) for _ in r.continuations] for r in requests]

    def _continuation_logprob(self, context: str, continuation: str) -> tuple[float, int]:
        resp = self._create(context + continuation, max_tokens=0, echo=True, logprobs=1, temperature=0)
        lp = resp.choices[0].logprobs
        if lp is None or lp.token_logprobs is None or lp.text_offset is None:
            raise BackendError(f"openai backend ({self.model} at {self._where}): cloze mode needs the prompt's "
                               "log-probabilities (echo=True on /v1/completions), which this server does not "
                               "return; letter and generate modes work with it (--mode letter or --mode generate)")
        return _sum_from_offset(lp.tokens, lp.token_logprobs, lp.text_offset, len(context))

    def generate(self, prompts: Sequence[str | Sequence[int]], max_new_tokens: int,
                 stop: Sequence[str] = ()) -> list[str]:
        extra = {"stop": list(stop)[:4]} if stop else {}  # the API takes at most 4 stop strings

        def one(prompt) -> str:
            if not isinstance(prompt, str):
                if self.chat:
                    raise ConfigError("token-id prompts need the completions endpoint; use chat=false")
                prompt = list(prompt)  # the completions API takes a token array as the prompt
            choice = self._create(prompt, max_tokens=max_new_tokens, temperature=0, **extra).choices[0]
            return cut_at_stop((choice.message.content if self.chat else choice.text) or "", stop)

        return self._map(one, list(prompts))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()


def _first_top_logprobs(logprobs: Any) -> dict[str, float] | None:
    """The first generated token's top log-probabilities from a completion choice's ``logprobs``, in
    the legacy shape (top_logprobs[0]: {token: logprob}) or the chat shape llama.cpp sends
    (content[0].top_logprobs: [{token, logprob}]); None when neither is there."""
    if logprobs is None:
        return None
    data = logprobs.model_dump() if hasattr(logprobs, "model_dump") else dict(logprobs)
    legacy = data.get("top_logprobs")
    if legacy and isinstance(legacy[0], dict) and legacy[0]:
        return {str(token): lp for token, lp in legacy[0].items()}
    content = data.get("content")
    if content and isinstance(content[0], dict) and content[0].get("top_logprobs"):
        return {str(e["token"]): e["logprob"] for e in content[0]["top_logprobs"]}
    return None


def _letter_scores(top: dict[str, float], letters: Sequence[str]) -> list[float]:
    """Each letter's log-probability among the top next tokens (" A" and "A" both count as A; the
    likelier one is taken). A letter not in the top-k gets -inf."""
    best: dict[str, float] = {}
    for token, logprob in top.items():
        if logprob is not None and logprob > best.get(token.strip(), -math.inf):
            best[token.strip()] = logprob
    return [best.get(letter.strip(), -math.inf) for letter in letters]


def _sum_from_offset(tokens: Sequence[str], logprobs: Sequence[float | None], offsets: Sequence[int],
                     context_chars: int) -> tuple[float, int]:
    """Sum of the log-probabilities of the tokens that hold the continuation. A token that straddles the
    context/continuation boundary counts as a continuation token (the server tokenised the joined
    text; this is the closest split it can give)."""
    scored = [lp for token, lp, start in zip(tokens, logprobs, offsets) if start + len(token) > context_chars]
    if None in scored:  # only the very first token of a prompt has none
        raise BackendError("openai backend: the continuation starts the prompt; there is no context to score it on")
    return sum(scored, 0.0), len(scored)


def make_backend(**kwargs) -> OpenAIBackend:
    """The openai backend from --model-args; lm-eval's openai models say model=..., pretrained= works too."""
    from clika.backends.registry import construct

    model = kwargs.pop("model", None) or kwargs.pop("pretrained", None)
    if model is None:
        raise ConfigError("the openai backend needs --model-args model=<served model name>")
    return construct(OpenAIBackend, "openai", model, kwargs)


make_backend.generic_options = ()  # it has max_concurrency instead of a batch size
