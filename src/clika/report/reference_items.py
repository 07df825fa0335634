"""Per-item answers of a packaged reference (reference/<name>_items.npz, built by scripts/make_reference.py), so that
`clika report --reference published` recomputes the reference models on your languages and items.

Per task: the item ids (upstream uuids, sorted), the gold option per language, the culture of each fact
(``original_lang``) and every model's chosen option as small ints (0..k-1, UNPARSEABLE -1: no letter, ABSENT -2: no
prediction): all a Prediction needs except per-option scores, which upstream letter answers lack (RankC is undefined
for them anyway). ``predictions`` turns a selection back into Predictions; ``recompute`` scores them (compute_metrics,
the reference's n_boot and seed) and keeps what the packaged reference keeps (``kept``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clika.items import ordered_langs
from clika.metrics.catalog import tagged
from clika.metrics.compute import compute_metrics
from clika.metrics.records import Record
from clika.predictions import Prediction

FORMAT = "clika-reference-items/1"
UNPARSEABLE, ABSENT = -1, -2
ORIGIN = "original_lang"
# rankc is left out: upstream predictions keep only the chosen letter, not per-option scores, so
# it is undefined for every published model (its records would be 0.4 MB of "not available").
KEEP = {d.name for d in tagged("reference")}

Selection = Mapping[str, Iterable[str]]  # lang -> item ids


def kept(records: Iterable[Record]) -> list[Record]:
    """The records a packaged reference keeps: KEEP, no strata, home_transfer's means only (not its S -> L cells)."""
    return [r for r in records if r.metric in KEEP and r.stratum is None
            and not (r.metric == "home_transfer" and r.lang_ref is not None and r.aggregate is None)]


def pack(predictions: Sequence[Prediction]) -> dict[str, np.ndarray]:
    """The arrays of the file (np.savez_compressed): see the module docstring."""
    models = sorted({p.model for p in predictions})
    tasks = list(dict.fromkeys(p.task for p in predictions))
    out: dict[str, np.ndarray] = {"format": np.array(FORMAT), "models": np.array(models), "tasks": np.array(tasks)}
    model_index = {m: i for i, m in enumerate(models)}
    for task in tasks:
        preds = [p for p in predictions if p.task == task]
        langs = ordered_langs({p.lang for p in preds})
        ids = sorted({p.item_id for p in preds})
        ks = {p.n_options for p in preds}
        if len(ks) != 1:
            raise ValueError(f"{task}: n_options differs ({sorted(ks)})")
        lang_index, item_index = {lang: i for i, lang in enumerate(langs)}, {x: i for i, x in enumerate(ids)}
        choice = np.full((len(models), len(langs), len(ids)), ABSENT, dtype=np.int8)
        gold = np.full((len(langs), len(ids)), ABSENT, dtype=np.int8)
        origin = [""] * len(ids)
        for p in preds:
            li, ii = lang_index[p.lang], item_index[p.item_id]
            choice[model_index[p.model], li, ii] = UNPARSEABLE if p.choice is None else p.choice
            if gold[li, ii] not in (ABSENT, p.gold):
                raise ValueError(f"{task}/{p.lang} item {p.item_id}: gold differs between models")
            gold[li, ii] = p.gold
            o = (p.extra or {}).get(ORIGIN, "")
            if origin[ii] not in ("", o):
                raise ValueError(f"{task} item {p.item_id}: {ORIGIN} differs between languages or models")
            origin[ii] = origin[ii] or o
        out |= {f"{task}.langs": np.array(langs), f"{task}.ids": np.array(ids), f"{task}.k": np.array(ks.pop()),
                f"{task}.gold": gold, f"{task}.choice": choice}
        if any(origin):
            out[f"{task}.origin"] = np.array(origin)
    return out


def write_items(predictions: Sequence[Prediction], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:  # a file object: np.savez_compressed would append .npz to another name
        np.savez_compressed(fh, **pack(predictions))
    return path


@dataclass
class TaskItems:
    langs: tuple[str, ...]
    ids: np.ndarray  # [N] str, sorted
    k: int
    gold: np.ndarray  # [L, N] int8, ABSENT where the language lacks the item
    choice: np.ndarray  # [M, L, N] int8
    origin: np.ndarray | None  # [N] str ("" unknown), or None

    def ids_of(self, lang: str) -> frozenset[str]:
        """The items the reference has in a language."""
        return frozenset(self.ids[self.gold[self.langs.index(lang)] != ABSENT].tolist())


class ReferenceItems:
    """The per-item answers of a packaged reference (``load``)."""

    def __init__(self, models: Sequence[str], tasks: Mapping[str, TaskItems]):
        self.models, self.tasks = tuple(models), dict(tasks)

    @classmethod
    def load(cls, path: Path) -> ReferenceItems:
        with np.load(path, allow_pickle=False) as z:
            if str(z["format"]) != FORMAT:
                raise ValueError(f"{path}: format {str(z['format'])!r}, expected {FORMAT!r}")
            tasks = {}
            for task in z["tasks"].tolist():
                origin = z[f"{task}.origin"] if f"{task}.origin" in z.files else None
                a = {key: z[f"{task}.{key}"] for key in ("langs", "ids", "k", "gold", "choice")}
                tasks[task] = TaskItems(tuple(a["langs"].tolist()), a["ids"], int(a["k"]), a["gold"], a["choice"],
                                        origin)
            return cls(z["models"].tolist(), tasks)

    def predictions(self, task: str, selection: Selection | None = None) -> list[Prediction]:
        """Every model's Predictions of a task on the selected languages and item ids (None: all)."""
        t = self.tasks[task]
        out = []
        for lang in t.langs if selection is None else ordered_langs(selection):
            li = t.langs.index(lang)
            if selection is None:
                cols = np.flatnonzero(t.gold[li] != ABSENT)
            else:
                wanted = sorted(selection[lang])
                cols = np.searchsorted(t.ids, wanted).clip(max=len(t.ids) - 1)
                if t.ids[cols].tolist() != wanted or (t.gold[li, cols] == ABSENT).any():
                    raise ValueError(f"{task}/{lang}: the selection has items the reference lacks")
            ids, gold = t.ids[cols].tolist(), t.gold[li, cols].tolist()
            extra = [{}] * len(cols)
            if t.origin is not None:
                extra = [{ORIGIN: o} if o else {} for o in t.origin[cols].tolist()]
            for m, model in enumerate(self.models):
                choices = t.choice[m, li, cols].tolist()
                out += [Prediction(model, task, lang, i, None if c == UNPARSEABLE else c, g, t.k, extra=e)
                        for i, c, g, e in zip(ids, choices, gold, extra) if c != ABSENT]
        return out

    def recompute(self, selections: Mapping[str, Selection], n_boot: int, seed: int,
                  resamples: dict | None = None) -> list[Record]:
        """Every model's ``kept`` records on each task's selection (compute_metrics); resamples collects theirs."""
        predictions = [p for task, selection in selections.items() for p in self.predictions(task, selection)]
        draws: dict = {}
        records = kept(compute_metrics(predictions, n_boot=n_boot, seed=seed, pairwise=False, resamples=draws))
        if resamples is not None:
            resamples.update((r.key, draws[r.key]) for r in records if r.key in draws)
        return records
