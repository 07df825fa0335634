"""Choosing an option: items -> the option a model chose, in one of four modes.

- "letter": the log-probability of each option letter ("A", "B", ...) as the next token after the prompt; the choice
  is the argmax. One forward pass per item; no answer extraction, so never unparseable.
- "cloze": lm-evaluation-harness's multiple_choice ``acc``: the summed log-likelihood of " " + option text after the
  prompt; argmax.
- "cloze-norm": lm-eval's ``acc_norm``: the same sum divided by the option's length in characters (" " + text, as
  lm-eval counts it).
- "generate": the paper's way: greedy generation, then answer extraction ("first-char": the upstream rule; "smart":
  see clika.data.answers).

The caller (an executor) passes chunks of items with their rendered requests: one backend call per batch here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from clika.backends.base import Backend
from clika.data.answers import EXTRACTORS, extract_choice
from clika.errors import ConfigError
from clika.items import Item
from clika.predictions import Prediction
from clika.prompts import ChoiceRequest
from clika.tasks.spec import SCORING_MODES

# cloze is the default: small base models copy the one-shot example's answer letter in letter mode (Gemma 3 270M
# answers "D" on ~97% of items), which makes CT metrics meaningless; option log-likelihoods do not have that bias.
DEFAULT_MODE = "cloze"
DEFAULT_EXTRACT = "first-char"
NO_EXTRACTION = "-"
# Enough for "B. Alexandria Governorate": the first-char rule reads one character, the smart rule a short answer line.
GENERATE_MAX_NEW_TOKENS = 8


def check_mode(mode: str, extract: str = DEFAULT_EXTRACT) -> None:
    if mode not in SCORING_MODES:
        raise ConfigError(f"--mode: unknown scoring mode {mode!r}; choose one of {', '.join(SCORING_MODES)}")
    if extract not in EXTRACTORS:
        raise ConfigError(f"--extract: unknown answer extraction rule {extract!r}; "
                          f"choose one of {', '.join(EXTRACTORS)}")


def extraction_key(mode: str, extract: str) -> str:
    """The extraction rule as the results store keys it: only generate mode extracts answers,
    so changing --extract never rescores letter or cloze predictions."""
    return extract if mode == "generate" else NO_EXTRACTION


def choices_from_scores(scores: np.ndarray) -> np.ndarray:
    """Row-wise argmax of an [items, options] score matrix; -1 (no answer) where a row has a NaN: a NaN score means
    the model produced no usable number, and guessing an option from the others would be a silently wrong answer."""
    bad = np.isnan(scores).any(axis=1)
    choice = np.argmax(np.where(np.isnan(scores), -np.inf, scores), axis=1)
    return np.where(bad, -1, choice)


def _score_matrix(rows: Sequence[Sequence[float]], widths: np.ndarray) -> np.ndarray:
    """Ragged per-item scores -> [items, max options], padded with -inf (never chosen)."""
    out = np.full((len(rows), int(widths.max(initial=1))), -np.inf)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _option_scores(backend: Backend, items: Sequence[Item], requests: Sequence[ChoiceRequest], mode: str) -> np.ndarray:
    widths = np.array([it.n_options for it in items])
    if mode == "letter":
        return _score_matrix(backend.next_token_logprobs(requests), widths)
    sums = _score_matrix([[s for s, _ in row] for row in backend.loglikelihoods(requests)], widths)
    if mode == "cloze-norm":
        chars = _score_matrix([[len(c) for c in r.continuations] for r in requests], widths)
        sums = sums / np.where(np.isfinite(chars) & (chars > 0), chars, 1.0)
    return sums


def _extra(item: Item) -> dict:
    """What metrics need from an item beyond its answer: the culture its fact comes from."""
    origin = item.meta.get("original_lang")
    return {"original_lang": origin} if isinstance(origin, str) and origin else {}


def choose(backend: Backend, items: Sequence[Item], requests: Sequence[ChoiceRequest], mode: str,
           extract: str = DEFAULT_EXTRACT, batch_size: int = 16,
           progress: Callable[[int], None] | None = None) -> list[Prediction]:
    """Predictions for ``items`` (any mix of tasks/languages) from their rendered requests, in order. batch_size:
    items per backend call (the backend batches inside a call); ``progress(n)`` follows each call (n items done)."""
    check_mode(mode, extract)
    if len(items) != len(requests):
        raise ConfigError(f"{len(items)} items but {len(requests)} requests")
    preds: list[Prediction] = []
    step = max(1, batch_size)
    for start in range(0, len(items), step):
        chunk, reqs = items[start : start + step], requests[start : start + step]
        if mode == "generate":
            raws = backend.generate([r.prompt for r in reqs], GENERATE_MAX_NEW_TOKENS)
            picks = [extract_choice(raw, it.n_options, it.options, extract) for it, raw in zip(chunk, raws)]
            rows = [None] * len(chunk)
        else:
            scores = _option_scores(backend, chunk, reqs, mode)
            picks = [None if c < 0 else int(c) for c in choices_from_scores(scores).tolist()]
            rows = [tuple(float(x) for x in row[: it.n_options]) for it, row in zip(chunk, scores)]
            raws = [None] * len(chunk)
        preds.extend(Prediction(backend.name, it.task, it.lang, it.item_id, pick, it.gold, it.n_options, raw, row,
                                _extra(it)) for it, pick, raw, row in zip(chunk, picks, raws, rows))
        if progress is not None:
            progress(len(chunk))
    return preds
