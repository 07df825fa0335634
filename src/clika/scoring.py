"""Scoring modes: items -> the option a model chose.

- "letter": the log-probability of each option letter ("A", "B", ...) as the
  next token after the prompt; the choice is the argmax. One forward pass per
  item; no answer extraction, so never unparseable.
- "cloze": lm-evaluation-harness's multiple_choice ``acc``: the summed
  log-likelihood of " " + option text after the prompt; argmax.
- "cloze-norm": lm-eval's ``acc_norm``: the same sum divided by the option's
  length in characters (" " + text, as lm-eval counts it).
- "generate": the paper's way: greedy generation, then answer extraction
  ("first-char": the upstream rule; "smart": see clika.data.answers).

The caller (the runner) passes chunks of items; everything here is one
backend call per chunk plus building the records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from clika.backends.base import Backend
from clika.errors import ConfigError
from clika.items import Item
from clika.predictions import Prediction
from clika.prompts import build_generate_prompts, build_requests

SCORING_MODES: tuple[str, ...] = ("letter", "cloze", "cloze-norm", "generate")
# Enough for "B. Alexandria Governorate": the first-char rule reads one character,
# the smart rule a short answer line.
GENERATE_MAX_NEW_TOKENS = 8


def choices_from_scores(scores: np.ndarray) -> np.ndarray:
    """Row-wise argmax of an [items, options] score matrix; -1 (no answer) where a row has a NaN.

    A NaN score means the model produced no usable number; guessing an option
    from the others would be a silently wrong answer.
    """
    bad = np.isnan(scores).any(axis=1)
    choice = np.argmax(np.where(np.isnan(scores), -np.inf, scores), axis=1)
    return np.where(bad, -1, choice)


def _score_matrix(rows: Sequence[Sequence[float]], widths: np.ndarray) -> np.ndarray:
    """Ragged per-item scores -> [items, max options], padded with -inf (never chosen)."""
    out = np.full((len(rows), int(widths.max(initial=1))), -np.inf)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _option_scores(backend: Backend, items: Sequence[Item], mode: str, template: str) -> np.ndarray:
    widths = np.array([it.n_options for it in items])
    if mode == "letter":
        return _score_matrix(backend.next_token_logprobs(build_requests(items, template, "letter")), widths)
    requests = build_requests(items, template, "cloze")
    sums = _score_matrix([[s for s, _ in row] for row in backend.loglikelihoods(requests)], widths)
    if mode == "cloze-norm":
        chars = _score_matrix([[len(c) for c in r.continuations] for r in requests], widths)
        sums = sums / np.where(np.isfinite(chars) & (chars > 0), chars, 1.0)
    return sums


def score_items(
    backend: Backend,
    items: Sequence[Item],
    mode: str = "letter",
    template: str = "paper",
    batch_size: int = 16,
    extract: str = "first-char",
    progress: Callable[[int], None] | None = None,
) -> list[Prediction]:
    """Predictions for ``items`` (any mix of tasks/languages), in order.

    batch_size: items per backend call (the backend batches inside a call;
    ``progress(n)`` is called after each call with the number of items done).
    """
    from clika.data.answers import extract_choice

    if mode not in SCORING_MODES:
        raise ConfigError(f"unknown scoring mode {mode!r}; choose one of {', '.join(SCORING_MODES)}")
    preds: list[Prediction] = []
    step = max(1, batch_size)
    for start in range(0, len(items), step):
        chunk = items[start : start + step]
        if mode == "generate":
            raws = backend.generate(build_generate_prompts(chunk, template), GENERATE_MAX_NEW_TOKENS)
            preds.extend(
                Prediction(backend.name, it.task, it.lang, it.item_id,
                           extract_choice(raw, it.n_options, it.options, extract), it.gold, it.n_options, raw=raw)
                for it, raw in zip(chunk, raws)
            )
        else:
            scores = _option_scores(backend, chunk, mode, template)
            choices = choices_from_scores(scores)
            preds.extend(
                Prediction(backend.name, it.task, it.lang, it.item_id, None if c < 0 else int(c), it.gold,
                           it.n_options, scores=tuple(float(x) for x in row[: it.n_options]))
                for it, c, row in zip(chunk, choices.tolist(), scores)
            )
        if progress is not None:
            progress(len(chunk))
    return preds
