"""Conductivity (CD) metrics from per-fact correctness, with the project's one resampler.

After fine-tuning on fictional facts (docs/metrics.md, CD): the mastery gate (accuracy on English
type 0 and type 1, target type 0, and the name translations, each >= the gate), and, when it
holds, xrr = acc_l(type 1) / acc_en(type 1), xrr_ctrl = acc_l(type 1) / acc_l(type 0) and the
paired transfer rate cd_transfer = P(correct in l | correct in English) over type-1 facts (in
the style of ECLeKTic / LiveCLKTBench). Every value carries a percentile interval: type-1 facts
are resampled jointly across English and l (paired), type-0 facts and translations on their
own. Each fact's surface overlap with English ("identical", "shared_subword", "none") gives a
stratum; acc_l_type1, xrr, xrr_ctrl and cd_transfer are also reported per stratum, because a
target name spelled as in English lets a model "transfer" by string matching.

XRR here is clika's reconstruction of the paper's metric from its description (the paper
gives no code for it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clika.metrics.bootstrap import N_BOOT, percentile_intervals, resampled_counts
from clika.metrics.core import ratio
from clika.metrics.records import MetricRecord
from clika.metrics.registry import MetricDef, register_metric

TASK = "fictional"
GATE_PARTS = ("gate_en_type0", "gate_en_type1", "gate_l_type0", "gate_translation")
_PART_WORDS = {"gate_en_type0": "English type 0", "gate_en_type1": "English type 1",
               "gate_l_type0": "{lang} type 0", "gate_translation": "name translation"}
STRATA = ("identical", "shared_subword", "none")


MASTERY_GATE = 0.9  # every gate part must reach this accuracy before XRR is measured (the paper's threshold)

@dataclass
class FactOutcomes:
    """Correctness after training, aligned by fact (type-1 arrays share an order, as do type-0 ones)."""

    target: str
    en_type0: np.ndarray
    en_type1: np.ndarray
    l_type0: np.ndarray
    l_type1: np.ndarray
    translation: np.ndarray
    strata_type1: np.ndarray | None = None  # overlap stratum of each type-1 fact in the target language
    strata_type0: np.ndarray | None = None
    n_continents: int | None = None  # chance level of a fact question = 1 / n_continents

    @property
    def chance(self) -> float | None:
        return 1.0 / self.n_continents if self.n_continents else None


def _samples(columns: list[np.ndarray], n_boot: int, seed: int, key: str) -> np.ndarray:
    """[1 + B, M] counts of 0/1 columns over the same facts: row 0 point, then resamples."""
    n = len(columns[0])
    if n == 0:
        return np.zeros((1 + n_boot, len(columns)))
    f = np.stack([np.asarray(c, dtype=bool) for c in columns], axis=1)
    point = f.sum(axis=0, dtype=np.float64)[None, :]
    return np.vstack([point, resampled_counts(f, n_boot, seed, key)]) if n_boot else point


def _interval(samples: np.ndarray, n_boot: int) -> tuple[float | None, float | None, str | None]:
    if not n_boot or len(samples) < 2:
        return None, None, None
    res = percentile_intervals(samples[1:, None])
    low = None if np.isnan(res.low[0]) else float(res.low[0])
    high = None if np.isnan(res.high[0]) else float(res.high[0])
    return low, high, res.note(0)


def _record(model, task, lang, metric, samples, n, n_boot, note=None, chance=None, stratum=None) -> MetricRecord:
    value = float(samples[0])
    if np.isnan(value):
        return MetricRecord(model, task, lang, metric, None, None, None, n, note or "undefined", chance, stratum)
    low, high, ci_note = _interval(samples, n_boot)
    joined = "; ".join(x for x in (note, ci_note) if x) or None
    return MetricRecord(model, task, lang, metric, value, low, high, n, joined, chance, stratum)


def cd_values(en1, l1, l0, n_boot, seed, key, m1=None, m0=None) -> dict[str, tuple[np.ndarray, int]]:
    """acc_l_type1, xrr, xrr_ctrl, cd_transfer over the facts selected by masks m1 (type 1) and
    m0 (type 0), default all: (samples [1 + B], n).

    The resample is drawn over all facts and the masks applied inside it, so a stratum's values
    are paired with the overall ones (a stratum holding every fact gets the overall interval) and
    the number of stratum facts varies between resamples, as it would between fact sets."""
    en1, l1, l0 = (np.asarray(x, dtype=bool) for x in (en1, l1, l0))
    m1 = np.ones(len(en1), bool) if m1 is None else np.asarray(m1, dtype=bool)
    m0 = np.ones(len(l0), bool) if m0 is None else np.asarray(m0, dtype=bool)
    t1 = _samples([m1, en1 & m1, l1 & m1, en1 & l1 & m1], n_boot, seed, key + "/type1")
    t0 = _samples([m0, l0 & m0], n_boot, seed, key + "/type0")
    n1 = int(m1.sum())
    acc_en1, acc_l1 = ratio(t1[:, 1], t1[:, 0]), ratio(t1[:, 2], t1[:, 0])
    acc_l0 = ratio(t0[:, 1], t0[:, 0])
    return {"acc_l_type1": (acc_l1, n1), "xrr": (ratio(acc_l1, acc_en1), n1),
            "xrr_ctrl": (ratio(acc_l1, acc_l0), n1), "cd_transfer": (ratio(t1[:, 3], t1[:, 1]), int(t1[0, 1]))}


def conductivity_records(o: FactOutcomes, model: str, *, task: str = TASK, gate: float = MASTERY_GATE, n_boot: int = N_BOOT,
                         seed: int = 0) -> list[MetricRecord]:
    """Gate records, then acc_l_type1, xrr, xrr_ctrl and cd_transfer overall and per overlap
    stratum (None with a note when the gate fails: XRR is then not measured)."""
    lang, key = o.target, f"{task}/{o.target}"
    records, failed = [], []
    parts = {"gate_en_type0": o.en_type0, "gate_en_type1": o.en_type1, "gate_l_type0": o.l_type0,
             "gate_translation": o.translation}
    for metric, x in parts.items():
        samples = ratio(_samples([x], n_boot, seed, f"{key}/{metric}")[:, 0], len(x))
        acc = float(samples[0]) if len(x) else float("nan")
        passed = len(x) > 0 and acc >= gate
        what = _PART_WORDS[metric].format(lang=lang)
        if not passed:
            failed.append(f"{what} {acc:.2f} < {gate:.2f}" if len(x) else f"{what}: no test items")
        note = f"{what}: {'passes' if passed else 'fails'} the mastery gate {gate:.2f}"
        chance = o.chance if metric != "gate_translation" else None
        records.append(_record(model, task, lang, metric, samples, len(x), n_boot, note, chance))

    gate_note = None if not failed else "not measured: the mastery gate failed (" + "; ".join(failed) + ")"
    groups: list[tuple[str | None, np.ndarray, np.ndarray]] = [(None, np.ones(len(o.l_type1), bool),
                                                                np.ones(len(o.l_type0), bool))]
    if o.strata_type1 is not None:
        for s in STRATA:
            mask0 = o.strata_type0 == s if o.strata_type0 is not None else np.zeros(len(o.l_type0), bool)
            groups.append((s, o.strata_type1 == s, mask0))
    for stratum, m1, m0 in groups:
        if stratum is not None and not m1.any():
            continue
        label = None if stratum is None else f"overlap={stratum}"
        values = cd_values(o.en_type1, o.l_type1, o.l_type0, n_boot, seed, key, m1, m0)
        for metric, (samples, n) in values.items():
            chance = o.chance if metric == "acc_l_type1" else None
            if metric == "acc_l_type1":
                records.append(_record(model, task, lang, metric, samples, n, n_boot,
                                       gate_note and "gate failed; reported for diagnosis only", chance, label))
            elif gate_note:
                records.append(MetricRecord(model, task, lang, metric, None, None, None, n, gate_note, None, label))
            else:
                why = {"xrr": "acc_en(type 1) is 0", "xrr_ctrl": f"acc_{lang}(type 0) is 0",
                       "cd_transfer": "no type-1 fact is answered correctly in English"}[metric]
                records.append(_record(model, task, lang, metric, samples, n, n_boot,
                                       None if not np.isnan(samples[0]) else f"undefined: {why}", None, label))
    return records


def gate_passes(outcomes: FactOutcomes, gate: float) -> bool:
    """The mastery gate: every part (English types 0 and 1, target type 0, translations) at least ``gate``."""
    parts = (outcomes.en_type0, outcomes.en_type1, outcomes.l_type0, outcomes.translation)
    return all(len(x) > 0 and float(np.mean(x)) >= gate for x in parts)


def gate_failure(records) -> str | None:
    """The note of a failed gate, in words, or None when xrr was measured."""
    for r in records:
        if r.metric == "xrr" and r.stratum is None and r.value is None and r.note and "gate" in r.note:
            return r.note
    return None


for _order, (_name, _label, _desc, _chance) in enumerate((
    ("gate_en_type0", "gate: en type 0", "after training, accuracy on English questions of type-0 facts",
     "1/(number of continents) by guessing"),
    ("gate_en_type1", "gate: en type 1", "after training, accuracy on English questions of type-1 facts",
     "1/(number of continents) by guessing"),
    ("gate_l_type0", "gate: l type 0", "after training, accuracy on target-language questions of type-0 facts",
     "1/(number of continents) by guessing"),
    ("gate_translation", "gate: translation", "name translations asked in the untrained direction (target -> "
     "English) with a held-out prompt", "near 0: a name is not guessed"),
    ("acc_l_type1", "acc l type 1", "accuracy on target-language questions of facts taught in English only",
     "1/(number of continents) by guessing"),
    ("xrr", "XRR", "cross-lingual retrieval ratio acc_l(type 1) / acc_en(type 1): clika's reconstruction of the "
     "paper's metric; not measured when the mastery gate fails", "1/(number of continents) when English is perfect "
     "and l is guessed"),
    ("xrr_ctrl", "XRR ctrl", "acc_l(type 1) / acc_l(type 0): retrieval of English-only facts relative to facts "
     "also taught in l", "about 1/(number of continents) when type 1 is guessed and type 0 learnt"),
    ("cd_transfer", "CD transfer", "paired transfer rate: among type-1 facts answered correctly in English, the "
     "share also answered correctly in l (ECLeKTic / LiveCLKTBench style)", "1/(number of continents) by guessing "
     "in l"),
    ("epochs_trained", "epochs", "training epochs run (with --until-gate: until the mastery gate held, or the "
     "maximum)", "not a rate"),
)):
    register_metric(MetricDef(_name, _label, "CD", "cd", _desc, _chance, "higher", order=300 + _order))
