"""choose end to end on a real tiny model with real items (rendered with the paper template), and the
choice rule."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "backends"))
from tiny_model import build_tiny_model  # noqa: E402

from clika.choice import choices_from_scores, choose  # noqa: E402
from clika.data.answers import first_char_choice  # noqa: E402
from clika.errors import ConfigError  # noqa: E402
from clika.prompts import build_requests  # noqa: E402


def choose_paper(backend, items, mode: str, **kwargs):
    """The items rendered with the paper template, then chosen in ``mode``."""
    return choose(backend, items, build_requests(items, "paper", mode), mode, **kwargs)



@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    from clika.backends.hf import HFBackend

    return HFBackend(str(build_tiny_model(tmp_path_factory.mktemp("tiny"), "llama")), batch_size=4)


@pytest.fixture(scope="module")
def items(shared_data):
    from clika.data.upstream_items import load_upstream

    # x_copa (2 options) and x_csqa (5) in one call: ragged option counts.
    return (load_upstream(shared_data, ["x_copa"], ["en", "ja"])[:4]
            + load_upstream(shared_data, ["x_csqa"], ["ar"])[:5])


def test_choices_from_scores_hand_computed():
    scores = np.array([[-1.0, -0.5, -2.0, -np.inf],  # B
                       [-3.0, -4.0, -np.inf, -np.inf],  # A (padding never wins)
                       [-1.0, np.nan, -0.1, -0.2]])  # a NaN: no answer
    assert choices_from_scores(scores).tolist() == [1, 0, -1]


@pytest.mark.parametrize("mode", ["letter", "cloze", "cloze-norm"])
def test_choose_picks_the_argmax_of_the_backend_scores(backend, items, mode):
    done: list[int] = []
    preds = choose_paper(backend, items, mode, batch_size=3, progress=done.append)
    assert done == [3, 3, 3]
    assert [(p.task, p.lang, p.item_id, p.gold, p.n_options) for p in preds] == [
        (it.task, it.lang, it.item_id, it.gold, it.n_options) for it in items]
    requests = build_requests(items, "paper", "letter" if mode == "letter" else "cloze")
    if mode == "letter":
        expected = backend.next_token_logprobs(requests)
    else:
        pairs = backend.loglikelihoods(requests)
        expected = [[s / (len(c) if mode == "cloze-norm" else 1) for (s, _), c in zip(row, r.continuations)]
                    for row, r in zip(pairs, requests)]
    for pred, want in zip(preds, expected):
        assert pred.model == backend.name
        assert pred.scores == pytest.approx(want, abs=1e-4)  # other batch mates: float noise only
        assert pred.choice == int(np.argmax(want))


def test_generate_mode_extracts_with_the_upstream_rule(backend, items):
    preds = choose_paper(backend, items, "generate", batch_size=16)
    for pred, item in zip(preds, items):
        assert isinstance(pred.raw, str) and pred.scores is None
        assert pred.choice == first_char_choice(pred.raw, item.n_options)


def test_unknown_mode_is_a_config_error(backend, items):
    with pytest.raises(ConfigError, match="unknown scoring mode"):
        choose(backend, items, build_requests(items, "paper", "letter"), mode="vibes")
