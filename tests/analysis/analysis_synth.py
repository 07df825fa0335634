"""Hand-made predictions for the analysis tests: who is correct on which items, nothing random."""

from __future__ import annotations

from clika.predictions import Prediction

N_ITEMS = 40
LANGS3 = ("en", "zh", "fr")


def predictions(correct: dict[tuple[str, str], set[int]], task: str = "x_geo", n_items: int = N_ITEMS) -> list[Prediction]:
    """correct[(model, lang)] = the item numbers answered correctly; the rest answered wrong (option 1; gold 0).

    Item 39 of every wrong-answer row is left unparseable (choice None) when it is wrong, so that the
    "unparseable counts as wrong" path is exercised too.
    """
    out = []
    for (model, lang), right in correct.items():
        for i in range(n_items):
            choice = 0 if i in right else (None if i == n_items - 1 else 1)
            out.append(Prediction(model, task, lang, f"q{i}", choice, 0, 4))
    return out


def block(start: int, stop: int) -> set[int]:
    return set(range(start, stop))
